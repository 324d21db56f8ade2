"""The worker: claim one job at a time, run it, repeat; recover dead workers' jobs.

It runs on its own thread. Stopping, cancelling and a lost claim reach it as a
StopSignal set from outside (the supervisor and its side tasks); it never
looks at signals or timers itself.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Collection

from vidvar.config import Config
from vidvar.config.placement import Placement
from vidvar.engine.context import Context, StopSignal
from vidvar.engine.jobrun import JobRun
from vidvar.engine.outcome import StopReason
from vidvar.engine.render import Renderer
from vidvar.errors import LostClaim, StoreUnavailable
from vidvar.events import EventBus, JobRecovered
from vidvar.ffmpeg.processes import kill_stray_ffmpeg, process_alive_since
from vidvar.ffmpeg.runner import Runner
from vidvar.jobfolder import JobFolder, stems_of
from vidvar.log import get_logger
from vidvar.machine import hostname
from vidvar.mounts import FolderGuard
from vidvar.store import Claim, Job, JobStore, State, WorkerRecord
from vidvar.store.models import TERMINAL_STATES


def new_worker_id() -> str:
    """`host:pid:random`: unique across machines and restarts."""
    return f"{hostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _markers(job: Job) -> list[str]:
    """What an ffmpeg of `job` names in its arguments: the job folder, and the paths
    through the work folder's descriptor in the process that ran it (JobFolder)."""
    markers = [job.job_dir]
    pid = (job.worker_id or "").rsplit(":", 2)[1:2]  # `host:pid:random`, see new_worker_id
    if pid and pid[0].isdigit():
        markers.append(f"/proc/{pid[0]}/fd/")
    return markers


