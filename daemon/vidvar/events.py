"""Job events: one stream from the watcher and the worker, many sinks.

The pipeline writes facts to the store and then emits an event; sinks (status.json,
the log, systemd's STATUS=, notifications) subscribe and never call back. A sink
that fails is logged and never stops the job.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from vidvar.log import get_logger
from vidvar.store import Phase

PHASES = (Phase.ENCODING, Phase.VERIFYING, Phase.MEASURING, Phase.CANCELLING, Phase.WAITING)


@dataclass(frozen=True)
class Event:
    """Something that happened; `job_id` is None before a job exists."""


@dataclass(frozen=True)
class FileSeen(Event):
    """A new entry in an inbox; it is queued once it stops changing."""

    watch: str
    entry: str
    size: int
    settle_seconds: float


@dataclass(frozen=True)
class FileQueued(Event):
    """An entry settled and is a job now (or already was one)."""

    watch: str
    entry: str
    job_id: str
    files: int
    created: bool


@dataclass(frozen=True)
class JobEvent(Event):
    """An event about one job."""

    job_id: str


@dataclass(frozen=True)
class JobStarted(JobEvent):
    files: int
    variations: int


@dataclass(frozen=True)
class FileStarted(JobEvent):
    file_id: int
    name: str


@dataclass(frozen=True)
class PhaseChanged(JobEvent):
    phase: str | None
    name: str = ""


@dataclass(frozen=True)
class Progress(JobEvent):
    """The running encode moved: percents, speed (× realtime) and ETAs in seconds."""

    file_id: int
    name: str
    file_progress: int
    job_progress: int
    speed: float | None
    eta_seconds: float | None
    job_eta_seconds: float | None


@dataclass(frozen=True)
class EncodeStarted(JobEvent):
    file_id: int
    name: str
    pid: int
    outputs: int


@dataclass(frozen=True)
class EncodeFinished(JobEvent):
    """One ffmpeg run ended well: its own wall time (the rest of a job is orchestration)."""

    file_id: int
    name: str
    outputs: int
    seconds: float
    cpu_seconds: float | None


@dataclass(frozen=True)
class OutputPublished(JobEvent):
    file_id: int
    name: str
    variation: int
    path: str
    size: int


@dataclass(frozen=True)
class FileFinished(JobEvent):
    """A file completed, failed or was cancelled, with what it cost."""

    file_id: int
    name: str
    state: str
    error: str | None = None
    detail: str = ""  # technical detail for the log (ffmpeg's stderr tail)
    warning: str | None = None
    outputs: int = 0
    output_bytes: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float | None = None
    media_seconds: float | None = None  # the source's duration


@dataclass(frozen=True)
class SourceDisposed(JobEvent):
    name: str
    disposal: str  # archived, deleted, kept, failed, missing, replaced
    to: str


@dataclass(frozen=True)
class JobWaiting(JobEvent):
    """An environmental cause holds the job; it is retried by itself in `retry_in` s."""

    reason: str
    retry_in: float


@dataclass(frozen=True)
class JobReleased(JobEvent):
    """The job went back to the queue (the daemon is stopping)."""


@dataclass(frozen=True)
class JobFinished(JobEvent):
    state: str  # completed, failed, cancelled
    error: str | None
    files: int
    failed_files: int
    watch: str = ""


@dataclass(frozen=True)
class JobRecovered(JobEvent):
    state: str
    gave_up: tuple[str, ...] = field(default_factory=tuple)


class Sink(Protocol):
    """Receives every event, on the thread that emitted it; must not block for long."""

    def handle(self, event: Event) -> None:
        """React to one event."""


class EventBus:
    """Delivers each event to every sink in turn; a failing sink is logged and skipped."""

    def __init__(self) -> None:
        self._sinks: list[Sink] = []
        self._lock = threading.Lock()
        self._log = get_logger(component="events")

    def subscribe(self, sink: Sink) -> None:
        """Add a sink (at start, before events flow)."""
        with self._lock:
            self._sinks.append(sink)

    def emit(self, event: Event) -> None:
        """Deliver `event` to every sink."""
        with self._lock:
            sinks = list(self._sinks)
        for sink in sinks:
            try:
                sink.handle(event)
            except Exception:
                self._log.exception(
                    "an event sink failed", sink=type(sink).__name__, event=type(event).__name__
                )
