"""Scale: many files dropped at once are each queued exactly once; status on a big database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from bench.common import REPO, Daemon, fill_queue, peak_rss_mb, update_config, workspace
from vidvar.config import load_config
from vidvar.store import open_store


def drop_files(count: int) -> None:
    root, config = workspace(settle_seconds=1)
    # Pause the worker (no free space is ever enough): this measures queueing alone.
    update_config(config, retention={"min_free_gb": 10**9})
    daemon = Daemon(config)
    store = open_store(load_config(config).database)
    try:
        staging, inbox = root / "staging", root / "share" / "inbox"
        for i in range(count):
            (staging / f"clip{i:05d}.mp4").write_bytes(b"\0" * 64)
        start = time.monotonic()
        for name in os.listdir(staging):
            os.rename(staging / name, inbox / name)
        queued = 0
        while queued < count and time.monotonic() - start < 600:
            time.sleep(0.2)
            queued = store.counts().get("queued", 0)
        elapsed = time.monotonic() - start
        time.sleep(2)  # a few more settle rounds: nothing may be queued twice
        jobs = store.list_jobs(limit=count * 2)
        distinct = len({j.source_path for j in jobs})
        print(
            f"{count} files dropped at once: {len(jobs)} jobs, {distinct} distinct sources, "
            f"all queued in {elapsed:.1f} s; daemon peak RSS {peak_rss_mb(daemon.proc.pid):.0f} MB"
            f" (goal <= 150 MB)"
        )
    finally:
        store.close()
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


def status_time(jobs: int) -> None:
    root, config = workspace()
    store = open_store(load_config(config).database)
    start = time.monotonic()
    fill_queue(store, jobs)
    filled = time.monotonic() - start
    store.close()
    for args in (["status"], ["status", "--json"]):
        times = []
        for _ in range(3):
            t0 = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "vidvar", *args, "-c", str(config)],
                cwd=REPO,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            times.append(time.monotonic() - t0)
        print(
            f"vidvar {' '.join(args)} on {jobs} jobs: {min(times):.2f} s best of 3, "
            f"whole command (goal < 1 s); database filled in {filled:.0f} s"
        )
    shutil.rmtree(root, ignore_errors=True)


def run(files: int, jobs: int) -> int:
    drop_files(files)
    status_time(jobs)
    return 0
