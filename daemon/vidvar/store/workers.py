"""Store: worker registration, heartbeats, and recovery of dead workers' jobs."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection
from typing import Any

from vidvar.machine import hostname
from vidvar.store.models import Recovered, WorkerRecord
from vidvar.store.sqlstore import StoreCore, file_from, job_from, retrying


def _worker(row: dict[str, Any]) -> WorkerRecord:
    return WorkerRecord(
        id=row["id"],
        host=row["host"],
        pid=row["pid"],
        started_at=row["started_at"],
        heartbeat_at=row["heartbeat_at"],
        job_id=row.get("job_id"),
        info=json.loads(row["info"] or "{}"),
    )


class WorkersMixin(StoreCore):
    """register_worker, heartbeat, unregister_worker, workers, recover."""

    @property
    def _registered(self) -> dict[str, tuple[str, int, float]]:
        """(host, pid, registered at) of the workers registered through this store."""
        found: dict[str, tuple[str, int, float]] | None = self.__dict__.get("_workers_here")
        if found is None:
            found = self.__dict__.setdefault("_workers_here", {})
        return found

    @retrying
    def register_worker(self, worker_id: str, host: str, pid: int) -> None:
        """Record a live worker."""
        now = time.time()
        self._registered[worker_id] = (host, pid, now)
        with self._write() as tx:
            tx.run("register_worker", id=worker_id, host=host, pid=pid, now=now)

    @retrying
    def heartbeat(self, worker_id: str, info: dict[str, Any] | None = None) -> None:
        """Renew the worker's lease on its jobs and publish its health. The row is
        written back when it is gone (another machine took this worker for dead while
        it was paused or cut off): a live worker is always registered."""
        host, pid, started = self._registered.get(worker_id, (hostname(), os.getpid(), time.time()))
        with self._write() as tx:
            tx.run(
                "heartbeat",
                id=worker_id,
                host=host,
                pid=pid,
                started_at=started,
                now=time.time(),
                info=json.dumps(info) if info is not None else None,
            )

    @retrying
    def unregister_worker(self, worker_id: str) -> None:
        """Forget a worker that stopped cleanly (and the files it saw settling)."""
        with self._write() as tx:
            tx.run("delete_worker", id=worker_id)
            tx.run("clear_settling", owner=worker_id)

    @retrying
    def workers(self) -> list[WorkerRecord]:
        """Registered workers, with the job each is processing."""
        with self._read() as tx:
            rows = tx.all("all_workers")
        return [_worker(r) for r in rows]

    @retrying
    def recover(
        self,
        *,
        max_attempts: int,
        is_dead: Callable[[WorkerRecord], bool],
        keep: Collection[str] = (),
    ) -> list[Recovered]:
        """Put back work left `processing` by workers that died.

        A registered worker is dead when `is_dead` says so; a job whose worker is
        not registered at all is put back too, unless that worker is one of `keep`
        (the caller's own workers, which are alive whatever the store says). The
        file a dead worker was encoding gets one more attempt; past `max_attempts`
        it fails so a poisonous file cannot crash-loop the service.
        """
        now = time.time()
        recovered: list[Recovered] = []
        with self._write() as tx:
            workers = {w.id: w for w in (_worker(r) for r in tx.all("all_workers"))}
            dead = {w.id for w in workers.values() if w.id not in keep and is_dead(w)}
            for row in tx.all("processing_jobs"):
                holder = row["worker_id"]
                if holder in keep or (holder in workers and holder not in dead):
                    continue
                job = job_from(row)
                interrupted = tuple(
                    file_from(f) for f in tx.all("processing_files_of_job", job_id=job.id)
                )
                gave_up = []
                for f in interrupted:
                    times = f.attempts + 1
                    if times >= max_attempts:
                        tx.run(
                            "give_up_file",
                            id=f.id,
                            attempts=times,
                            error=f"the worker stopped {times} times while processing this "
                            "file; giving up so it cannot stop the service again",
                        )
                        gave_up.append(f.name)
                    else:
                        tx.run("reset_file", file_id=f.id, add_attempts=1)
                if job.cancel_requested:
                    tx.run("cancel_queued_files", job_id=job.id)
                    tx.run("recover_cancelled_job", id=job.id, now=now)
                else:
                    tx.run("recover_job", id=job.id, now=now)
                recovered.append(
                    Recovered(job=job, interrupted=interrupted, gave_up=tuple(gave_up))
                )
            for worker_id in dead:
                tx.run("delete_worker", id=worker_id)
                tx.run("clear_settling", owner=worker_id)
            if recovered:
                self._notify_enqueued(tx)
        return recovered
