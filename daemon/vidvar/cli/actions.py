"""`vidvar enqueue`, `retry` and `cancel`: what an operator does to jobs."""

from __future__ import annotations

import secrets
import subprocess
import time
from pathlib import Path
from typing import Any

from vidvar.cli.common import fail, one_job, print_json
from vidvar.config import Config, WatchConfig
from vidvar.config.placement import Format, parse_formats
from vidvar.config.topology import folders_in_use
from vidvar.ffmpeg.commands import sample_clip_args
from vidvar.inbox.ignore import has_video_extension, videos_under
from vidvar.inbox.intake import file_signature, folder_signature, make_job, manual_key
from vidvar.store import JobStore, Pause, open_store
from vidvar.units import parse_duration


def _say(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        print_json(data)
    else:
        print(text)


def _sample(watch: WatchConfig, as_json: bool) -> int:
    target = watch.inbox / f"vidvar-sample-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
    done = subprocess.run(
        sample_clip_args(target), stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace")[-300:]
        return fail(f"could not generate the sample clip: {tail}", as_json=as_json)
    _say(
        as_json,
        {"generated": str(target)},
        f"generated {target}; `vidvar run` picks it up once it has settled "
        f"({watch.settle_seconds:g} s) and writes variations under {watch.output}",
    )
    return 0


def _not_a_source(config: Config, path: Path) -> str | None:
    """Why `path` must not be queued: it lies in a folder vidvar writes to."""
    for watch in config.watches:
        for key, folder in folders_in_use(watch):
            if key != "inbox" and (path == folder or folder in path.parents):
                return (
                    f"{path} is in the {key.replace('_dir', '')} folder of {watch.name}: "
                    "vidvar's own outputs and moved sources are not queued as new sources"
                )
    return None


def enqueue(
    config: Config,
    paths: list[str],
    *,
    variations: int | None,
    watch_name: str | None,
    sample: bool,
    force: bool = False,
    as_json: bool = False,
    formats: str | None = None,
) -> int:
    """Queue each path as a job; 0 when all were queued (or already were). `formats` is
    a comma-separated list (config.placement)."""
    try:
        watch = config.watch(watch_name) if watch_name else config.watches[0]
    except KeyError:
        names = ", ".join(w.name for w in config.watches)
        return fail(
            f"no hot folder named {watch_name!r} (configured: {names})", as_json=as_json, code=2
        )
    if variations is not None and not 1 <= variations <= 100:
        return fail("--variations expects a whole number from 1 to 100", as_json=as_json, code=2)
    try:
        shapes = parse_formats(formats, _format_error) if formats is not None else None
    except ValueError as exc:
        return fail(f"--formats: {exc}", as_json=as_json, code=2)
    if sample:
        code = _sample(watch, as_json)
        if code or not paths:
            return code
    if not paths:
        return fail(
            "give one or more files or folders to queue (or --sample)", as_json=as_json, code=2
        )
    store = open_store(config.database)
    failures = 0
    results = []
    try:
        for raw in paths:
            outcome = _enqueue_one(
                store, config, watch, Path(raw).absolute(), (variations, shapes), force
            )
            if "error" in outcome:
                failures += 1
                fail(f"{raw}: {outcome['error']}", as_json=as_json)
                continue
            results.append(outcome)
            if not as_json:
                print(outcome["text"])
    finally:
        store.close()
    if as_json:
        print_json({"jobs": [{k: v for k, v in r.items() if k != "text"} for r in results]})
    return 1 if failures else 0


def _format_error(where: str, problem: str) -> ValueError:
    return ValueError(f"{where}: {problem}" if where else problem)


def _enqueue_one(
    store: JobStore,
    config: Config,
    watch: WatchConfig,
    path: Path,
    asked: tuple[int | None, tuple[Format, ...] | None],
    force: bool,
) -> dict[str, Any]:
    variations, formats = asked
    refused = _not_a_source(config, path)
    if refused:
        return {"error": refused}
    if path.is_dir():
        files = videos_under(path, path, config.extensions)
        if not files:
            return {"error": f"no videos found (extensions: {', '.join(config.extensions)})"}
        signature = str(folder_signature(path)[2])
    elif path.is_file():
        if not has_video_extension(path.name, config.extensions):
            return {"error": f"not a video extension ({', '.join(config.extensions)})"}
        files = [path]
        signature = ":".join(str(p) for p in file_signature(path) or ())
    else:
        return {"error": "no such file or folder"}
    key = manual_key(path, signature, variations or watch.variations)
    if formats:
        key += ":" + ",".join(f.key for f in formats)  # other shapes: another job
    if force:
        key += ":" + secrets.token_hex(4)  # a new job, whatever was done before
    job, created = store.enqueue(
        make_job(watch, path, files, key, origin="manual", variations=variations, formats=formats)
    )
    if created:
        verb = "queued"
    elif job.state in ("queued", "processing"):
        verb = f"already queued ({job.state})"
    else:
        verb = f"already done ({job.state}; --force queues it again)"
    return {
        "job_id": job.id,
        "created": created,
        "state": job.state,
        "files": len(files),
        "variations": job.variations,
        "job_dir": job.job_dir,
        "text": f"{verb} {job.id}  {path.name}  ({len(files)} file(s), {job.variations} "
        f"variations) → {job.job_dir}",
    }


def retry(config: Config, job_ref: str, *, as_json: bool = False) -> int:
    """Re-queue the failed files of a finished job, or wake a waiting one."""
    store = open_store(config.database)
    try:
        job = one_job(store, job_ref, as_json)
        if isinstance(job, int):
            return job
        if job.state == "processing":
            return fail(f"job {job.id} is being processed; nothing to retry", as_json=as_json)
        if job.state == "queued" and not job.waiting_reason:
            return fail(
                f"job {job.id} is queued already; it starts when a worker is free", as_json=as_json
            )
        count = store.retry(job.id)
        if job.state == "queued":
            _say(
                as_json,
                {"job_id": job.id, "woken": True},
                f"job {job.id} was waiting ({job.waiting_reason}); it is tried again now",
            )
            return 0
        if not count:
            return fail(f"job {job.id} has no failed or cancelled files to retry", as_json=as_json)
        _say(
            as_json,
            {"job_id": job.id, "requeued": count},
            f"re-queued {count} file(s) of job {job.id}",
        )
        return 0
    finally:
        store.close()


def cancel(config: Config, job_ref: str, *, as_json: bool = False) -> int:
    """Cancel a queued job or stop a running one."""
    store = open_store(config.database)
    try:
        job = one_job(store, job_ref, as_json)
        if isinstance(job, int):
            return job
        state = store.request_cancel(job.id)
        if state == "cancelled":
            _say(as_json, {"job_id": job.id, "state": state}, f"cancelled job {job.id}")
            return 0
        if state == "cancelling":
            _say(
                as_json,
                {"job_id": job.id, "state": state},
                f"job {job.id} is running: its worker stops ffmpeg and removes partial outputs",
            )
            return 0
        return fail(f"job {job.id} already ended ({state}); nothing to cancel", as_json=as_json)
    finally:
        store.close()


def pause(config: Config, *, for_: str | None, now: bool, as_json: bool) -> int:
    """Hold new files (for a while, or until `vidvar resume`); with `now`, stop the
    running encodes too and put their files back in the queue."""
    until = None
    if for_ is not None:
        try:
            until = time.time() + parse_duration(for_)
        except ValueError as exc:
            return fail(str(exc), as_json=as_json, code=2)
    store = open_store(config.database)
    try:
        store.set_pause(Pause(until=until, now=now, by="cli", at=time.time()))
        held = store.pause()
    finally:
        store.close()
    assert held is not None
    running = (
        "running encodes stop now; their files go back to the queue"
        if now
        else "running encodes finish first"
    )
    _say(
        as_json,
        {"paused": True, "until": until, "now": now},
        f"{held.describe()}: no new file starts; {running}",
    )
    return 0


def resume(config: Config, *, as_json: bool) -> int:
    """End a pause: queued files start again (within the schedule)."""
    store = open_store(config.database)
    try:
        was = store.clear_pause()
    finally:
        store.close()
    text = "resumed: queued files start again" if was else "nothing was paused"
    if config.schedule:
        text += " (within the schedule)"
    _say(as_json, {"paused": False, "was_paused": was}, text)
    return 0