class Worker:
    """Claims and processes jobs until `stop()`; `wake` is set when a job is queued."""

    def __init__(
        self,
        store: JobStore,
        config: Config,
        bus: EventBus,
        guard: FolderGuard,
        *,
        worker_id: str | None = None,
        wake: threading.Event | None = None,
        can_claim: Callable[[], bool] | None = None,
    ) -> None:
        self.store = store
        self.config = config  # replaced on reload; a running job keeps the one it started with
        self.bus = bus
        self.guard = guard
        self.id = worker_id or new_worker_id()
        self.wake = wake or threading.Event()
        self.can_claim = can_claim or (lambda: True)
        self.runner = Runner()
        self.stopping = threading.Event()
        self.signal = StopSignal()
        self.current: Claim | None = None
        self.log = get_logger(worker_id=self.id)
        self._waits: dict[str, int] = {}

    # -- control, from other threads --------------------------------------------------

    def stop(self) -> None:
        """Stop claiming; the running encode is stopped and its file re-queued."""
        self.stopping.set()
        self.signal.set(StopReason.SHUTDOWN)
        self.wake.set()

    def interrupt(self, job_id: str, reason: StopReason) -> None:
        """Stop the running job for `reason` (cancel, lost) if it is `job_id`."""
        current = self.current
        if current is not None and current.job_id == job_id:
            self.signal.set(reason)

    @property
    def current_job(self) -> str | None:
        """The id of the job being processed, if any."""
        current = self.current
        return current.job_id if current else None

    # -- recovery ---------------------------------------------------------------------

    def _is_dead(self, worker: WorkerRecord, *, steady: bool) -> bool:
        """The one rule for "that worker died": on this machine, its process is gone
        (or its pid now belongs to a process started after it registered); on
        another, its heartbeat is older than a lease while our own heartbeats have
        gone through for a whole lease. A pause of this process or a database
        outage makes every heartbeat look old: then nobody is judged dead."""
        if worker.host == hostname():
            return not process_alive_since(worker.pid, worker.started_at)
        stale = time.time() - worker.heartbeat_at > self.config.worker.lease_seconds
        return stale and steady

    def recover(self, keep: Collection[str] = (), *, steady: bool = False) -> int:
        """Re-queue work of dead workers, kill their ffmpeg when it is ours, clean up.
        `keep`: the workers of this process, alive whatever the store says; `steady`:
        our heartbeats have gone through for a whole lease (see _is_dead)."""
        recovered = self.store.recover(
            max_attempts=self.config.worker.max_attempts,
            is_dead=lambda worker: self._is_dead(worker, steady=steady),
            keep={self.id, *keep},
        )
        for item in recovered:
            job = item.job
            folder = JobFolder(job.job_dir, self.guard)
            files = self.store.files(job.id, with_outputs=False)
            stems = stems_of(files)
            for record in item.interrupted:
                if record.ffmpeg_pid and kill_stray_ffmpeg(
                    record.ffmpeg_pid, record.ffmpeg_started_at, _markers(job)
                ):
                    self.log.warning(
                        "killed an ffmpeg left running by a dead worker",
                        job_id=job.id,
                        pid=record.ffmpeg_pid,
                    )
                folder.remove_file_outputs(
                    record.id,
                    stems[record.id],
                    job.variations,
                    Placement.from_dict(job.placement).keys,
                )
            folder.remove_temp_outputs()
            refreshed = self.store.get_job(job.id)
            state = refreshed.state if refreshed else job.state
            if state in TERMINAL_STATES:
                folder.clean_work()  # it ended here: no sheet will be made
            self.bus.emit(JobRecovered(job.id, state, item.gave_up))
        return len(recovered)

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> None:
        """The loop; returns after stop() once the current job is released."""
        self.store.register_worker(self.id, hostname(), os.getpid())
        self.log.info("worker started")
        try:
            while not self.stopping.is_set():
                self.wake.clear()  # before the claim: a job queued meanwhile wakes the wait
                try:
                    claim = self.store.claim(self.id) if self.can_claim() else None
                except StoreUnavailable as exc:
                    # The store retried for a while already; keep the process alive.
                    self.log.error("job store unavailable; waiting", error=exc.message)
                    self.stopping.wait(self.config.worker.poll_interval)
                    continue
                if claim is None:
                    self.wake.wait(self.config.worker.poll_interval)
                    continue
                self._run_one(claim)
        finally:
            try:
                self.store.unregister_worker(self.id)
            except Exception as exc:  # the store may be gone at exit; the lease then expires
                self.log.warning("could not unregister the worker", error=str(exc))
            self.log.info("worker stopped")

    def _backoff(self, job_id: str) -> float:
        """How long a job waits after its n-th environmental problem in a row."""
        n = self._waits.get(job_id, 0)
        self._waits[job_id] = n + 1
        worker = self.config.worker
        return float(min(worker.retry_seconds * 2**n, worker.retry_max_seconds))

    def _run_one(self, claim: Claim) -> None:
        self.signal = StopSignal()
        if self.stopping.is_set():
            self.signal.set(StopReason.SHUTDOWN)
        self.current = claim
        ctx = Context(
            store=self.store,
            bus=self.bus,
            renderer=Renderer(self.runner, self.config.worker),
            config=self.config,
            guard=self.guard,
            stop=self.signal,
        )
        try:
            state = JobRun(ctx, claim, self._backoff).run()
            if state != State.QUEUED:
                self._waits.pop(claim.job_id, None)
        except LostClaim:
            self.log.warning("lost the claim on a job", job_id=claim.job_id)
        except StoreUnavailable as exc:
            self.log.error(
                "job store unavailable during a job", job_id=claim.job_id, error=exc.message
            )
            self._release_when_possible(claim)
        except Exception:
            # A bug outside any file's processing: the job goes back with a back-off,
            # never left `processing`; the log has the traceback.
            self.log.exception("job crashed", job_id=claim.job_id)
            self._release_after_crash(claim)
        finally:
            self.current = None

    def _release_after_crash(self, claim: Claim) -> None:
        wait = self._backoff(claim.job_id)
        try:
            self.store.release_job(
                claim,
                waiting_reason="an internal error interrupted this job; it is tried again "
                "(details in the log)",
                retry_in=wait,
            )
        except Exception:
            self.log.exception("could not release the crashed job", job_id=claim.job_id)

    def _release_when_possible(self, claim: Claim) -> None:
        """Give the job back once the store answers again, so it is not stuck with us."""
        while True:
            try:
                self.store.release_job(claim)
                return
            except LostClaim:
                return
            except StoreUnavailable:
                if self.stopping.wait(self.config.worker.poll_interval):
                    return
