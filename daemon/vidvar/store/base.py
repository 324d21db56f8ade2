"""The job store protocol. Callers speak only to this; adapters speak SQL."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any, Protocol

from vidvar.store.models import (
    Claim,
    FileRecord,
    Job,
    JobChange,
    JobSearch,
    NewJob,
    OutputRecord,
    Pause,
    Recovered,
    Settling,
    WorkerRecord,
)


class JobStore(Protocol):
    """Persistent jobs, files and outputs, with claims fenced by a lease token."""

    def close(self) -> None:
        """Release connections."""

    def check(self) -> None:
        """Raise StoreCorrupt when the database is no longer the one opened."""

    def hold_run_lock(self) -> None:
        """Be the one `vidvar run` of this store until close(); AlreadyRunning names
        the one that is (several `vidvar worker` need no such lock)."""

    def listen(self, wake: Callable[[], None]) -> None:
        """Call `wake` when another process enqueues; a no-op where only polling works."""

    # enqueue and read
    def enqueue(self, new: NewJob) -> tuple[Job, bool]:
        """Queue a job; the same source (key or held identity) returns it and False."""

    def get_job(self, job_ref: str) -> Job | None:
        """A job by id or unique id prefix."""

    def match_jobs(self, job_ref: str, *, limit: int = 10) -> list[Job]:
        """The job with this id, or the jobs whose id starts with it."""

    def jobs_for_source(self, watch: str, source_path: str) -> list[Job]:
        """The jobs queued from `source_path` of hot folder `watch`, newest first."""

    def search_jobs(self, search: JobSearch) -> tuple[list[Job], int]:
        """One page of history matching `search`, newest first, and how many match."""

    def list_jobs(self, *, limit: int = 50) -> list[Job]:
        """Newest jobs first."""

    def changed_jobs(self, since: float, *, limit: int = 500) -> list[Job]:
        """Jobs updated after `since`, oldest change first."""

    def files(self, job_id: str, *, with_outputs: bool = True) -> list[FileRecord]:
        """The files of a job in order, with their outputs."""

    def file_counts(self, job_id: str) -> dict[str, int]:
        """Number of a job's files per state."""

    def file_totals(self) -> tuple[dict[str, int], dict[str, float]]:
        """Files per state, and work totals (variations, job_seconds, video_seconds)."""

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

    def recover(
        self,
        *,
        max_attempts: int,
        is_dead: Callable[[WorkerRecord], bool],
        keep: Collection[str] = (),
    ) -> list[Recovered]:
        """Put back work left `processing` by workers that died (never `keep`'s)."""

    # claim and the owner's writes (fenced)
    def claim(self, worker_id: str) -> Claim | None:
        """Take the oldest queued job that is not waiting, or None."""

    def is_cancel_requested(self, claim: Claim) -> bool:
        """True when someone asked to cancel the claimed job; LostClaim when it was taken."""

    def start_file(self, claim: Claim, file_id: int) -> None:
        """File → processing."""

    def set_file_duration(self, claim: Claim, file_id: int, duration: float) -> None:
        """Store the probed duration."""

    def set_phase(self, claim: Claim, phase: str | None) -> None:
        """What the job is doing now."""

    def set_progress(
        self,
        claim: Claim,
        file_id: int,
        file_progress: int,
        job_progress: int,
        *,
        speed: float | None = None,
        eta_seconds: float | None = None,
    ) -> None:
        """Store file and job progress percent, speed and ETA."""

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
        """File → completed, failed or cancelled."""

    def requeue_file(self, claim: Claim, file_id: int, *, count_attempt: bool = False) -> None:
        """The file goes back to queued; its outputs are forgotten."""

    def note_source_changed(self, claim: Claim, file_id: int, signature: str) -> None:
        """The source changed after it settled."""

    def set_source_path(self, claim: Claim, file_id: int, path: str) -> None:
        """The source was found under another name."""

    def adopt_identity(self, claim: Claim, file_id: int, identity: str, signature: str) -> None:
        """Record which file the source is (a file queued without one)."""

    def mark_disposed(self, claim: Claim, file_id: int, where: str, disposal: str) -> None:
        """Remember where the source went."""

    def finish_job(self, claim: Claim, state: str, error: str | None = None) -> None:
        """Job → terminal state; the claim ends."""

    def release_job(
        self, claim: Claim, *, waiting_reason: str | None = None, retry_in: float = 0.0
    ) -> None:
        """Give the job back to the queue (to wait `retry_in` s with a reason); the claim ends."""

    # operator actions
    def request_cancel(self, job_id: str) -> str:
        """Cancel a queued job at once, or flag a running one; returns the new state."""

    def set_verdict(
        self,
        job_id: str,
        name: str,
        variation: int,
        verdict: str | None,
        format: str = "source",
    ) -> bool:
        """Record a person's verdict on one output (None clears it); False if none such."""

    def retry(self, job_id: str) -> int:
        """Re-queue the failed and cancelled files of a finished job; wake a waiting one."""

    # retention and settling
    def expired_jobs(self, cutoff: float, *, limit: int = 200) -> list[Job]:
        """Finished jobs older than `cutoff` not yet purged."""

    def mark_job_purged(self, job_id: str) -> None:
        """Retention removed this job's folder."""

    def expired_archives(self, watch: str, cutoff: float, *, limit: int = 500) -> list[FileRecord]:
        """Sources archived before `cutoff`, not yet deleted."""

    def mark_archive_purged(self, file_id: int) -> None:
        """Retention deleted this archived source."""

    def set_settling(
        self, owner: str, watch: str, seen: Iterable[Settling], gone: Iterable[str]
    ) -> None:
        """Record entries now settling, forget those gone."""

    def clear_settling(self, owner: str, watch: str | None = None) -> None:
        """Forget the settling entries recorded by `owner`."""

    def settling(self, *, limit: int = 100) -> tuple[list[Settling], int]:
        """Entries settling in the inboxes of live workers, and their count."""

    # job events
    def job_events(self, after: int, *, limit: int = 1000) -> list[JobChange]:
        """Changes numbered above `after`, in order."""

    def last_event(self) -> int:
        """The number of the latest change."""

    def prune_events(self, keep: int = 20_000) -> None:
        """Forget all but the latest `keep` changes."""

    # controls
    def set_pause(self, pause: Pause) -> None:
        """Hold new files (with `pause.now`, stop running encodes) until `pause.until`."""

    def clear_pause(self) -> bool:
        """Resume; False when nothing was paused."""

    def pause(self, now: float | None = None) -> Pause | None:
        """The pause in force (an expired one is None)."""
