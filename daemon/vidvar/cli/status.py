"""`vidvar status`: a readable table, one job's details, or JSON for scripts."""

from __future__ import annotations

import time
from typing import Any

from vidvar.cli.common import age, print_json, short_path
from vidvar.config import Config
from vidvar.status import iso, status_document
from vidvar.store import JobStore, open_store


def _workers(store: JobStore, config: Config) -> list[dict[str, Any]]:
    now = time.time()
    result = []
    for w in store.workers():
        beat = now - w.heartbeat_at
        result.append(
            {
                "id": w.id,
                "host": w.host,
                "pid": w.pid,
                "started_at": iso(w.started_at),
                "heartbeat_age": round(beat, 1),
                "alive": beat <= config.worker.lease_seconds,
                "current_job": w.job_id,
                **{k: v for k, v in w.info.items() if k != "current_job"},
            }
        )
    return result


def _health(store: JobStore, config: Config) -> dict[str, Any]:
    counts = store.counts()
    return {
        "queue_depth": counts.get("queued", 0),
        "counts": counts,
        "workers": _workers(store, config),
    }


def show(config: Config, job_ref: str | None, *, as_json: bool, limit: int) -> int:
    """Print status; 1 when JOB is unknown."""
    store = open_store(config.database)
    try:
        if job_ref:
            job = store.get_job(job_ref)
            if job is None:
                print(f"vidvar: no job matches {job_ref!r} (give the id or a unique prefix)")
                return 1
            document = status_document(job, store.files(job.id))
            if as_json:
                print_json(document)
            else:
                _print_job(document, job.job_dir)
            return 0
        jobs = store.list_jobs(limit=limit)
        health = _health(store, config)
        if as_json:
            print_json(
                {
                    **health,
                    "jobs": [
                        {
                            "job_id": j.id,
                            "watch": j.watch,
                            "state": j.state,
                            "progress": j.progress,
                            "name": short_path(j.source_path),
                            "job_dir": j.job_dir,
                            "created_at": iso(j.created_at),
                            "error": j.error,
                        }
                        for j in jobs
                    ],
                }
            )
            return 0
        _print_health(health["workers"], health["counts"])
        if not jobs:
            print("no jobs yet: drop a video into an inbox, or run `vidvar enqueue --sample`")
            return 0
        print(f"{'JOB':<12}  {'STATE':<10}  {'PROGRESS':>8}  {'AGE':>4}  NAME")
        for j in jobs:
            print(
                f"{j.id:<12}  {j.state:<10}  {j.progress:>7}%  {age(j.created_at):>4}  "
                f"{short_path(j.source_path)}" + (f"  ({j.error})" if j.error else "")
            )
        return 0
    finally:
        store.close()


def _print_health(workers: list[dict[str, Any]], counts: dict[str, int]) -> None:
    if not workers:
        print("daemon: not running (no worker has registered)")
    for w in workers:
        state = "alive" if w["alive"] else "NOT RESPONDING"
        job = f", working on {w['current_job']}" if w.get("current_job") else ", idle"
        print(f"worker {w['id']}: {state} (heartbeat {w['heartbeat_age']}s ago){job}")
        if w.get("paused"):
            print(f"  paused: {w['paused']}")
        if w.get("pending_files"):
            print(f"  files settling in inboxes: {w['pending_files']}")
        for folder, free in (w.get("free_gb") or {}).items():
            print(f"  free disk: {free} GB at {folder}")
    print(
        "jobs: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        if counts
        else "jobs: none"
    )
    print()


def _print_job(doc: dict[str, Any], job_dir: str) -> None:
    print(f"job {doc['job_id']} ({doc['watch']}): {doc['state']}, {doc['progress']}%")
    print(f"folder: {job_dir}")
    if doc["error"]:
        print(f"error: {doc['error']}")
    for f in doc["files"]:
        line = (
            f"  {f['name']}: {f['state']} {f['progress']}%, {f['completed_variations']}"
            f"/{doc['variations_per_file']} variations"
        )
        print(line + (f" — {f['error']}" if f["error"] else ""))
        for o in f["outputs"]:
            print(f"    {o['path']}  {o['size']} bytes  seed {o['seed']}")
