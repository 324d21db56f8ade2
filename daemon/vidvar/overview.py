"""The read model that `vidvar status`, the web page and its API share: the queue,
the workers (with the one liveness rule, WorkerRecord.alive), entries settling and
one row per job. Read-only; presentation stays with each caller."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from vidvar.config import Config
from vidvar.status import iso, job_eta, job_phase
from vidvar.store import FileRecord, Job, JobStore, State


def workers(store: JobStore, config: Config) -> list[dict[str, Any]]:
    """Registered workers with their heartbeat age and what they reported."""
    now = time.time()
    result = []
    for w in store.workers():
        result.append(
            {
                "id": w.id,
                "host": w.host,
                "pid": w.pid,
                "started_at": iso(w.started_at),
                "heartbeat_age": round(w.beat_age(now), 1),
                "alive": w.alive(config.worker.lease_seconds, now),
                "current_job": w.job_id,
                **{k: v for k, v in w.info.items() if k != "current_job"},
            }
        )
    return result


def settling(store: JobStore) -> tuple[list[dict[str, Any]], int]:
    """Entries waiting in the inboxes to stop changing, with the seconds left."""
    entries, total = store.settling()
    now = time.time()
    return [
        {
            "watch": e.watch,
            "name": e.name,
            "size": e.size,
            "seen_at": iso(e.seen_at),
            "settles_in": max(0.0, round(e.settles_at - now, 1)),
        }
        for e in entries
    ], total


def job_summary(
    job: Job, counts: dict[str, int] | None = None, files: list[FileRecord] | None = None
) -> dict[str, Any]:
    """One row of the job list; with the files of a running job, its speed (× realtime,
    of the file encoding now) and time left."""
    counts = counts or {}
    running = [f for f in files or [] if f.state == State.PROCESSING]
    return {
        "job_id": job.id,
        "watch": job.watch,
        "state": job.state,
        "phase": job_phase(job),
        "waiting_reason": job.waiting_reason if job.state == State.QUEUED else None,
        "progress": job.progress,
        "speed": running[0].speed if running else None,
        "eta_seconds": job_eta(job, files) if files else None,
        "files": sum(counts.values()) or None,
        "failed_files": counts.get(State.FAILED, 0),
        "name": Path(job.source_path).name or job.source_path,
        "job_dir": job.job_dir,
        "created_at": iso(job.created_at),
        "error": job.error,
    }


def _files_if_running(store: JobStore, job: Job) -> list[FileRecord] | None:
    """A running job's files (for its speed and time left); None for the rest, which
    keeps a long list cheap."""
    if job.state != State.PROCESSING:
        return None
    return store.files(job.id, with_outputs=False)


def overview(store: JobStore, config: Config, limit: int) -> dict[str, Any]:
    """Everything `vidvar status` shows without a JOB."""
    counts = store.counts()
    pending, pending_total = settling(store)
    jobs = store.list_jobs(limit=limit) if limit > 0 else []
    return {
        "queue_depth": counts.get(State.QUEUED, 0),
        "counts": counts,
        "workers": workers(store, config),
        "settling": pending,
        "settling_total": pending_total,
        "jobs": [
            job_summary(j, store.file_counts(j.id), _files_if_running(store, j)) for j in jobs
        ],
    }
