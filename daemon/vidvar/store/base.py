"""The job store protocol. Callers speak only to this; adapters speak SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from vidvar.store.models import (
    Claim,
    FileRecord,
    Job,
    NewJob,
    OutputRecord,
    Recovered,
    WorkerRecord,
)


class JobStore(Protocol):
    """Persistent jobs, files and outputs, with claims fenced by a lease token."""

    def close(self) -> None:
        """Release connections."""

    def listen(self, wake: Callable[[], None]) -> None:
        """Call `wake` when another process enqueues; a no-op where only polling works."""

    # enqueue and read
    def enqueue(self, new: NewJob) -> tuple[Job, bool]:
        """Queue a job; the same source_key returns the existing job and False."""

    def get_job(self, job_ref: str) -> Job | None:
        """A job by id or unique id prefix."""

    def list_jobs(self, *, limit: int = 50, states: Sequence[str] | None = None) -> list[Job]:
        """Newest jobs first."""

    def files(self, job_id: str, *, with_outputs: bool = True) -> list[FileRecord]:
        """The files of a job in order, with their outputs."""

    def counts(self) -> dict[str, int]:
        """Number of jobs per state."""

    # workers
    def register_worker(self, worker_id: str, host: str, pid: int) -> None:
        """Record a live worker."""

    def heartbeat(self, worker_id: str, info: dict[str, Any] | None = None) -> None:
        """Renew the worker's lease on its jobs and publish its health."""

    def unregister_worker(self, worker_id: str) -> None:
        """Forget a worker that stopped cleanly."""

    def workers(self) -> list[WorkerRecord]:
        """Registered workers."""

    # claim and progress (fenced)
    def claim(self, worker_id: str) -> Claim | None:
        """Take the oldest queued job, or None."""

    def is_cancel_requested(self, claim: Claim) -> bool:
        """True when someone asked to cancel the claimed job; LostClaim when it was taken."""

    def start_file(self, claim: Claim, file_id: int) -> None:
        """File → processing."""

    def set_file_duration(self, claim: Claim, file_id: int, duration: float) -> None:
        """Store the probed duration."""

    def set_progress(
        self, claim: Claim, file_id: int, file_progress: int, job_progress: int
    ) -> None:
        """Store file and job progress percent."""

    def set_ffmpeg(
        self, claim: Claim, file_id: int, pid: int | None, started_at: float | None
    ) -> None:
        """Store (or clear) the pid of the running ffmpeg."""

    def add_output(self, claim: Claim, file_id: int, output: OutputRecord) -> None:
        """Record a verified output and count it."""

    def finish_file(
        self,
        claim: Claim,
        file_id: int,
        state: str,
        error: str | None = None,
        warning: str | None = None,
        figures: dict[str, Any] | None = None,
    ) -> None:
        """File → completed, failed or cancelled (with its outputs' summary figures)."""

    def requeue_file(self, claim: Claim, file_id: int) -> None:
        """An interrupted file goes back to queued; its outputs are forgotten."""

    def mark_disposed(self, claim: Claim, file_id: int, where: str) -> None:
        """Remember where the source went, so disposal runs once."""

    def finish_job(self, claim: Claim, state: str, error: str | None = None) -> None:
        """Job → terminal state; the claim ends."""

    def release_job(self, claim: Claim) -> None:
        """Give the job back to the queue (clean shutdown); the claim ends."""

    # operator actions
    def request_cancel(self, job_id: str) -> str:
        """Cancel a queued job at once, or flag a running one; returns the new state."""

    def retry(self, job_id: str) -> int:
        """Re-queue the failed and cancelled files of a finished job; returns how many."""

    def recover(
        self, *, lease_seconds: float, max_attempts: int, is_dead: Callable[[WorkerRecord], bool]
    ) -> list[Recovered]:
        """Put back work left `processing` by workers that died."""
