"""The SQL job store: the core and its concerns, put together."""

from __future__ import annotations

from vidvar.store.admin import AdminMixin
from vidvar.store.claims import ClaimsMixin
from vidvar.store.controls import ControlsMixin
from vidvar.store.jobs import JobsMixin
from vidvar.store.workers import WorkersMixin


class SqlStore(JobsMixin, ClaimsMixin, WorkersMixin, AdminMixin, ControlsMixin):
    """The job store over a DB-API connection; see vidvar.store.base.JobStore."""
