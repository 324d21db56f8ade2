"""What a running job works with: the context, the stop signal, the job's tally, and
the exceptions that end a job's run early."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from vidvar.config import Config
from vidvar.engine.outcome import StopReason
from vidvar.engine.render import Renderer
from vidvar.errors import Stopped
from vidvar.events import EventBus
from vidvar.jobfolder import JobFolder
from vidvar.mounts import FolderGuard
from vidvar.store import Claim, FileRecord, Job, JobStore, State


class Interrupted(Stopped):
    """The daemon is stopping: the job goes back to the queue."""


class JobCancelled(Stopped):
    """Someone asked to cancel the job."""


@dataclass
class StopSignal:
    """Why the current work must stop: shutdown, cancel or a lost claim."""

    event: threading.Event = field(default_factory=threading.Event)
    reason: StopReason | None = None

    def set(self, reason: StopReason) -> None:
        """Stop the running ffmpeg for `reason` (the first reason given wins)."""
        if not self.event.is_set():
            self.reason = reason
            self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


@dataclass(frozen=True)
class Context:
    """What a job's run works with; the config is the one in force at the claim."""

    store: JobStore
    bus: EventBus
    renderer: Renderer
    config: Config
    guard: FolderGuard
    stop: StopSignal


class JobTally:
    """Job progress from the files' progress, without reading every file back."""

    def __init__(self, files: list[FileRecord]) -> None:
        self.total = max(len(files), 1)
        self.done = sum(
            1 for f in files if f.state in (State.COMPLETED, State.FAILED, State.CANCELLED)
        )

    def percent(self, current: int) -> int:
        return int((self.done * 100 + current) / self.total)


@dataclass(frozen=True)
class FileContext:
    """The fixed facts of one file's run, shared by the file run and its reporter (the
    file's record, which can change, stays with the file run alone)."""

    ctx: Context
    claim: Claim
    job: Job
    file_id: int
    name: str
    stem: str
    folder: JobFolder
    tally: JobTally
