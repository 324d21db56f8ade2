"""The JSON API behind the pages (docs/api.md has curl examples)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from vidvar import __version__
from vidvar.config import config_as_dict
from vidvar.engine.retention import free_bytes
from vidvar.overview import overview
from vidvar.schedule import local_now
from vidvar.status import iso, status_document
from vidvar.store import Job, Pause
from vidvar.units import gigabytes, parse_duration
from vidvar.web.state import WebState
from vidvar.web.uploads import Upload, UploadError

EVENT_POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0


def error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def state_of(request: Request) -> WebState:
    """What the app holds (config, store, sessions, uploads)."""
    state: WebState = request.app.state.vidvar
    return state


def job_of(request: Request) -> Job | None:
    """The job the address names, or None (for a 404)."""
    job_id = request.path_params["job_id"]
    # Ids are 12 hex digits: anything else is no job, and never reaches a path.
    if len(job_id) != 12 or any(c not in "0123456789abcdef" for c in job_id):
        return None
    return state_of(request).store.get_job(job_id)


def jobs(request: Request) -> JSONResponse:
    """GET /api/jobs: newest first, with state, phase, progress and name."""
    state = state_of(request)
    raw = request.query_params.get("limit") or "50"
    if not raw.isdigit():
        return error(f"limit must be a whole number from 1 to 1000, not {raw[:20]!r}", 400)
    limit = min(max(int(raw), 1), 1000)
    data = overview(state.store, state.config, limit)
    name = request.query_params.get("name")
    if name:
        data["jobs"] = [j for j in data["jobs"] if j["name"] == name]
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


def job(request: Request) -> Response:
    """GET /api/jobs/{id}: the job's status document, as in status.json."""
    found = job_of(request)
    if found is None:
        return error("no such job", 404)
    document = status_document(found, state_of(request).store.files(found.id))
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


def cancel(request: Request) -> Response:
    """POST /api/jobs/{id}/cancel."""
    found = job_of(request)
    if found is None:
        return error("no such job", 404)
    state = state_of(request).store.request_cancel(found.id)
    if state not in ("cancelled", "cancelling"):
        return error(f"job {found.id} already ended ({state}); nothing to cancel", 409)
    return JSONResponse({"job_id": found.id, "state": state})


def retry(request: Request) -> Response:
    """POST /api/jobs/{id}/retry: failed files again, or a waiting job at once."""
    found = job_of(request)
    if found is None:
        return error("no such job", 404)
    if found.state == "processing" or (found.state == "queued" and not found.waiting_reason):
        return error(f"job {found.id} is {found.state}; nothing to retry", 409)
    count = state_of(request).store.retry(found.id)
    if found.state != "queued" and not count:
        return error(f"job {found.id} has no failed or cancelled files", 409)
    return JSONResponse({"job_id": found.id, "requeued": count})


async def upload(request: Request) -> Response:
    """POST /api/uploads: multipart `files` (and first the fields `watch`, `variations`)."""
    state = state_of(request)
    receiving = Upload(state.config, int(state.config.web.max_upload_mb * 1024 * 1024))
    try:
        parser = receiving.parser(request.headers.get("content-type", ""))
        async for chunk in request.stream():
            await run_in_threadpool(parser.write, chunk)
        parser.finalize()
        earlier: dict[str, Any] = {}

        def note_earlier(watch: str, final: Path) -> None:
            # The jobs its path had before it appears: its own job is the one that was not.
            jobs = state.store.jobs_for_source(watch, str(final))
            earlier.update(path=str(final), ids=frozenset(j.id for j in jobs))

        placed = await run_in_threadpool(receiving.finish, note_earlier)
    except UploadError as exc:
        receiving.abandon()
        return error(exc.message, exc.status)
    except ClientDisconnect:
        receiving.abandon()
        return error("the upload was cut off", 400)
    except OSError as exc:
        receiving.abandon()
        return error(f"the upload could not be written into the inbox ({exc.strerror})", 507)
    except BaseException:
        receiving.abandon()  # never a partial file left in the inbox
        raise
    placed["upload_id"] = state.uploads.add(placed["watch"], earlier["path"], earlier["ids"])
    return JSONResponse(placed, status_code=201)


