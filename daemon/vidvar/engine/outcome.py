"""How one file's run ended, as a value: produced in one place (FileRun.run) and
applied in one place (JobRun), instead of a chain of exceptions between them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class StopReason(StrEnum):
    """Why work stopped before its end (the stored strings do not change)."""

    SHUTDOWN = "shutdown"  # the daemon stops: the file goes back, no attempt counted
    CANCEL = "cancel"  # someone cancelled the job
    LOST = "lost"  # another worker holds the job now: touch nothing of it
    PAUSE = "pause"  # `vidvar pause --now`: the file goes back, no attempt counted


@dataclass(frozen=True)
class Completed:
    """Verified outputs are published."""

    warning: str | None
    figures: dict[str, Any] | None
    outputs: int
    output_bytes: int
    cpu_seconds: float | None
    media_seconds: float | None


@dataclass(frozen=True)
class Failed:
    """The file's own problem, in plain words (`detail`: the technical text)."""

    note: str
    detail: str = ""


@dataclass(frozen=True)
class Requeue:
    """Back to the queue for a cause outside the file, after `delay` seconds (None:
    the worker's back-off); `count_attempt` when an unexpected error caused it."""

    reason: str
    delay: float | None
    count_attempt: bool = False
    detail: str = ""


@dataclass(frozen=True)
class Halted:
    """Stopped on request before its end."""

    reason: StopReason


FileOutcome = Completed | Failed | Requeue | Halted
