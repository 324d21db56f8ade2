"""Progress feedback: how soon after ffmpeg starts the first progress reaches status.json,
and how many progress values a job writes, through the daemon end to end (1080p, 60 s,
5 variations by default)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import Daemon, workspace
from vidvar.ffmpeg.commands import sample_clip_args


def _watch(output: Path, stop: threading.Event, seen: list[tuple[float, dict[str, Any]]]) -> None:
    last = ""
    while not stop.is_set():
        for path in output.glob("*/status.json") if output.exists() else []:
            try:
                text = path.read_text()
            except OSError:
                continue
            if text != last:
                last = text
                seen.append((time.time(), json.loads(text)))
        time.sleep(0.02)


def run(seconds: float = 60, size: str = "1920x1080", variations: int = 5) -> int:
    root, config = workspace(variations=variations)
    try:
        source = root / "staging" / "clip.mp4"
        subprocess.run(sample_clip_args(source, seconds=seconds, size=size, rate=25), check=True)
        daemon = Daemon(config)
        seen: list[tuple[float, dict[str, Any]]] = []
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(root / "share" / "output", stop, seen))
        watcher.start()
        began = time.time()
        source.rename(root / "share" / "inbox" / "clip.mp4")
        finished = daemon.wait_event("job finished", seconds * 40 + 600)
        time.sleep(0.5)
        stop.set()
        watcher.join()
        daemon.stop()
        started = [
            datetime.fromisoformat(e["timestamp"]).timestamp()
            for e in daemon.events()
            if e.get("event") == "ffmpeg started"
        ]
        first = next(t for t, doc in seen if doc["files"][0]["progress"] > 0)
        values = sorted({doc["files"][0]["progress"] for _t, doc in seen})
        encode = [e for e in daemon.events() if e.get("event") == "ffmpeg finished"]
        print(f"clip: {size}, {seconds:g} s, {variations} variations ({finished['state']})")
        print(f"ffmpeg runs: {len(started)}; their wall: {[e['seconds'] for e in encode]} s")
        delay = first - started[0]
        print(f"from 'ffmpeg started' to the first progress in status.json: {delay:.2f} s")
        print(f"status.json writes: {len(seen)}; distinct file progress values: {len(values)}")
        print(f"from the drop to the job's end: {time.time() - began:.1f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0
