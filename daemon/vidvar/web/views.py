"""What the server-rendered pages show, as plain data for their templates: the first
paint already holds every job by its name, its state and the buttons' states; the page's
script only keeps it fresh."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from vidvar.effects.words import in_words
from vidvar.overview import job_summary, settling, workers
from vidvar.schedule import local_now
from vidvar.status import status_document
from vidvar.store import Job, JobSearch, State
from vidvar.store.models import TERMINAL_STATES
from vidvar.units import clock, size_text
from vidvar.web.state import WebState

PAGE_SIZE = 50
ACTIVE_SHOWN = 100

# The measured figures, each explained in one line (the job page's legend).
FIGURES = {
    "ssim": "Likeness to the source, 0 to 1: near 1 looks like it, lower is further away.",
    "source_distance": "How far it is from the source in perceptual-hash bits (0: the same).",
    "nearest_variation_distance": "How far it is from its nearest sibling, in the same bits: "
    "bigger means more distinct.",
}


@dataclass(frozen=True)
class HistoryQuery:
    """The history's search form, read from the query string (bad values are ignored)."""

    name: str = ""
    state: str = ""
    watch: str = ""
    day: str = ""  # YYYY-MM-DD: jobs created that day (local time)
    page: int = 1

    @classmethod
    def read(cls, params: dict[str, str], watches: list[str]) -> HistoryQuery:
        state = params.get("state", "")
        watch = params.get("watch", "")
        day = params.get("day", "")
        try:
            datetime.strptime(day, "%Y-%m-%d")
        except ValueError:
            day = ""
        page = params.get("page", "1")
        return cls(
            name=params.get("q", "").strip()[:200],
            state=state if state in tuple(State) else "",
            watch=watch if watch in watches else "",
            day=day,
            page=max(1, int(page)) if page.isdigit() else 1,
        )

    def search(self) -> JobSearch:
        since = until = None
        if self.day:
            start = datetime.strptime(self.day, "%Y-%m-%d")
            since, until = start.timestamp(), start.timestamp() + 86400
        return JobSearch(
            name=self.name or None,
            state=self.state or None,
            watch=self.watch or None,
            since=since,
            until=until,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )

    def link(self, page: int) -> str:
        """The query string of another page of the same search."""
        fields = {"q": self.name, "state": self.state, "watch": self.watch, "day": self.day}
        return "?" + urlencode({**{k: v for k, v in fields.items() if v}, "page": page})


def _row(state: WebState, job: Job) -> dict[str, Any]:
    files = state.store.files(job.id, with_outputs=job.state == State.COMPLETED)
    counts: dict[str, int] = {}
    for f in files:
        counts[f.state] = counts.get(f.state, 0) + 1
    row = job_summary(job, counts, files if job.state == State.PROCESSING else None)
    row["thumb"] = any(f.outputs for f in files)
    row["time_left"] = clock(row["eta_seconds"]) if row["eta_seconds"] is not None else ""
    return row


def queue_view(state: WebState, params: dict[str, str]) -> dict[str, Any]:
    """Everything the queue page shows at first paint."""
    watches = [w.name for w in state.config.watches]
    query = HistoryQuery.read(params, watches)
    store = state.store
    active = [
        _row(state, j)
        for wanted in (State.PROCESSING, State.QUEUED)
        for j in store.search_jobs(JobSearch(state=wanted, limit=ACTIVE_SHOWN))[0]
    ]
    history, total = store.search_jobs(query.search())
    found = workers(store, state.config)
    alive = [w for w in found if w["alive"]]
    busy = [w for w in alive if w.get("current_job")]
    pending, pending_total = settling(store)
    held = store.pause()
    return {
        "active": active,
        "history": [_row(state, j) for j in history],
        "total": total,
        "query": query,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "states": [str(s) for s in State],
        "watches": watches,
        "workers_line": _workers_line(len(alive), len(busy), len(found) - len(alive)),
        "paused_reasons": sorted({str(w["paused"]) for w in alive if w.get("paused")}),
        "settling": pending,
        "settling_total": pending_total,
        "pause": {
            "paused": held is not None,
            "reason": held.describe()
            if held
            else state.config.work_schedule().closed_reason(local_now()),
        },
    }


def _workers_line(alive: int, busy: int, silent: int) -> str:
    if not alive and not silent:
        return "No daemon is running: jobs wait until `vidvar run` starts."
    line = f"{alive} worker{'s' if alive != 1 else ''}, {busy} busy"
    if silent:
        line += f"; {silent} not responding"
    return line


def _effect_values(effects: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} {round(v, 4) if isinstance(v, float) else v}"
        for k, v in effects.items()
        if not k.endswith("_seed")
    )


def _shape(output: dict[str, Any]) -> str:
    """`9:16 · 1080x1920, framed on the subject`: an output's format in words."""
    size = f"{output['width']}x{output['height']}" if output.get("width") else ""
    words = output["format"] if output["format"] != "source" else "source shape"
    how = {"tracked": "framed on the subject", "centre": "centre crop"}.get(
        output.get("framing") or "",
        "whole picture, blurred fill" if output.get("fit") == "pad" else "",
    )
    return " · ".join(p for p in (words, size, how) if p)


def _by_format(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A file's outputs grouped by format, in the order they first appear: the page's tabs."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for output in outputs:
        groups.setdefault(output["format"], []).append(output)
    return [
        {"format": name, "key": name.replace(":", "x"), "outputs": items}
        for name, items in groups.items()
    ]


def job_view(state: WebState, job: Job) -> dict[str, Any]:
    """Everything the job page shows at first paint."""
    files = state.store.files(job.id)
    document = status_document(job, files)
    base = f"/api/jobs/{job.id}"
    for f in document["files"]:
        for o in f["outputs"]:
            href = f"{base}/files/{quote(o['path'])}"
            o.update(
                href=href,
                download=f"{href}?download=1",
                thumb=f"{base}/thumb.jpg?path={quote(o['path'])}",
                words=in_words(o["effects"]),
                values=_effect_values(o["effects"]),
                size_text=size_text(o["size"]),
                shape=_shape(o),
            )
        f["formats"] = _by_format(f["outputs"])
    names = [f.name for f in files]
    active = job.state in (State.QUEUED, State.PROCESSING)
    retryable = bool(
        (job.state == State.QUEUED and job.waiting_reason)
        or (job.state in TERMINAL_STATES and (document["failed_files"] or job.state != "completed"))
    )
    return {
        "job": document,
        "title": Path(job.source_path).name or job.id,
        "folder": _share_place(state, job),
        "can_cancel": active,
        "can_retry": retryable and job.state != State.PROCESSING,
        "outputs": sum(len(f["outputs"]) for f in document["files"]),
        "approved": sum(
            1 for f in document["files"] for o in f["outputs"] if o.get("verdict") == "approved"
        ),
        "figures": FIGURES,
        "single": len(names) == 1,
        "eta": clock(document["eta_seconds"]) if document["eta_seconds"] is not None else "",
    }


def _share_place(state: WebState, job: Job) -> str:
    """Where the job folder is on the share, as a person finds it there: the hot folder's
    output folder name and the job folder (never the server's absolute path)."""
    folder = Path(job.job_dir)
    try:
        output = state.config.watch(job.watch).output
    except KeyError:
        return folder.name
    return (
        f"{output.name}/{folder.relative_to(output)}" if output in folder.parents else folder.name
    )
