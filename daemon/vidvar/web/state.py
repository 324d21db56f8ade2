"""What the web app holds: the config, the store, who may sign in, recent uploads."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from vidvar.config import Config
from vidvar.store import JobStore
from vidvar.web.security import Sessions

MAX_UPLOADS_KEPT = 1000


@dataclass(frozen=True)
class PlacedUpload:
    """An upload put into an inbox: where, and the jobs of that path before it (its own
    job is the one that is not among them; no clock is compared)."""

    watch: str
    source_path: str  # the file or folder in the inbox
    earlier: frozenset[str]


@dataclass
class UploadLedger:
    """Recent uploads by id, so that the page follows exactly its own job (an older job
    of the same name is never it). Kept in memory, the newest MAX_UPLOADS_KEPT."""

    entries: OrderedDict[str, PlacedUpload] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, watch: str, source_path: str, earlier: frozenset[str]) -> str:
        """Record a placed upload; its id."""
        upload_id = secrets.token_hex(8)
        with self.lock:
            self.entries[upload_id] = PlacedUpload(watch, source_path, earlier)
            while len(self.entries) > MAX_UPLOADS_KEPT:
                self.entries.popitem(last=False)
        return upload_id

    def get(self, upload_id: str) -> PlacedUpload | None:
        """The upload of that id, if it is still remembered."""
        with self.lock:
            return self.entries.get(upload_id)


@dataclass
class WebState:
    """Shared by every request of one web app."""

    config: Config
    store: JobStore
    sessions: Sessions
    open_access: bool  # on this machine only and without a password: no sign-in
    uploads: UploadLedger = field(default_factory=UploadLedger)
