"""What the web app holds: the config, the store, who may sign in."""

from __future__ import annotations

from dataclasses import dataclass

from vidvar.config import Config
from vidvar.store import JobStore
from vidvar.web.security import Sessions


@dataclass
class WebState:
    """Shared by every request of one web app."""

    config: Config
    store: JobStore
    sessions: Sessions
    open_access: bool  # on this machine only and without a password: no sign-in
