"""The status document of a job (status.json, `vidvar status JOB --json`, the web API).

`state` keeps its five values (scripts rely on them); finer detail is in added
fields: `phase`, `waiting_reason`, `failed_files`, `eta_seconds`, and per file
`speed` and `eta_seconds`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vidvar.store import Phase, State
from vidvar.store.models import FileRecord, Job


def iso(ts: float | None) -> str | None:
    """Epoch seconds → ISO-8601 UTC, None stays None."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def job_phase(job: Job, held: str | None = None) -> str | None:
    """What the job is doing: its phase while processing, `waiting` while an
    environmental cause, the schedule or a pause (`held`) holds it, None otherwise."""
    if job.state == "processing":
        return job.phase
    if job.state == State.QUEUED and (job.waiting_reason or held):
        return Phase.WAITING
    return None


def job_eta(job: Job, files: list[FileRecord]) -> float | None:
    """Seconds until the job is done, estimated from the running file's pace."""
    running = [f for f in files if f.state == State.PROCESSING and f.eta_seconds is not None]
    if job.state != State.PROCESSING or not running:
        return None
    current = running[0]
    rate = None
    if current.duration and current.eta_seconds is not None and current.progress < 100:
        done = current.progress / 100
        left = 1 - done
        rate = current.eta_seconds / (current.duration * left) if left > 0 else None
    rest = [f for f in files if f.state == State.QUEUED]
    durations = [f.duration for f in files if f.duration]
    typical = sum(durations) / len(durations) if durations else 0.0
    extra = sum((f.duration or typical) for f in rest) * (rate or 0.0)
    return round((current.eta_seconds or 0.0) + extra, 1)


def status_document(
    job: Job, files: list[FileRecord], *, held: str | None = None
) -> dict[str, Any]:
    """The status.json document of CONTRACT.md for a job and its files; `held` says why
    every new file waits (`outside the schedule, next window Mon 19:00`), if it does."""
    waiting = (job.waiting_reason or held) if job.state == State.QUEUED else None
    return {
        "job_id": job.id,
        "watch": job.watch,
        "state": job.state,
        "phase": job_phase(job, held),
        "waiting_reason": waiting,
        "progress": job.progress,
        "eta_seconds": job_eta(job, files),
        "variations_per_file": job.variations,
        "failed_files": sum(1 for f in files if f.state == State.FAILED),
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "error": job.error,
        "files": [file_document(f) for f in files],
    }


def file_document(f: FileRecord) -> dict[str, Any]:
    """One file of the status document."""
    return {
        "name": f.name,
        "state": f.state,
        "progress": f.progress,
        "speed": round(f.speed, 2) if f.speed is not None else None,
        "eta_seconds": round(f.eta_seconds, 1) if f.eta_seconds is not None else None,
        "duration": f.duration,
        "completed_variations": f.completed_variations,
        "error": f.error,
        "warning": f.warning,
        "figures": f.figures,
        "outputs": [
            {
                "variation": o.variation,
                "format": o.format,
                "width": (o.placement or {}).get("width"),
                "height": (o.placement or {}).get("height"),
                "fit": (o.placement or {}).get("fit"),
                "framing": (o.placement or {}).get("framing"),
                "path": o.path,
                "size": o.size,
                "effects": o.effects,
                "seed": o.seed,
                "figures": o.figures,
                "verdict": o.verdict,
            }
            for o in f.outputs
        ],
    }
