"""`vidvar status`: a readable table, one job's details, or JSON for scripts.

Read-only: the database is never created or migrated here, and a store that
cannot be read yet (the daemon never ran) is said in words, not a traceback.
"""

from __future__ import annotations

import time
from typing import Any

from vidvar.cli.common import age, fail, one_job, print_json
from vidvar.config import Config
from vidvar.errors import StoreUnavailable
from vidvar.overview import overview
from vidvar.status import status_document
from vidvar.store import JobStore, open_store
from vidvar.units import size_text


def print_ids(config: Config, limit: int) -> int:
    """Recent job ids, one per line (what shell completion offers for JOB)."""
    try:
        store = open_store(config.database, readonly=True)
    except StoreUnavailable:
        return 0  # nothing to offer
    try:
        for job in store.list_jobs(limit=limit):
            print(job.id)
    finally:
        store.close()
    return 0


def show(config: Config, job_ref: str | None, *, as_json: bool, limit: int) -> int:
    """Print status; 1 when JOB is unknown or ambiguous."""
    try:
        store = open_store(config.database, readonly=True)
    except StoreUnavailable as exc:
        if job_ref:
            return fail(exc.message, as_json=as_json)
        if as_json:
            print_json(
                {"queue_depth": 0, "counts": {}, "workers": [], "jobs": [], "note": exc.message}
            )
        else:
            print(f"daemon: not running ({exc.message})\njobs: none")
        return 0
    try:
        if job_ref:
            return _show_job(store, job_ref, as_json=as_json)
        data = overview(store, config, limit)
        if as_json:
            print_json(data)
        else:
            print_overview(data, limit)
        return 0
    finally:
        store.close()


def _show_job(store: JobStore, job_ref: str, *, as_json: bool) -> int:
    job = one_job(store, job_ref, as_json)
    if isinstance(job, int):
        return job
    document = status_document(job, store.files(job.id))
    if as_json:
        print_json(document)
    else:
        print_job(document, job.job_dir)
    return 0


def state_label(row: dict[str, Any]) -> str:
    """`completed`, `completed (2 of 5 failed)`, `processing: verifying`, `queued: waiting`."""
    state = str(row["state"])
    if state == "completed" and row.get("failed_files"):
        return f"completed ({row['failed_files']} of {row['files']} failed)"
    if row.get("phase"):
        return f"{state}: {row['phase']}"
    return state


def print_overview(data: dict[str, Any], limit: int) -> None:
    """The human form of `overview`."""
    if not data["workers"]:
        print("daemon: not running (no worker has registered)")
    # The workers of one daemon (worker.concurrency) share its pause and its disks:
    # each is said once, from the first worker that reports it.
    pauses: dict[str, None] = {}
    free_gb: dict[str, Any] = {}
    limits: dict[str, None] = {}
    for w in data["workers"]:
        if w.get("limits"):
            at_once = w.get("files_at_once") or 1
            files = f"{at_once} file{'s' if at_once != 1 else ''} at once"
            limits.setdefault(f"{w['host']}: {w['limits']}; {files}")
        state = "alive" if w["alive"] else "NOT RESPONDING"
        job = f", working on {w['current_job']}" if w.get("current_job") else ", idle"
        print(f"worker {w['id']}: {state} (heartbeat {w['heartbeat_age']}s ago){job}")
        if w.get("paused"):
            pauses.setdefault(str(w["paused"]))
        for folder, free in (w.get("free_gb") or {}).items():
            free_gb.setdefault(folder, free)
    for line in limits:
        print(f"limits: {line}")
    for reason in pauses:
        if reason.startswith("paused"):
            print(reason)
        elif reason.startswith("outside the schedule"):
            print(f"waiting: {reason}")
        else:
            print(f"paused: {reason}")
    for folder, free in free_gb.items():
        print(f"free disk: {free} GB at {folder}")
    counts = data["counts"]
    print("jobs: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
    if data["settling"]:
        print(f"settling ({data['settling_total']}): waiting for the copy to finish")
        for e in data["settling"]:
            print(f"  {e['watch']}/{e['name']}: counts as complete in {e['settles_in']:g} s")
    print()
    if limit <= 0:
        return
    if not data["jobs"]:
        print("no jobs yet: drop a video into an inbox, or run `vidvar enqueue --sample`")
        return
    print(f"{'JOB':<12}  {'STATE':<28}  {'PROGRESS':>8}  {'AGE':>4}  NAME")
    for j in data["jobs"]:
        created = time.time() if j["created_at"] is None else _epoch(j["created_at"])
        note = j["waiting_reason"] or j["error"]
        print(
            f"{j['job_id']:<12}  {state_label(j):<28}  {j['progress']:>7}%  {age(created):>4}  "
            f"{j['name']}" + (f"  ({note})" if note else "")
        )


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def print_job(doc: dict[str, Any], job_dir: str) -> None:
    """One job's files and outputs, for a person."""
    phase = f" ({doc['phase']})" if doc.get("phase") else ""
    print(f"job {doc['job_id']} ({doc['watch']}): {doc['state']}{phase}, {doc['progress']}%")
    print(f"folder: {job_dir}")
    if doc.get("waiting_reason"):
        print(f"waiting: {doc['waiting_reason']}")
    if doc["error"]:
        print(f"error: {doc['error']}")
    for f in doc["files"]:
        line = (
            f"  {f['name']}: {f['state']} {f['progress']}%, {f['completed_variations']}"
            f"/{doc['variations_per_file']} variations"
        )
        if f.get("speed"):
            line += f", {f['speed']:.2f}x"
        if f.get("eta_seconds") is not None:
            line += f", {f['eta_seconds']:.0f} s left"
        print(line + (f" — {f['error']}" if f["error"] else ""))
        for o in f["outputs"]:
            verdict = f"  {o['verdict']}" if o.get("verdict") else ""
            print(f"    {o['path']}  {size_text(o['size'])}  seed {o['seed']}{verdict}")
