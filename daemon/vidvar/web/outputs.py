"""The API's routes for a job's outputs: one file (in byte ranges, so players seek), its
poster frame, the source for comparing, a verdict per output, the manifest, and ZIPs of
all, the approved or the chosen outputs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from vidvar.config.placement import ASPECTS
from vidvar.engine.sinks import StatusSink
from vidvar.jobfolder import JobFolder
from vidvar.store import VERDICTS, FileRecord
from vidvar.web.api import error, job_of, state_of
from vidvar.web.files import (
    NotServed,
    byte_range,
    manifest_csv,
    open_inside,
    read_chunks,
    recorded_outputs,
    zip_outputs,
)
from vidvar.web.thumbs import thumbnail


def job_zip(request: Request) -> Response:
    """GET /api/jobs/{id}/zip: every output and the manifest, one ZIP, streamed;
    `?verdict=approved` only the approved ones, `?outputs=a.mp4,b.mp4` only those."""
    found = job_of(request)
    if found is None:
        return error("no such job", 404)
    files = state_of(request).store.files(found.id)
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
    found = job_of(request)
    if found is None:
        return error("no such job", 404)
    text = manifest_csv(state_of(request).store.files(found.id))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(f"{found.id}-manifest.csv")},
    )


async def review(request: Request) -> Response:
    """POST /api/jobs/{id}/review {"file": NAME, "variation": V, "format": "9:16" (default
    "source"), "verdict": "approved"|"rejected"|null}: a person's verdict on one output,
    kept in the store and status.json."""
    found = job_of(request)
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
    shape = body.get("format", "source")
    if shape not in ASPECTS:
        return error(f"`format` must be one of {', '.join(ASPECTS)}", 400)
    state = state_of(request)
    if not await run_in_threadpool(
        state.store.set_verdict, found.id, name, variation, verdict, shape
    ):
        return error(f"job {found.id} has no variation {variation} of {name!r} in {shape}", 404)
    # status.json says it too (its one writer, run here for this change).
    await run_in_threadpool(StatusSink(state.store).write, found.id)
    return JSONResponse({"file": name, "variation": variation, "format": shape, "verdict": verdict})


def job_source(request: Request) -> Response:
    """GET /api/jobs/{id}/source?file=NAME: a file's source where it is now (inbox or
    archive), for the compare view; byte ranges as for outputs. Only inside the hot
    folder's configured folders, never through a link."""
    found = job_of(request)
    if found is None:
        return error("no such job", 404)
    state = state_of(request)
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
    found = job_of(request)
    if found is None:
        return error("no such job", 404)
    outputs = recorded_outputs(state_of(request).store.files(found.id))
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
    found = job_of(request)
    if found is None:
        return error("no such job", 404)
    relative = request.path_params["path"]
    folder = JobFolder(found.job_dir)
    allowed = set(recorded_outputs(state_of(request).store.files(found.id)))
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
