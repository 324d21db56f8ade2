"""The job model shared by every store adapter and its callers."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from vidvar.errors import LostClaim, StoreUnavailable

__all__ = ["LostClaim", "StoreUnavailable"]


class State(StrEnum):
    """The five states of a job and of a file (scripts rely on these strings)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    """What a processing job is doing now (status.json `phase`)."""

    ENCODING = "encoding"
    VERIFYING = "verifying"
    MEASURING = "measuring"
    CANCELLING = "cancelling"
    WAITING = "waiting"


TERMINAL_STATES: frozenset[str] = frozenset({State.COMPLETED, State.FAILED, State.CANCELLED})
ACTIVE_STATES: frozenset[str] = frozenset({State.QUEUED, State.PROCESSING})


def new_job_id() -> str:
    """Short random ids: easy to type as a prefix, unique enough across machines."""
    return secrets.token_hex(6)


@dataclass(frozen=True)
class NewFile:
    """A source video to put into a job: absolute path and its name inside the job."""

    path: str
    name: str
    stem: str = ""  # output name stem inside the job folder (see vidvar.jobfolder)
    identity: str | None = None  # "device:inode" of the settled file
    signature: str | None = None  # "size:mtime_ns" of the settled file


@dataclass(frozen=True)
class NewJob:
    """What the watcher or `vidvar enqueue` asks the store to queue."""

    watch: str
    source_path: str
    source_key: str  # identity of this source instance: same key, same job
    kind: Literal["file", "batch"]
    job_dir: str  # the final job folder (vidvar.jobfolder names it)
    variations: int
    profile: str
    encoder: str
    files: tuple[NewFile, ...]
    origin: Literal["inbox", "manual"] = "inbox"
    id: str = field(default_factory=lambda: new_job_id())
    problem: str | None = None  # why every file fails at once (a batch's bad vidvar.yaml)
    placement: dict[str, Any] | None = None  # formats and HDR handling (config.placement)


@dataclass(frozen=True)
class Job:
    """A job as stored."""

    id: str
    watch: str
    source_path: str
    source_key: str
    kind: str
    origin: str
    job_dir: str
    variations: int
    profile: str
    encoder: str
    state: str
    progress: int
    attempts: int
    error: str | None
    cancel_requested: bool
    worker_id: str | None
    lease_token: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    updated_at: float
    phase: str | None = None  # encoding, verifying, measuring, cancelling, waiting
    waiting_reason: str | None = None  # why a queued job waits (an environmental cause)
    not_before: float | None = None  # a waiting job is claimed again from then on
    purged_at: float | None = None  # when retention removed its folder
    problem: str | None = None  # every file fails with this (a batch's bad vidvar.yaml)
    placement: dict[str, Any] | None = None  # formats and HDR handling (config.placement)


VERDICTS = ("approved", "rejected")


@dataclass(frozen=True)
class JobSearch:
    """What the history asks for: a piece of the name, a state, a hot folder, a time
    span (epoch seconds), and which page."""

    name: str | None = None
    state: str | None = None
    watch: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class OutputRecord:
    """One verified output of a file."""

    variation: int
    path: str  # relative to the job folder
    size: int
    effects: dict[str, Any]
    seed: int
    figures: dict[str, Any] | None = None  # measured distances (see vidvar.quality.figures)
    verdict: str | None = None  # a person's review: approved, rejected, or None
    format: str = "source"  # the placement format's aspect ("source", "9:16", …)
    placement: dict[str, Any] | None = None  # width, height, fit, framing (None: source)


@dataclass(frozen=True)
class FileRecord:
    """One source file of a job, with its outputs."""

    id: int
    job_id: str
    position: int
    source_path: str
    name: str
    state: str
    progress: int
    duration: float | None
    completed_variations: int
    error: str | None
    attempts: int
    ffmpeg_pid: int | None
    ffmpeg_started_at: float | None
    disposed_to: str | None
    warning: str | None = None
    figures: dict[str, Any] | None = None  # per-file summary of the outputs' figures
    outputs: tuple[OutputRecord, ...] = field(default_factory=tuple)
    stem: str | None = None
    source_identity: str | None = None  # "device:inode" when it settled
    source_sig: str | None = None  # "size:mtime_ns" when it settled
    speed: float | None = None  # × realtime of the running encode
    eta_seconds: float | None = None
    disposal: str | None = None  # archived, deleted, kept, failed, missing
    disposed_at: float | None = None
    changes: int = 0  # times the source changed while it was processed


@dataclass(frozen=True)
class Claim:
    """Proof that a worker owns a job; every write on the job is fenced by it."""

    job_id: str
    worker_id: str
    token: str


@dataclass(frozen=True)
class WorkerRecord:
    """A registered worker process and its last heartbeat."""

    id: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    job_id: str | None
    info: dict[str, Any]

    def beat_age(self, now: float | None = None) -> float:
        """Seconds since its last heartbeat."""
        return (time.time() if now is None else now) - self.heartbeat_at

    def alive(self, lease_seconds: float, now: float | None = None) -> bool:
        """The one liveness rule that status, health, the page and metrics show: a
        worker is alive while its last heartbeat is at most a lease old. (Recovery
        judges death more carefully, see engine.worker.Worker._is_dead.)"""
        return self.beat_age(now) <= lease_seconds


@dataclass(frozen=True)
class Pause:
    """A pause set by a person: new files wait until `until` (None: until resumed);
    with `now`, running encodes were stopped and their files put back in the queue."""

    until: float | None
    now: bool
    by: str  # "cli" or "page"
    at: float

    def active(self, moment: float) -> bool:
        """True while the pause holds at `moment`."""
        return self.until is None or moment < self.until

    def describe(self) -> str:
        """`paused by request until 21:30`, `paused by request`."""
        if self.until is None:
            return "paused by request (vidvar resume, or the page, ends it)"
        return f"paused by request until {time.strftime('%a %H:%M', time.localtime(self.until))}"


@dataclass(frozen=True)
class Recovered:
    """A job put back by recovery, with what the caller must clean on disk."""

    job: Job
    interrupted: tuple[FileRecord, ...]  # files that were mid-encode when their worker died
    gave_up: tuple[str, ...]  # names of files failed for too many attempts


@dataclass(frozen=True)
class Settling:
    """A file or folder seen in an inbox, waiting to stop changing before it is queued."""

    watch: str
    name: str
    size: int
    seen_at: float
    settles_at: float


@dataclass(frozen=True)
class JobChange:
    """One change of a job's state, phase, progress or waiting reason, numbered in order."""

    seq: int
    job_id: str
    at: float
    state: str
    phase: str | None
    progress: int
    waiting_reason: str | None
