"""Helpers shared by the benchmarks: workspaces, the daemon as a subprocess, /proc readings,
SSIM of two videos."""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from vidvar.ffmpeg.commands import common_chain
from vidvar.ffmpeg.probe import MediaInfo
from vidvar.ffmpeg.tools import ffmpeg, input_url

REPO = Path(__file__).resolve().parent.parent


def workspace(**watch: Any) -> tuple[Path, Path]:
    """A temp folder with share/inbox and a config; returns (root, config path)."""
    root = Path(tempfile.mkdtemp(prefix="vidvar-bench-"))
    (root / "share" / "inbox").mkdir(parents=True)
    (root / "staging").mkdir()
    config = {
        "database": "state/vidvar.db",
        "watch": [
            {
                "name": "bench",
                "inbox": "share/inbox",
                "output": "share/output",
                "settle_seconds": 0,
                "observer": "native",
                **watch,
            }
        ],
        "worker": {"poll_interval": 2},
        "logging": {"level": "info", "format": "json"},
    }
    path = root / "vidvar.yaml"
    path.write_text(yaml.safe_dump(config))
    return root, path


def update_config(path: Path, **sections: Any) -> None:
    data = yaml.safe_load(path.read_text())
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data))


class Daemon:
    """`vidvar run` with its JSON log in a file."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = config.parent / "daemon.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vidvar", "run", "-c", str(config)],
            stdout=self._log,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            env={**os.environ, **(env or {})},
        )
        self.wait_event("ready", 60)

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                out.append(json.loads(line))
        return out

    def wait_event(self, name: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if event.get("event") == name:
                    return event
            time.sleep(0.05)
        raise TimeoutError(f"no {name!r} event within {timeout} s")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self._log.close()


def children_cpu_seconds() -> float:
    """utime + stime of this process's children it has waited for (the ffmpeg it ran)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds_with_children(pid: int) -> float:
    """utime + stime of a process and of its children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_of(pid: int) -> list[int]:
    """Direct children of a process, from /proc/PID/task/*/children (a few small reads;
    a scan of all /proc ten times a second took a good part of a core from what it
    measured)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def video_ssim(a: Path, b: Path) -> float:
    """Mean SSIM of two videos, from ffmpeg's ssim filter (NaN when it prints none)."""
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-i", str(a), "-i", str(b), "-lavfi", "ssim", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"All:([0-9.]+)", done.stderr)
    return float(found.group(1)) if found else float("nan")


def shared_work_args(source: Path, info: MediaInfo) -> list[str]:
    """Decode and the common chain only, into nothing: the work one fan-out shares
    between its outputs (what the benchmark weighs against the whole encode)."""
    args = [ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-i", input_url(source)]
    args += ["-filter_complex", f"[0:v:0]{','.join(common_chain(info))}[v]", "-map", "[v]"]
    if info.has_audio:
        args += ["-map", "0:a:0"]
    return [*args, "-f", "null", "-"]
