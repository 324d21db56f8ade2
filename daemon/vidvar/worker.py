"""The worker loop: claim one job at a time, process it, repeat; signals only set flags."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vidvar.config import Config
from vidvar.ffmpeg.processes import hostname, kill_stray_ffmpeg, pid_alive
from vidvar.ffmpeg.runner import Runner
from vidvar.log import get_logger
from vidvar.preview import remove_thumbs
from vidvar.processor import (
    Processor,
    StopSignal,
    output_stems,
    remove_file_outputs,
    remove_temp_files,
)
from vidvar.status import write_status
from vidvar.store import JobStore, LostClaim, StoreUnavailable, WorkerRecord


class Worker:
    """Claims and processes jobs until `stop()` is called.

    `wake` is set by the in-process watcher when it enqueues, so a fresh job starts
    at once; polling every `poll_interval` finds jobs queued by other processes.
    """

    def __init__(
        self,
        store: JobStore,
        config: Config,
        *,
        wake: threading.Event | None = None,
        health: Callable[[], dict[str, Any]] | None = None,
        can_claim: Callable[[], bool] | None = None,
        pulse: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.wake = wake or threading.Event()
        self.health = health
        self.can_claim = can_claim or (lambda: True)
        self.pulse = pulse or (lambda: None)
        self.pulse_interval = 5.0  # longest idle wait between pulses (the watchdog may want less)
        self.runner = Runner()
        self.id = f"{hostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()
        self.signal = StopSignal(threading.Event())
        self.current_job: str | None = None
        self.log = get_logger(worker_id=self.id)
        self._last_heartbeat = 0.0
        self._last_recover = 0.0

    # -- control (safe from signal handlers and other threads) -----------------

    def stop(self) -> None:
        """Stop claiming; the running encode is stopped and its file re-queued."""
        self.stopping.set()
        self.signal.set("shutdown")
        self.wake.set()

    # -- recovery -------------------------------------------------------------------

    def _is_dead(self, worker: WorkerRecord) -> bool:
        return worker.host == hostname() and worker.id != self.id and not pid_alive(worker.pid)

    def recover(self) -> int:
        """Re-queue work of dead workers, kill their ffmpeg when it is ours, clean temp files."""
        recovered = self.store.recover(
            lease_seconds=self.config.worker.lease_seconds,
            max_attempts=self.config.worker.max_attempts,
            is_dead=self._is_dead,
        )
        for item in recovered:
            job = item.job
            log = self.log.bind(job_id=job.id)
            files = self.store.files(job.id)
            stems = output_stems(files)
            for record in item.interrupted:
                if record.ffmpeg_pid and kill_stray_ffmpeg(
                    record.ffmpeg_pid, record.ffmpeg_started_at, job.job_dir
                ):
                    log.warning(
                        "killed an ffmpeg left running by a dead worker", pid=record.ffmpeg_pid
                    )
                remove_file_outputs(Path(job.job_dir), record.id, stems[record.id], job.variations)
            remove_temp_files(Path(job.job_dir))
            refreshed = self.store.get_job(job.id)
            if refreshed is not None and refreshed.state in ("failed", "cancelled", "completed"):
                remove_thumbs(Path(job.job_dir))  # it ended here: no sheet will be made
            if refreshed is not None and Path(job.job_dir).is_dir():
                write_status(
                    refreshed, files if refreshed.state == job.state else self.store.files(job.id)
                )
            log.warning(
                "recovered a job left by a dead worker",
                state=refreshed and refreshed.state,
                gave_up=list(item.gave_up) or None,
            )
        return len(recovered)

    # -- the loop -----------------------------------------------------------------

    def run(self, *, recover_first: bool = True) -> None:
        """The loop; returns after stop() once the current job is released."""
        self.store.register_worker(self.id, hostname(), os.getpid())
        self.log.info("worker started")
        try:
            if recover_first:
                self.recover()
            self._last_recover = time.monotonic()
            next_poll = 0.0
            while not self.stopping.is_set():
                now = time.monotonic()
                claim = None
                try:
                    self._idle_duties()
                    # Woken by an enqueue, or the poll for other processes' jobs is due;
                    # otherwise this round was only a pulse (watchdog, reload).
                    if self.wake.is_set() or now >= next_poll:
                        self.wake.clear()
                        next_poll = now + self.config.worker.poll_interval
                        claim = self.store.claim(self.id) if self.can_claim() else None
                except StoreUnavailable as exc:
                    # The store retried for a while already; keep the process alive.
                    self.log.error("job store unavailable; waiting", error=str(exc))
                    self.stopping.wait(self.config.worker.poll_interval)
                    continue
                if claim is None:
                    self.wake.wait(max(0.0, min(next_poll - now, self.pulse_interval)))
                    continue
                self._run_one(claim.job_id, claim)
                next_poll = 0.0  # the next job starts at once
        finally:
            try:
                self.store.unregister_worker(self.id)
            except Exception as exc:  # the store may be gone at exit; the lease then expires
                self.log.warning("could not unregister the worker", error=str(exc))
            self.log.info("worker stopped")

    def _run_one(self, job_id: str, claim: Any) -> None:
        self.current_job = job_id
        self.signal = StopSignal(threading.Event())
        if self.stopping.is_set():
            self.signal.set("shutdown")
        processor = Processor(self.runner, self.store, self.config, self.signal, pulse=self.pulse)
        try:
            processor.process(claim)
        except LostClaim:
            self.log.warning("lost the claim on a job", job_id=job_id)
        except StoreUnavailable as exc:
            self.log.error("job store unavailable during a job", job_id=job_id, error=str(exc))
            self._release_when_possible(claim)
        except Exception as exc:
            # One bad job must not stop the service: fail it and go on.
            self.log.exception("job crashed", job_id=job_id)
            try:
                self.store.finish_job(claim, "failed", f"internal error: {exc}")
                job = self.store.get_job(job_id)
                if job is not None:
                    remove_thumbs(Path(job.job_dir))
                    write_status(job, self.store.files(job_id))
            except Exception:
                self.log.exception("could not record the crash", job_id=job_id)
        finally:
            self.current_job = None

    def _release_when_possible(self, claim: Any) -> None:
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

    def _idle_duties(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat >= self.config.worker.heartbeat_seconds:
            self._last_heartbeat = now
            self.store.heartbeat(self.id, self.health() if self.health else None)
        if now - self._last_recover >= self.config.worker.lease_seconds:
            self._last_recover = now
            self.recover()
        self.pulse()