def upload_state(request: Request) -> Response:
    """GET /api/uploads/{id}: the job made of that upload, once the watcher queued it."""
    state = state_of(request)
    upload_id = request.path_params["upload_id"]
    placed = state.uploads.get(upload_id)
    if placed is None:
        return error("no such upload (ids are kept while this page runs)", 404)
    jobs = state.store.jobs_for_source(placed.watch, placed.source_path)
    job = next((j for j in jobs if j.id not in placed.earlier), None)
    return JSONResponse(
        {
            "upload_id": upload_id,
            "watch": placed.watch,
            "job_id": job.id if job else None,
            "state": job.state if job else "settling",
        },
        headers={"Cache-Control": "no-store"},
    )


def pause_state(request: Request) -> JSONResponse:
    """GET /api/pause: whether new files wait, and why (a pause, or the schedule)."""
    state = state_of(request)
    held = state.store.pause()
    schedule = state.config.work_schedule().closed_reason(local_now())
    return JSONResponse(
        {
            "paused": held is not None,
            "until": iso(held.until) if held else None,
            "now": held.now if held else False,
            "reason": held.describe() if held else schedule,
            "schedule": schedule,
        },
        headers={"Cache-Control": "no-store"},
    )


async def pause(request: Request) -> Response:
    """POST /api/pause {"for": "2h", "now": false}: hold new files (see `vidvar pause`)."""
    try:
        body = await request.json() if await request.body() else {}
    except ValueError:
        return error('expected a JSON body such as {"for": "2h", "now": false}', 400)
    if not isinstance(body, dict):
        return error("expected a JSON object", 400)
    until = None
    if body.get("for"):
        try:
            until = time.time() + parse_duration(str(body["for"]))
        except ValueError as exc:
            return error(str(exc), 400)
    now = body.get("now", False)
    if not isinstance(now, bool):
        return error("`now` must be true or false", 400)
    store = state_of(request).store
    await run_in_threadpool(store.set_pause, Pause(until=until, now=now, by="page", at=time.time()))
    return pause_state(request)


def resume(request: Request) -> Response:
    """POST /api/resume: end a pause."""
    state_of(request).store.clear_pause()
    return pause_state(request)


def health(request: Request) -> JSONResponse:
    """GET /api/health: disk per output, queue, workers, version, the config in force."""
    state = state_of(request)
    data = overview(state.store, state.config, 0)
    disks: dict[str, float | None] = {}
    for watch in state.config.watches:
        try:
            disks[watch.name] = gigabytes(free_bytes(watch.output))
        except OSError:
            disks[watch.name] = None
    return JSONResponse(
        {
            "version": __version__,
            "config_file": str(state.config.path),
            "free_gb": disks,
            "queue_depth": data["queue_depth"],
            "counts": data["counts"],
            "workers": data["workers"],
            "settling": data["settling"],
            "config": config_as_dict(state.config),
        },
        headers={"Cache-Control": "no-store"},
    )


async def events(request: Request) -> Response:
    """GET /api/events: server-sent events, one `job` event per change of a job."""
    store = state_of(request).store

    async def stream() -> AsyncIterator[str]:
        last = await run_in_threadpool(store.last_event)
        quiet_since = time.monotonic()
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            changes = await run_in_threadpool(store.job_events, last)
            for change in changes:
                last = max(last, change.seq)
                data: dict[str, Any] = {
                    "seq": change.seq,
                    "job_id": change.job_id,
                    "state": change.state,
                    "phase": change.phase,
                    "progress": change.progress,
                    "waiting_reason": change.waiting_reason,
                    "at": iso(change.at),
                }
                yield f"id: {change.seq}\nevent: job\ndata: {json.dumps(data)}\n\n"
                quiet_since = time.monotonic()
            if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            await asyncio.sleep(EVENT_POLL_SECONDS)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
