"""Event sinks of the daemon: status.json (its one writer), the log, and systemd's STATUS=."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from vidvar.engine.sdnotify import Notifier
from vidvar.events import (
    EncodeFinished,
    EncodeStarted,
    Event,
    FileFinished,
    FileQueued,
    FileSeen,
    FileStarted,
    JobEvent,
    JobFinished,
    JobRecovered,
    JobReleased,
    JobStarted,
    JobWaiting,
    PhaseChanged,
    Progress,
    SourceDisposed,
)
from vidvar.jobfolder import JobFolder
from vidvar.log import get_logger
from vidvar.mounts import FolderGuard
from vidvar.status import status_document
from vidvar.store import JobStore, State
from vidvar.units import clock

JOB_LEVEL = (JobStarted, JobFinished, JobReleased, JobWaiting, JobRecovered, PhaseChanged)
# File-level events change status.json at most this often; a big batch's document costs more to
# write, so the pause grows with the time the last write took.
MIN_PROGRESS_WRITE_SECONDS = 0.5
WRITE_COST_FACTOR = 20


class StatusSink:
    """The one writer of status.json: on every job event it writes the store's view.

    Progress writes are coalesced (at most every half second, longer for big
    documents) and not fsynced while processing; every other change is written at
    once and durably.
    """

    def __init__(
        self,
        store: JobStore,
        guard: FolderGuard | None = None,
        *,
        held: Callable[[], str | None] = lambda: None,
    ) -> None:
        """`held` says why new files wait daemon-wide (the schedule, a pause), if they do."""
        self.store = store
        self.guard = guard
        self.held = held
        self.log = get_logger(component="status")
        self._lock = threading.Lock()
        self._next_write: dict[str, float] = {}
        self._warned: set[str] = set()

    def handle(self, event: Event) -> None:
        if isinstance(event, FileQueued):
            if event.created and self.held():  # a job that cannot start yet says why
                with self._lock:
                    self.write(event.job_id)
            return
        if not isinstance(event, JobEvent):
            return
        # Job-level changes are written at once; file-level ones (progress, a file
        # finished) are coalesced, which a small job never notices and a 50,000-file
        # batch needs.
        coalesce = not isinstance(event, JOB_LEVEL)
        with self._lock:
            now = time.monotonic()
            if coalesce and now < self._next_write.get(event.job_id, 0.0):
                return
            self.write(event.job_id)
            cost = time.monotonic() - now
            self._next_write[event.job_id] = now + max(
                MIN_PROGRESS_WRITE_SECONDS, WRITE_COST_FACTOR * cost
            )
            if isinstance(event, JobFinished | JobReleased | JobWaiting):
                self._next_write.pop(event.job_id, None)

    def write(self, job_id: str) -> None:
        """Write the job's status.json now (a missing job folder is left alone)."""
        job = self.store.get_job(job_id)
        if job is None:
            return
        folder = JobFolder(job.job_dir, self.guard)
        held = self.held()
        try:
            if held and job.state == State.QUEUED:
                folder.make()  # a job held before it starts says so in its own folder
            folder.write_status(
                status_document(job, self.store.files(job_id), held=held),
                durable=job.state != State.PROCESSING,
            )
        except OSError as exc:
            self._warn_once(job_id, str(exc))
        except Exception as exc:  # ShareGone and kin: the pipeline reacts; we only say so
            self._warn_once(job_id, getattr(exc, "message", str(exc)))
        else:
            self._warned.discard(job_id)

    def write_queued(self, limit: int = 500) -> None:
        """Rewrite the status.json of the newest queued jobs: why they wait (the
        schedule, a pause) changed."""
        for job in self.store.list_jobs(limit=limit):
            if job.state == State.QUEUED:
                with self._lock:
                    self.write(job.id)

    def _warn_once(self, job_id: str, error: str) -> None:
        if job_id not in self._warned:
            self._warned.add(job_id)
            self.log.warning("could not write status.json", job_id=job_id, error=error)


