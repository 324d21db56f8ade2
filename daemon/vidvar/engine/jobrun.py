"""One claimed job: its files in order, then disposal of the sources, the preview
sheet and the job's end.

A job ends completed (at least one file completed), failed (every file failed)
or cancelled; or it goes back to the queue: at shutdown, or to wait (with the
reason shown) while an environmental cause holds it.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from typing import assert_never

from vidvar import beneath
from vidvar.config import WatchConfig
from vidvar.engine.context import Context, FileContext, Interrupted, JobCancelled, JobTally
from vidvar.engine.filerun import FileRun
from vidvar.engine.outcome import Completed, Failed, FileOutcome, Halted, Requeue, StopReason
from vidvar.errors import EnvironmentProblem, LostClaim, StoreUnavailable, environment_problem
from vidvar.events import JobFinished, JobReleased, JobStarted, JobWaiting, SourceDisposed
from vidvar.inbox.disposition import dispose
from vidvar.inbox.intake import BATCH_CONFIG
from vidvar.jobfolder import JobFolder, stems_of
from vidvar.log import get_logger
from vidvar.quality.preview import write_preview
from vidvar.store import Claim, FileRecord, Job, State
from vidvar.store.models import TERMINAL_STATES


class JobRun:
    """Runs one claimed job to its end or back into the queue."""

    def __init__(self, ctx: Context, claim: Claim, backoff: Callable[[str], float]) -> None:
        self.ctx = ctx
        self.claim = claim
        self.backoff = backoff
        self.store = ctx.store
        self.log = get_logger(job_id=claim.job_id)

    def run(self) -> str:
        """Process the job; returns its state afterwards (`queued` when it went back)."""
        job = self.store.get_job(self.claim.job_id)
        assert job is not None
        folder = JobFolder(job.job_dir, self.ctx.guard)
        try:
            try:
                folder.prepare()
                folder.remove_temp_outputs()
            except OSError as exc:
                raise environment_problem(
                    exc, "create the job folder in the output folder"
                ) from None
            files = self.store.files(job.id, with_outputs=False)
            self.ctx.bus.emit(JobStarted(job.id, len(files), job.variations))
            self._files(job, folder, files)
            return self._finish(job, folder)
        except Interrupted:
            folder.tidy()
            self.store.release_job(self.claim)
            self.ctx.bus.emit(JobReleased(job.id))
            return State.QUEUED
        except JobCancelled:
            return self._cancelled(job, folder)
        except LostClaim:
            self.log.warning("lost the claim on this job; leaving it to its new owner")
            return "lost"
        except StoreUnavailable:
            raise
        except EnvironmentProblem as problem:
            wait = problem.retry_in if problem.retry_in is not None else self.backoff(job.id)
            folder.tidy()
            self.store.release_job(self.claim, waiting_reason=problem.message, retry_in=wait)
            self.log.debug("environmental problem", detail=problem.detail or None)
            self.ctx.bus.emit(JobWaiting(job.id, problem.message, wait))
            return State.QUEUED
        finally:
            folder.close()

    def _files(self, job: Job, folder: JobFolder, files: list[FileRecord]) -> None:
        stems = stems_of(files)
        tally = JobTally(files)
        for record in files:
            if record.state in TERMINAL_STATES:
                continue
            if job.problem:  # the batch's own settings are unusable: each file says so
                self.store.start_file(self.claim, record.id)
                self.store.finish_file(self.claim, record.id, State.FAILED, job.problem)
                continue
            self._check_stop()
            file = FileContext(
                self.ctx, self.claim, job, record.id, record.name, stems[record.id], folder, tally
            )
            run = FileRun(file, record)
            self._apply(run, run.run())

    def _apply(self, run: FileRun, outcome: FileOutcome) -> None:
        """Make a file's end so: in the store, on disk and in the events. An end that
        stops the whole job (a requeue, a stop) is raised for run() to finish it."""
        file_id = run.record.id
        match outcome:
            case Completed():
                self.store.finish_file(
                    self.claim, file_id, State.COMPLETED, warning=outcome.warning,
                    figures=outcome.figures,
                )  # fmt: skip
                run.finished(
                    State.COMPLETED,
                    warning=outcome.warning,
                    outputs=outcome.outputs,
                    output_bytes=outcome.output_bytes,
                    cpu_seconds=outcome.cpu_seconds,
                    media_seconds=outcome.media_seconds,
                )
            case Failed():
                run.discard()
                self.store.finish_file(self.claim, file_id, State.FAILED, outcome.note)
                run.finished(State.FAILED, error=outcome.note, detail=outcome.detail)
            case Requeue():
                run.discard()
                self.store.requeue_file(self.claim, file_id, count_attempt=outcome.count_attempt)
                raise EnvironmentProblem(outcome.reason, outcome.detail, retry_in=outcome.delay)
            case Halted():
                self._halt(run, outcome.reason)
            case _:
                assert_never(outcome)

    def _halt(self, run: FileRun, reason: StopReason) -> None:
        match reason:
            case StopReason.LOST:
                raise LostClaim("the claim on this job was lost")  # touch nothing of it
            case StopReason.CANCEL:
                run.discard()
                self.store.finish_file(
                    self.claim, run.record.id, State.CANCELLED, "cancelled by request"
                )
                raise JobCancelled("cancelled by request")
            case StopReason.SHUTDOWN | StopReason.PAUSE:
                run.discard()
                self.store.requeue_file(self.claim, run.record.id)  # not the file's fault
                raise Interrupted(f"stopped for a {reason}")
            case _:
                assert_never(reason)

    def _check_stop(self) -> None:
        stop = self.ctx.stop
        if stop.is_set() and stop.reason in (StopReason.SHUTDOWN, StopReason.PAUSE):
            raise Interrupted(f"stopped for a {stop.reason}")
        if stop.reason == StopReason.LOST:
            raise LostClaim("the claim on this job was lost")
        if stop.reason == StopReason.CANCEL or self.store.is_cancel_requested(self.claim):
            raise JobCancelled("cancelled by request")

    def _watch(self, job: Job) -> WatchConfig | None:
        try:
            return self.ctx.config.watch(job.watch)
        except KeyError:
            return None

    def _dispose(self, job: Job) -> None:
        """Move every finished source where it belongs (once; a failure waits)."""
        watch = self._watch(job)
        if job.origin != "inbox" or watch is None:
            return
        for record in self.store.files(job.id, with_outputs=False):
            if record.disposal is not None or record.state not in (State.COMPLETED, State.FAILED):
                continue
            done = dispose(record, watch, job.id, guard=self.ctx.guard)
            self.store.mark_disposed(self.claim, record.id, done.where, done.kind)
            self.ctx.bus.emit(SourceDisposed(job.id, record.name, done.kind, done.where))
        if job.kind == "batch":
            top = beneath.relative_to(job.source_path, watch.inbox)
            if top:  # never outside the inbox
                self._move_batch_settings(job, top, watch)
                beneath.remove_empty_tree(watch.inbox, top)

    def _move_batch_settings(self, job: Job, top: tuple[str, ...], watch: WatchConfig) -> None:
        """A batch's own vidvar.yaml goes where its sources went (archive, else failed)."""
        settings = (*top, BATCH_CONFIG)
        try:
            if not stat.S_ISREG(beneath.entry_stat(watch.inbox, settings).st_mode):
                return
        except OSError:
            return
        disposals = {f.disposal for f in self.store.files(job.id, with_outputs=False)}
        folder = (
            watch.archive_dir
            if "archived" in disposals
            else watch.failed_dir
            if "failed" in disposals
            else None
        )
        if folder is not None:
            try:
                beneath.move(watch.inbox, settings, folder, settings)
            except OSError as exc:
                raise environment_problem(exc, "move the batch's vidvar.yaml") from None

    def _finish(self, job: Job, folder: JobFolder) -> str:
        self._dispose(job)
        files = self.store.files(job.id)
        if self.ctx.config.distinctness.preview:
            # From the thumbnails the encodes left; the sources are not read again.
            write_preview(folder, files, self.log)
        folder.clean_work()
        failed = sum(1 for f in files if f.state == State.FAILED)
        completed = sum(1 for f in files if f.state == State.COMPLETED)
        if completed:
            state, error = State.COMPLETED, None
        else:
            state = State.FAILED
            errors = {f.error for f in files if f.error}
            error = errors.pop() if len(errors) == 1 else f"all {len(files)} files failed"
        self.store.finish_job(self.claim, state, error)
        self.ctx.bus.emit(JobFinished(job.id, state, error, len(files), failed, job.watch))
        return state

    def _cancelled(self, job: Job, folder: JobFolder) -> str:
        for record in self.store.files(job.id, with_outputs=False):
            if record.state in (State.QUEUED, State.PROCESSING):
                self.store.finish_file(
                    self.claim, record.id, State.CANCELLED, "cancelled by request"
                )
        self.store.finish_job(self.claim, State.CANCELLED, "cancelled by request")
        folder.clean_work()
        files = self.store.file_counts(job.id)
        self.ctx.bus.emit(
            JobFinished(
                job.id,
                State.CANCELLED,
                "cancelled by request",
                sum(files.values()),
                files.get(State.FAILED, 0),
                job.watch,
            )
        )
        return State.CANCELLED
