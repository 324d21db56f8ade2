"""`vidvar status --follow`: a live view until Ctrl-C.

On a terminal, a table that redraws itself with progress bars; with --json (or
when stdout is not a terminal), one object per change, one per line: a job's
state, phase, progress or waiting reason moved, or a file started settling.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from vidvar.cli.status import state_label
from vidvar.config import Config
from vidvar.errors import StoreUnavailable
from vidvar.overview import overview
from vidvar.status import iso, job_eta, job_phase
from vidvar.store import Job, JobStore, open_store

POLL_SECONDS = 0.5
WINDOW = 200
BAR = 24


def job_change(store: JobStore, job: Job) -> dict[str, Any]:
    """One job as a change object."""
    files = store.files(job.id, with_outputs=False)
    return {
        "type": "job",
        "job_id": job.id,
        "watch": job.watch,
        "state": job.state,
        "phase": job_phase(job),
        "progress": job.progress,
        "waiting_reason": job.waiting_reason if job.state == "queued" else None,
        "eta_seconds": job_eta(job, files),
        "files": len(files),
        "failed_files": sum(1 for f in files if f.state == "failed"),
        "error": job.error,
        "updated_at": iso(job.updated_at),
    }


def _open(config: Config) -> JobStore:
    while True:
        try:
            return open_store(config.database, readonly=True)
        except StoreUnavailable:
            time.sleep(1.0)  # the daemon has not created it yet: wait for it


def follow(config: Config, *, as_json: bool, limit: int) -> int:
    """Until Ctrl-C (exit 0)."""
    live = sys.stdout.isatty() and not as_json
    store = _open(config)
    try:
        if live:
            _table(store, config, limit)
        else:
            _changes(store)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        return 0
    finally:
        store.close()
    return 0


def _emit(change: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(change, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _changes(store: JobStore) -> None:
    last = store.last_event()
    for job in reversed(store.list_jobs(limit=50)):  # where things stand, oldest first
        if job.state in ("queued", "processing"):
            _emit(job_change(store, job))
    seen: set[int] = set()
    settling: set[tuple[str, str]] = set()
    while True:
        # A window below the last number: with several writers (PostgreSQL) a lower
        # number can commit after a higher one.
        for change in store.job_events(max(0, last - WINDOW)):
            if change.seq in seen:
                continue
            seen.add(change.seq)
            last = max(last, change.seq)
            current = store.get_job(change.job_id)
            details: dict[str, Any] = (
                job_change(store, current) if current is not None else {"type": "job"}
            )
            details.update(
                seq=change.seq,
                job_id=change.job_id,
                state=change.state,
                phase=_phase(change.state, change.phase, change.waiting_reason),
                progress=change.progress,
                waiting_reason=change.waiting_reason if change.state == "queued" else None,
                at=iso(change.at),
            )
            _emit(details)
        if len(seen) > 10 * WINDOW:
            seen = {s for s in seen if s > last - WINDOW}
        entries, _total = store.settling()
        for e in entries:
            if (e.watch, e.name) not in settling:
                _emit(
                    {
                        "type": "settling",
                        "watch": e.watch,
                        "name": e.name,
                        "settles_in": max(0.0, round(e.settles_at - time.time(), 1)),
                    }
                )
        settling = {(e.watch, e.name) for e in entries}
        time.sleep(POLL_SECONDS)


def _phase(state: str, phase: str | None, waiting: str | None) -> str | None:
    if state == "processing":
        return phase
    return "waiting" if state == "queued" and waiting else None


def bar(percent: int) -> str:
    """`[#########---------------]` for a percent."""
    filled = max(0, min(BAR, round(BAR * percent / 100)))
    return "[" + "#" * filled + "-" * (BAR - filled) + "]"


def _table(store: JobStore, config: Config, limit: int) -> None:
    while True:
        data = overview(store, config, limit or 20)
        lines = [time.strftime("vidvar status --follow   %H:%M:%S   (Ctrl-C stops)"), ""]
        for w in data["workers"]:
            state = "alive" if w["alive"] else "NOT RESPONDING"
            lines.append(f"worker {w['id']}: {state}, {w.get('current_job') or 'idle'}")
        counts = data["counts"]
        lines.append(
            "jobs: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none")
        )
        for e in data["settling"]:
            lines.append(f"settling {e['watch']}/{e['name']}: complete in {e['settles_in']:g} s")
        lines.append("")
        for j in data["jobs"]:
            note = j["waiting_reason"] or j["error"] or ""
            lines.append(
                f"{j['job_id']}  {bar(j['progress'])} {j['progress']:>3}%  "
                f"{state_label(j):<26} {j['name']}" + (f"  ({note})" if note else "")
            )
        sys.stdout.write("\x1b[H\x1b[2J" + "\n".join(lines) + "\n")
        sys.stdout.flush()
        time.sleep(POLL_SECONDS)
