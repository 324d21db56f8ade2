"""The JSON API behind the pages (docs/api.md has curl examples)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from vidvar import __version__
from vidvar.config import config_as_dict
from vidvar.engine.retention import free_bytes
from vidvar.engine.sinks import StatusSink
from vidvar.jobfolder import JobFolder
from vidvar.overview import overview
from vidvar.schedule import local_now
from vidvar.status import iso, status_document
from vidvar.store import VERDICTS, FileRecord, Job, Pause
from vidvar.units import gigabytes, parse_duration
from vidvar.web.files import (
    NotServed,
    byte_range,
    manifest_csv,
    open_inside,
    read_chunks,
    recorded_outputs,
    zip_outputs,
)
from vidvar.web.state import WebState
from vidvar.web.thumbs import thumbnail
from vidvar.web.uploads import Upload, UploadError

EVENT_POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0


def error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.vidvar
    return state


def _job(request: Request) -> Job | None:
    job_id = request.path_params["job_id"]
    # Ids are 12 hex digits: anything else is no job, and never reaches a path.
    if len(job_id) != 12 or any(c not in "0123456789abcdef" for c in job_id):
        return None
    return _state(request).store.get_job(job_id)


def jobs(request: Request) -> JSONResponse:
    """GET /api/jobs: newest first, with state, phase, progress and name."""
    state = _state(request)
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
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    document = status_document(found, _state(request).store.files(found.id))
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


def job_zip(request: Request) -> Response:
    """GET /api/jobs/{id}/zip: every output and the manifest, one ZIP, streamed;
    `?verdict=approved` only the approved ones, `?outputs=a.mp4,b.mp4` only those."""
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    files = _state(request).store.files(found.id)
    if not recorded_outputs(files):
        return error("this job has no outputs (yet)", 404)
    keep = _chosen(request, files)
    if isinstance(keep, Response):
        return keep
    name = f"{JobFolder(found.job_dir).path.name}.zip"
    return StreamingResponse(
        zip_outputs(found, files, keep),
        media_type="application/zip",
        headers={"Content-Disposition": _attachment(name)},
    )


def _chosen(request: Request, files: list[FileRecord]) -> Callable[[str], bool] | Response:
    """Which outputs a ZIP holds: all, those with a verdict, or those named."""
    verdict = request.query_params.get("verdict")
    named = request.query_params.get("outputs")
    if verdict is not None:
        if verdict not in VERDICTS:
            return error(f"verdict must be one of {', '.join(VERDICTS)}", 400)
        paths = {o.path for f in files for o in f.outputs if o.verdict == verdict}
        if not paths:
            return error(f"no output of this job is {verdict} yet", 404)
        return paths.__contains__
    if named is not None:
        wanted = {p for p in named.split(",") if p}
        unknown = wanted - set(recorded_outputs(files))
        if not wanted or unknown:
            return error(f"no such outputs in this job: {', '.join(sorted(unknown))}", 400)
        return wanted.__contains__
    return lambda _path: True


def manifest(request: Request) -> Response:
    """GET /api/jobs/{id}/manifest.csv: one row per output (file, variation, format,
    path, size, duration, effects in words, seed, verdict)."""
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    text = manifest_csv(_state(request).store.files(found.id))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(f"{found.id}-manifest.csv")},
    )


async def review(request: Request) -> Response:
    """POST /api/jobs/{id}/review {"file": NAME, "variation": V, "verdict": "approved"|
    "rejected"|null}: a person's verdict on one output, kept in the store and status.json."""
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    try:
        body = await request.json()
    except ValueError:
        return error('expected JSON: {"file": …, "variation": …, "verdict": …}', 400)
    if not isinstance(body, dict):
        return error("expected a JSON object", 400)
    name, variation, verdict = body.get("file"), body.get("variation"), body.get("verdict")
    if not isinstance(name, str) or not name:
        return error("`file` must be a file's name as status.json lists it", 400)
    if isinstance(variation, bool) or not isinstance(variation, int):
        return error("`variation` must be a whole number", 400)
    if verdict is not None and verdict not in VERDICTS:
        return error(f"`verdict` must be {' or '.join(VERDICTS)} or null", 400)
    state = _state(request)
    if not await run_in_threadpool(state.store.set_verdict, found.id, name, variation, verdict):
        return error(f"job {found.id} has no variation {variation} of {name!r}", 404)
    # status.json says it too (its one writer, run here for this change).
    await run_in_threadpool(StatusSink(state.store).write, found.id)
    return JSONResponse({"file": name, "variation": variation, "verdict": verdict})