class LogSink:
    """Structured log lines for people reading the journal: what arrived, what runs,
    progress every 10 % or 30 s, and a summary per file and per job."""

    PROGRESS_STEP = 10
    PROGRESS_SECONDS = 30.0

    def __init__(self) -> None:
        self.log = get_logger()
        self._last: dict[int, tuple[int, float]] = {}

    # One handler per event type, chosen by the type itself: mypy checks each pairing,
    # and a renamed event fails loudly instead of silently going unlogged.
    @functools.singledispatchmethod
    def handle(self, event: Event) -> None:
        """Events without a handler below are not logged."""

    @handle.register
    def _on_FileSeen(self, e: FileSeen) -> None:
        self.log.info(
            "file seen; waiting for it to settle",
            watch=e.watch,
            entry=e.entry,
            size=e.size,
            settle_seconds=e.settle_seconds,
        )

    @handle.register
    def _on_FileQueued(self, e: FileQueued) -> None:
        if e.created:
            self.log.info("queued", watch=e.watch, entry=e.entry, job_id=e.job_id, files=e.files)
        else:
            self.log.info("already queued", watch=e.watch, entry=e.entry, job_id=e.job_id)

    @handle.register
    def _on_JobStarted(self, e: JobStarted) -> None:
        self.log.info("job started", job_id=e.job_id, files=e.files, variations=e.variations)

    @handle.register
    def _on_FileStarted(self, e: FileStarted) -> None:
        self._last[e.file_id] = (0, time.monotonic())
        self.log.info("file started", job_id=e.job_id, file_id=e.file_id, file=e.name)

    @handle.register
    def _on_EncodeStarted(self, e: EncodeStarted) -> None:
        self.log.info(
            "ffmpeg started",
            job_id=e.job_id,
            file_id=e.file_id,
            file=e.name,
            pid=e.pid,
            outputs=e.outputs,
        )

    @handle.register
    def _on_EncodeFinished(self, e: EncodeFinished) -> None:
        self.log.info(
            "ffmpeg finished",
            job_id=e.job_id,
            file_id=e.file_id,
            file=e.name,
            outputs=e.outputs,
            seconds=round(e.seconds, 3),
            cpu_seconds=round(e.cpu_seconds, 2) if e.cpu_seconds is not None else None,
        )

    @handle.register
    def _on_Progress(self, e: Progress) -> None:
        step, when = self._last.get(e.file_id, (0, time.monotonic()))
        now = time.monotonic()
        if e.file_progress // self.PROGRESS_STEP > step or now - when >= self.PROGRESS_SECONDS:
            self._last[e.file_id] = (e.file_progress // self.PROGRESS_STEP, now)
            self.log.info(
                "progress",
                job_id=e.job_id,
                file_id=e.file_id,
                file=e.name,
                progress=e.file_progress,
                job_progress=e.job_progress,
                speed=round(e.speed, 2) if e.speed else None,
                eta_seconds=round(e.eta_seconds) if e.eta_seconds is not None else None,
            )

    @handle.register
    def _on_PhaseChanged(self, e: PhaseChanged) -> None:
        self.log.debug("phase", job_id=e.job_id, phase=e.phase, file=e.name or None)

    @handle.register
    def _on_FileFinished(self, e: FileFinished) -> None:
        self._last.pop(e.file_id, None)
        fields: dict[str, Any] = {"job_id": e.job_id, "file_id": e.file_id, "file": e.name}
        if e.state == State.COMPLETED:
            realtime = (
                round(e.media_seconds / e.wall_seconds, 2)
                if e.media_seconds and e.wall_seconds
                else None
            )
            self.log.info(
                "file completed",
                **fields,
                outputs=e.outputs,
                bytes=e.output_bytes,
                seconds=round(e.wall_seconds, 2),
                cpu_seconds=round(e.cpu_seconds, 2) if e.cpu_seconds is not None else None,
                realtime=realtime,
                warning=e.warning,
            )
        elif e.state == State.FAILED:
            self.log.warning("file failed", **fields, error=e.error, detail=e.detail or None)
        else:
            self.log.info(f"file {e.state}", **fields, error=e.error)

    @handle.register
    def _on_SourceDisposed(self, e: SourceDisposed) -> None:
        self.log.info("source disposed", job_id=e.job_id, file=e.name, disposal=e.disposal, to=e.to)

    @handle.register
    def _on_JobWaiting(self, e: JobWaiting) -> None:
        self.log.warning(
            "job waiting; it is retried by itself",
            job_id=e.job_id,
            reason=e.reason,
            retry_in=round(e.retry_in, 1),
        )

    @handle.register
    def _on_JobReleased(self, e: JobReleased) -> None:
        self.log.info("job interrupted; it goes back to the queue", job_id=e.job_id)

    @handle.register
    def _on_JobFinished(self, e: JobFinished) -> None:
        self.log.info(
            "job finished",
            job_id=e.job_id,
            state=e.state,
            files=e.files,
            failed_files=e.failed_files,
            error=e.error,
        )

    @handle.register
    def _on_JobRecovered(self, e: JobRecovered) -> None:
        self.log.warning(
            "recovered a job left by a dead worker",
            job_id=e.job_id,
            state=e.state,
            gave_up=list(e.gave_up) or None,
        )


class SystemdSink:
    """STATUS= for `systemctl status`: the current job, its progress, the queue depth."""

    MIN_INTERVAL = 1.0

    def __init__(
        self, notifier: Notifier, queue_depth: Callable[[], int], idle: Callable[[], str]
    ) -> None:
        self.notifier = notifier
        self.queue_depth = queue_depth
        self.idle = idle
        self._last = 0.0
        self._depth = 0
        self._depth_at = 0.0

    def _queued(self) -> int:
        now = time.monotonic()
        if now - self._depth_at > 5.0:
            self._depth_at = now
            with contextlib.suppress(Exception):  # the store is away: keep the last depth
                self._depth = self.queue_depth()
        return self._depth

    def handle(self, event: Event) -> None:
        if not self.notifier.enabled:
            return
        now = time.monotonic()
        if isinstance(event, Progress):
            if now - self._last < self.MIN_INTERVAL:
                return
            eta = f", ETA {clock(event.eta_seconds)}" if event.eta_seconds is not None else ""
            speed = f", {event.speed:.2f}x" if event.speed else ""
            text = (
                f"encoding {event.name} (job {event.job_id}) {event.file_progress}%"
                f"{speed}{eta}; {self._queued()} queued"
            )
        elif isinstance(event, PhaseChanged) and event.phase:
            text = f"{event.phase} {event.name} (job {event.job_id}); {self._queued()} queued"
        elif isinstance(event, JobWaiting):
            text = f"job {event.job_id} waiting: {event.reason}; {self._queued()} queued"
        elif isinstance(event, JobFinished | JobReleased):
            text = f"{self.idle()}; {self._queued()} queued"
        else:
            return
        self._last = now
        self.notifier.status(text)
