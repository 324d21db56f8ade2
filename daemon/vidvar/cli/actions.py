"""`vidvar enqueue`, `retry` and `cancel`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from vidvar.config import Config
from vidvar.ffmpeg.commands import sample_clip_args
from vidvar.ignore import has_video_extension, videos_under
from vidvar.intake import file_signature, folder_signature, make_job, manual_key
from vidvar.store import open_store


def enqueue(
    config: Config,
    paths: list[str],
    *,
    variations: int | None,
    watch_name: str | None,
    sample: bool,
) -> int:
    """Queue each path as a job; 0 when all were queued (or already were)."""
    try:
        watch = config.watch(watch_name) if watch_name else config.watches[0]
    except KeyError:
        names = ", ".join(w.name for w in config.watches)
        print(f"vidvar: no hot folder named {watch_name!r} (configured: {names})")
        return 2
    if variations is not None and not 1 <= variations <= 100:
        print("vidvar: --variations expects a whole number from 1 to 100")
        return 2
    if sample:
        target = watch.inbox / f"vidvar-sample-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        done = subprocess.run(
            sample_clip_args(target), stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
        if done.returncode != 0:
            print(f"vidvar: could not generate the sample clip: {done.stderr.decode()[-300:]}")
            return 1
        print(
            f"generated {target}; `vidvar run` picks it up once it has settled "
            f"({watch.settle_seconds:g} s) and writes variations under {watch.output}"
        )
        if not paths:
            return 0
    if not paths:
        print("vidvar: give one or more files or folders to queue (or --sample)")
        return 2
    store = open_store(config.database)
    failures = 0
    try:
        for raw in paths:
            path = Path(raw).absolute()
            if path.is_dir():
                files = videos_under(path, path, config.extensions)
                if not files:
                    print(f"{raw}: no videos found (extensions: {', '.join(config.extensions)})")
                    failures += 1
                    continue
                signature = folder_signature(path)[2]
            elif path.is_file():
                if not has_video_extension(path.name, config.extensions):
                    print(f"{raw}: not a video extension ({', '.join(config.extensions)})")
                    failures += 1
                    continue
                files = [path]
                signature = ":".join(str(p) for p in file_signature(path) or ())
            else:
                print(f"{raw}: no such file or folder")
                failures += 1
                continue
            key = manual_key(path, signature, variations or watch.variations)
            job, created = store.enqueue(
                make_job(watch, path, files, key, origin="manual", variations=variations)
            )
            verb = "queued" if created else "already queued"
            print(
                f"{verb} {job.id}  {path.name}  ({len(files)} file(s), {job.variations} "
                f"variations) → {job.job_dir}"
            )
    finally:
        store.close()
    return 1 if failures else 0


def retry(config: Config, job_ref: str) -> int:
    """Re-queue the failed files of a finished job."""
    store = open_store(config.database)
    try:
        job = store.get_job(job_ref)
        if job is None:
            print(f"vidvar: no job matches {job_ref!r} (give the id or a unique prefix)")
            return 1
        if job.state == "processing":
            print(f"job {job.id} is being processed; nothing to retry")
            return 1
        if job.state == "queued" and not job.waiting_reason:
            print(f"job {job.id} is queued already; it starts when a worker is free")
            return 1
        count = store.retry(job.id)
        if job.state == "queued":
            print(f"job {job.id} was waiting ({job.waiting_reason}); it is tried again now")
            return 0
        if not count:
            print(f"job {job.id} has no failed or cancelled files to retry")
            return 1
        print(f"re-queued {count} file(s) of job {job.id}")
        return 0
    finally:
        store.close()


def cancel(config: Config, job_ref: str) -> int:
    """Cancel a queued job or stop a running one."""
    store = open_store(config.database)
    try:
        job = store.get_job(job_ref)
        if job is None:
            print(f"vidvar: no job matches {job_ref!r} (give the id or a unique prefix)")
            return 1
        state = store.request_cancel(job.id)
        if state == "cancelled":
            print(f"cancelled job {job.id}")
            return 0
        if state == "cancelling":
            print(f"job {job.id} is running: its worker stops ffmpeg and removes partial outputs")
            return 0
        print(f"job {job.id} already ended ({state}); nothing to cancel")
        return 1
    finally:
        store.close()