def job_source(request: Request) -> Response:
    """GET /api/jobs/{id}/source?file=NAME: a file's source where it is now (inbox or
    archive), for the compare view; byte ranges as for outputs. Only inside the hot
    folder's configured folders, never through a link."""
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    state = _state(request)
    name = request.query_params.get("file", "")
    record = next((f for f in state.store.files(found.id) if f.name == name), None)
    if record is None:
        return error("no such file in this job", 404)
    where = Path(record.disposed_to or record.source_path)
    try:
        watch = state.config.watch(found.watch)
    except KeyError:
        return error("this job's hot folder is no longer configured", 404)
    for folder in (watch.inbox, watch.archive_dir, watch.failed_dir):
        if folder in where.parents:
            try:
                handle = open_inside(folder, str(where.relative_to(folder)))
            except NotServed:
                break
            return _ranged(request, handle, "video/mp4", {})
    return error(f"the source of {name} is no longer there (deleted or moved)", 404)


async def job_thumb(request: Request) -> Response:
    """GET /api/jobs/{id}/thumb.jpg?path=OUTPUT: a poster frame of one output (the first
    one by default)."""
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    outputs = recorded_outputs(_state(request).store.files(found.id))
    relative = request.query_params.get("path") or (outputs[0] if outputs else "")
    if relative not in outputs:
        return error("no such output in this job", 404)
    try:
        image = await run_in_threadpool(thumbnail, JobFolder(found.job_dir).path, relative)
    except NotServed:
        return error("no such output in this job", 404)
    return Response(image, media_type="image/jpeg", headers={"Cache-Control": "max-age=300"})


def job_file(request: Request) -> Response:
    """GET /api/jobs/{id}/files/{path}: one output the store recorded, or the preview."""
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    relative = request.path_params["path"]
    folder = JobFolder(found.job_dir)
    allowed = set(recorded_outputs(_state(request).store.files(found.id)))
    allowed.add(folder.preview_path.name)
    if relative not in allowed:
        return error("no such file in this job", 404)
    try:
        handle = open_inside(folder.path, relative)
    except NotServed:
        return error("no such file in this job", 404)
    media = "image/jpeg" if relative.endswith(".jpg") else "video/mp4"
    headers = {}
    if request.query_params.get("download"):
        headers["Content-Disposition"] = _attachment(relative.rsplit("/", 1)[-1])
    return _ranged(request, handle, media, headers)


def _ranged(request: Request, handle: IO[bytes], media: str, headers: dict[str, str]) -> Response:
    """`handle` served whole, or the byte range the request asks for (206), or 416."""
    size = os.fstat(handle.fileno()).st_size
    headers = {"Cache-Control": "no-cache", "Accept-Ranges": "bytes", **headers}
    try:
        wanted = byte_range(request.headers.get("range"), size)
    except ValueError:
        handle.close()
        headers["Content-Range"] = f"bytes */{size}"
        return JSONResponse({"error": "the range asked for is outside the file"}, 416, headers)
    if wanted is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(read_chunks(handle), media_type=media, headers=headers)
    start, end = wanted  # a player seeking: only these bytes
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(
        read_chunks(handle, start, end - start + 1),
        status_code=206,
        media_type=media,
        headers=headers,
    )


def _attachment(name: str) -> str:
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def cancel(request: Request) -> Response:
    """POST /api/jobs/{id}/cancel."""
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    state = _state(request).store.request_cancel(found.id)
    if state not in ("cancelled", "cancelling"):
        return error(f"job {found.id} already ended ({state}); nothing to cancel", 409)
    return JSONResponse({"job_id": found.id, "state": state})


def retry(request: Request) -> Response:
    """POST /api/jobs/{id}/retry: failed files again, or a waiting job at once."""
    found = _job(request)
    if found is None:
        return error("no such job", 404)
    if found.state == "processing" or (found.state == "queued" and not found.waiting_reason):
        return error(f"job {found.id} is {found.state}; nothing to retry", 409)
    count = _state(request).store.retry(found.id)
    if found.state != "queued" and not count:
        return error(f"job {found.id} has no failed or cancelled files", 409)
    return JSONResponse({"job_id": found.id, "requeued": count})


async def upload(request: Request) -> Response:
    """POST /api/uploads: multipart `files` (and first the fields `watch`, `variations`)."""
    state = _state(request)
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
    state = _state(request)
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
    state = _state(request)
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
    store = _state(request).store
    await run_in_threadpool(store.set_pause, Pause(until=until, now=now, by="page", at=time.time()))
    return pause_state(request)


def resume(request: Request) -> Response:
    """POST /api/resume: end a pause."""
    _state(request).store.clear_pause()
    return pause_state(request)


def health(request: Request) -> JSONResponse:
    """GET /api/health: disk per output, queue, workers, version, the config in force."""
    state = _state(request)
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
    store = _state(request).store

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
