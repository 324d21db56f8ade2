"""Hot folders → jobs. Events are hints; the folder is the truth.

Each inbox has an observer (inotify, or polling on network mounts) whose events
only name a top-level entry to look at. A settle check turns an entry into a job
once its size and mtime (a whole dropped folder's, for a batch) stayed unchanged
for `settle_seconds`; a reconcile scan at start and every `scan_interval` finds
whatever events missed.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from vidvar.config import Config, WatchConfig
from vidvar.events import EventBus, FileQueued, FileSeen
from vidvar.inbox.ignore import is_junk_name, is_video_candidate, videos_under
from vidvar.inbox.intake import (
    Signature,
    batch_settings,
    file_signature,
    folder_signature,
    make_job,
    settles_at,
    source_key,
)
from vidvar.log import get_logger
from vidvar.mounts import fstype_of, is_network_fstype
from vidvar.store import JobStore, Settling

# A dropped folder is walked again at most this many times its last walk's cost,
# so a 50,000-file folder does not keep a core busy while it settles.
WALK_COST_FACTOR = 5


@dataclass
class _Pending:
    signature: Signature | None
    stable_since: float
    seen_at: float  # wall clock, for `vidvar status`
    size: int = 0
    walked_at: float = 0.0
    walk_cost: float = 0.0
    published: float = 0.0  # the settles_at last recorded in the store


class _Hints(FileSystemEventHandler):
    """Turns any event under the inbox into the name of its top-level entry."""

    def __init__(self, inbox: Path) -> None:
        self.inbox = inbox
        self.lock = threading.Lock()
        self.names: set[str] = set()

    def _note(self, raw: str | bytes) -> None:
        path = os.fsdecode(raw)
        try:
            rel = Path(path).relative_to(self.inbox)
        except ValueError:
            return
        if rel.parts:
            with self.lock:
                self.names.add(rel.parts[0])

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._note(event.src_path)
        dest = getattr(event, "dest_path", "")
        if dest:  # a rename from clip.mp4.part to clip.mp4 lands here
            self._note(dest)

    def take(self) -> set[str]:
        with self.lock:
            names, self.names = self.names, set()
        return names


class FolderWatcher:
    """One hot folder: its observer, settle tracking and reconcile scans."""

    def __init__(
        self,
        watch: WatchConfig,
        extensions: tuple[str, ...],
        store: JobStore,
        wake: threading.Event,
        bus: EventBus | None = None,
        owner: str = "",
        config: Config | None = None,
    ) -> None:
        self.watch = watch
        self.config = config  # for a batch's own vidvar.yaml (its profile must exist)
        self.extensions = extensions
        self.store = store
        self.wake = wake
        self.bus = bus or EventBus()
        self.owner = owner  # the worker id settling entries are recorded under
        self._unpublished: set[str] = set()  # settling entries gone since the last publish
        self.log = get_logger(watch=watch.name, inbox=str(watch.inbox))
        self.hints = _Hints(watch.inbox)
        self.observer: Any = None
        self.observer_kind = ""
        self.pending: dict[str, _Pending] = {}
        self.done: dict[str, Signature] = {}  # entries already queued, by signature
        self.inbox_missing = False
        self.next_scan = 0.0

    # -- observer ---------------------------------------------------------------

    def _choose_observer(self) -> str:
        if self.watch.observer != "auto":
            return self.watch.observer
        fstype = fstype_of(self.watch.inbox)
        return "polling" if is_network_fstype(fstype) else "native"

    def start_observer(self) -> None:
        """Start (or restart) the observer; inotify exhaustion falls back to polling."""
        self.stop_observer()
        kind = self._choose_observer()
        for attempt in (kind, "polling"):
            observer: Any = (
                PollingObserver(timeout=self.watch.polling_interval)
                if attempt == "polling"
                else Observer()
            )
            try:
                observer.schedule(self.hints, str(self.watch.inbox), recursive=True)
                observer.start()
            except OSError as exc:
                if attempt == "polling":
                    raise
                level = (
                    "inotify watch limit reached"
                    if exc.errno in (errno.ENOSPC, errno.EMFILE)
                    else f"native observer failed ({exc})"
                )
                self.log.warning(
                    f"{level}; falling back to polling",
                    hint="raise fs.inotify.max_user_watches to use inotify",
                )
                continue
            self.observer, self.observer_kind = observer, attempt
            self.log.info("watching", observer=attempt)
            return

    def stop_observer(self) -> None:
        """Stop the observer thread if it runs."""
        if self.observer is not None:
            try:
                self.observer.stop()
                self.observer.join(timeout=5)
            except Exception as exc:  # a dead observer may fail to stop; it is replaced anyway
                self.log.debug("observer stop failed", error=str(exc))
            self.observer = None

    # -- the periodic duty --------------------------------------------------------

    def tick(self, now: float) -> None:
        """Supervise, take hints, rescan when due, enqueue what settled."""
        if not self.watch.inbox.is_dir():
            if not self.inbox_missing:
                self.inbox_missing = True
                self.stop_observer()
                self.log.warning("inbox is missing (share unmounted?); waiting for it to return")
            return
        if self.inbox_missing or self.observer is None:
            if self.inbox_missing:
                self.log.info("inbox is back; watching again")
            self.inbox_missing = False
            self.start_observer()
            self.next_scan = 0.0
        elif not self.observer.is_alive():
            self.log.warning("observer died; restarting it")
            self.start_observer()
            self.next_scan = 0.0
        for name in self.hints.take():
            self._consider(name, now)
        if now >= self.next_scan:
            self.scan(now)
            self.next_scan = now + self.watch.scan_interval
        self._settle(now)
        self.publish()

    def scan(self, now: float) -> None:
        """Reconcile: every top-level entry of the inbox not yet queued becomes pending."""
        try:
            names = [e.name for e in os.scandir(self.watch.inbox)]
        except OSError as exc:
            self.log.warning("cannot list the inbox", error=str(exc))
            return
        present = set(names)
        for gone in [n for n in self.done if n not in present]:
            del self.done[gone]
        for name in names:
            self._consider(name, now)

    def _consider(self, name: str, now: float) -> None:
        if name in self.pending or is_junk_name(name):
            return
        path = self.watch.inbox / name
        signature = self._signature(path)
        if signature is None or self.done.get(name) == signature:
            return
        size = _size(path, signature)
        self.pending[name] = _Pending(signature, now, time.time(), size, walked_at=now)
        self.bus.emit(FileSeen(self.watch.name, name, size, self.watch.settle_seconds))

    def _signature(self, path: Path) -> Signature | None:
        """What must stay unchanged for the entry to count as fully written."""
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISDIR(st.st_mode):
            return folder_signature(path)
        if not is_video_candidate(path, self.watch.inbox, self.extensions):
            return None
        return file_signature(path)

    def _settle(self, now: float) -> None:
        for name, entry in list(self.pending.items()):
            path = self.watch.inbox / name
            if entry.signature and entry.signature[0] == "dir":
                if now - entry.walked_at < WALK_COST_FACTOR * entry.walk_cost:
                    continue  # a big folder: walked again once its last walk has paid off
                began = time.monotonic()
                signature = self._signature(path)
                entry.walked_at, entry.walk_cost = now, time.monotonic() - began
            else:
                signature = self._signature(path)
            if signature is None:
                del self.pending[name]
                self._unpublished.add(name)
                continue
            if signature != entry.signature:
                entry.signature, entry.stable_since = signature, now
                entry.size = _size(path, signature)
                continue
            if now - entry.stable_since < self.watch.settle_seconds:
                continue
            del self.pending[name]
            self._unpublished.add(name)
            self._enqueue(path, signature)

    def publish(self) -> None:
        """Record the entries now settling in the store, so `vidvar status` shows them."""
        if not self.owner:
            return
        changed = []
        for name, entry in self.pending.items():
            due = settles_at(entry.stable_since, self.watch.settle_seconds)
            if abs(due - entry.published) > 1.0:
                entry.published = due
                changed.append(Settling(self.watch.name, name, entry.size, entry.seen_at, due))
        gone = [n for n in self._unpublished if n not in self.pending]
        self._unpublished.clear()
        if changed or gone:
            self.store.set_settling(self.owner, self.watch.name, changed, gone)

    def _enqueue(self, path: Path, signature: Signature) -> None:
        name = path.name
        if signature[0] == "dir":
            files = videos_under(path, self.watch.inbox, self.extensions)
            if not files:
                self.done[name] = signature  # nothing to do until the folder changes
                return
            settings = batch_settings(path, self.config) if self.config else None
        else:
            files = [path]
            settings = None
        job, created = self.store.enqueue(
            make_job(
                self.watch, path, files, source_key(self.watch.name, signature), settings=settings
            )
        )
        self.done[name] = signature
        if created:
            self.wake.set()
        self.bus.emit(FileQueued(self.watch.name, name, job.id, len(files), created))


def _size(path: Path, signature: Signature) -> int:
    if signature[0] == "dir":
        return int(signature[1])  # files in the folder
    return int(signature[2])


class WatchService:
    """Runs every FolderWatcher's duty from one thread."""

    def __init__(
        self,
        config: Config,
        store: JobStore,
        bus: EventBus,
        wake: threading.Event,
        *,
        owner: str = "",
    ) -> None:
        self.store = store
        self.bus = bus
        self.owner = owner
        self.wake = wake
        self.watchers: dict[str, FolderWatcher] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Add, drop or replace hot folders to match `config` (used by reload)."""
        with self._lock:
            wanted = {w.name: w for w in config.watches}
            for name in list(self.watchers):
                if name not in wanted or self.watchers[name].watch != wanted[name]:
                    self.watchers.pop(name).stop_observer()
                    if self.owner:
                        self.store.clear_settling(self.owner, name)
            for name, watch in wanted.items():
                if name not in self.watchers:
                    self.watchers[name] = FolderWatcher(
                        watch,
                        config.extensions,
                        self.store,
                        self.wake,
                        self.bus,
                        self.owner,
                        config,
                    )
            self.interval = max(0.1, min(1.0, min(w.settle_seconds for w in config.watches) / 4))

    def start(self) -> None:
        """Start observers, run the first scan, then keep ticking in a thread."""
        self.tick()
        self._thread = threading.Thread(target=self._run, name="watchers", daemon=True)
        self._thread.start()

    def tick(self) -> None:
        """One round of every watcher's duty."""
        with self._lock:
            watchers = list(self.watchers.values())
        now = time.monotonic()
        for watcher in watchers:
            try:
                watcher.tick(now)
            except Exception:  # one broken share must not stop the others
                watcher.log.exception("watcher tick failed")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def stop(self) -> None:
        """Stop the thread and every observer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            for watcher in self.watchers.values():
                watcher.stop_observer()

    @property
    def alive(self) -> bool:
        """True while the watcher thread runs (before start() counts as alive)."""
        return self._thread is None or self._thread.is_alive()

    @property
    def pending(self) -> int:
        """Entries waiting to settle, over all hot folders."""
        return sum(len(w.pending) for w in self.watchers.values())
