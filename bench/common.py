"""Helpers shared by the benchmarks: workspaces, the daemon as a subprocess, /proc readings,
SSIM of two videos."""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vidvar import effects
from vidvar.effects import Picture
from vidvar.ffmpeg.commands import common_chain
from vidvar.ffmpeg.probe import MediaInfo
from vidvar.ffmpeg.tools import ffmpeg, input_url
from vidvar.store import JobStore, NewFile, NewJob

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


@dataclass
class DaemonRun:
    """What one batch dropped into a running daemon cost, from the drop to the last job."""

    cpu: float  # the daemon and every ffmpeg it ran
    wall: float
    statuses: list[dict[str, Any]]  # each job's status.json at the end
    events: list[dict[str, Any]]  # the daemon's log
    daemon_rss: float  # MB
    ffmpeg_rss: float  # MB, the largest ffmpeg

    def busy(self, cores: int | None = None) -> float:
        """Core utilisation: busy CPU-seconds / (wall x cores)."""
        return self.cpu / (self.wall * (cores or os.cpu_count() or 1))


def drop_and_wait(
    sources: list[Path], count: int, watch: dict[str, Any] | None = None, **sections: Any
) -> DaemonRun:
    """Start a daemon (config `sections` over the bench workspace), drop `sources` into
    its inbox at once, and measure until every job's status.json says it ended."""
    root, config = workspace(variations=count, on_success="keep", **(watch or {}))
    if sections:
        update_config(config, **sections)
    daemon = Daemon(config)
    try:
        staged = []
        for source in sources:
            staged.append(root / "staging" / source.name)
            shutil.copyfile(source, staged[-1])
        ffmpeg_peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            # VmHWM is a high-water mark: reading it twice a second loses nothing but
            # the last half second of a process, and keeps the sampler off the CPUs.
            while not done.wait(0.5):
                for child in children_of(daemon.proc.pid):
                    with contextlib.suppress(OSError):
                        ffmpeg_peak[0] = max(ffmpeg_peak[0], peak_rss_mb(child))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu0 = cpu_seconds_with_children(daemon.proc.pid)
        start = time.monotonic()
        for path in staged:
            path.rename(root / "share" / "inbox" / path.name)  # the drop
        while True:
            statuses = _statuses(root / "share" / "output")
            if len(statuses) == len(sources) and all(
                s.get("state") in ("completed", "failed", "cancelled") for s in statuses
            ):
                break
            time.sleep(0.1)  # the harness must stay off the CPUs it measures
        wall = time.monotonic() - start
        cpu = cpu_seconds_with_children(daemon.proc.pid) - cpu0
        done.set()
        sampler.join()
        failed = [s for s in statuses if s["state"] != "completed"]
        if failed:
            raise RuntimeError(f"the daemon did not complete a job: {failed[0]}")
        return DaemonRun(
            cpu=cpu,
            wall=wall,
            statuses=statuses,
            events=daemon.events(),
            daemon_rss=peak_rss_mb(daemon.proc.pid),
            ffmpeg_rss=ffmpeg_peak[0],
        )
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


def _statuses(output: Path) -> list[dict[str, Any]]:
    found = []
    for path in output.glob("*/status.json"):
        with contextlib.suppress(OSError, ValueError):
            found.append(json.loads(path.read_text()))
    return found


def testsrc_clip(path: Path, size: str, seconds: float, *, noisy: bool = False) -> Path:
    """A generated H.264 + AAC clip (testsrc2, 30 fps; `noisy`: with moving noise, like
    footage from a small sensor)."""
    graph = f"testsrc2=size={size}:rate=30:duration={seconds}"
    if noisy:
        graph += ",noise=alls=12:allf=t"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", graph),
            *("-f", "lavfi", "-i", f"sine=duration={seconds}"),
            *("-c:v", "libx264", "-preset", "fast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
            str(path),
        ],
        check=True,
    )
    return path


def earlier_graph(params: dict[str, Any], frame: Picture, fps: float | None) -> Any:
    """A variation's video graph as earlier releases built it: geometry always through
    perspective, grain as moving noise (new noise every frame). For side-by-side runs."""
    rest = {k: v for k, v in params.items() if k != "grain"}
    old = Picture(frame.aspect, None)
    if not params.get("grain"):
        return lambda a, b: effects.video_graph(rest, old, a, b, fps)
    noise = f"noise=alls={params['grain']}:allf=t:all_seed={params['grain_seed']}"
    return lambda a, b: f"[{a}]{noise}[{b}g];" + effects.video_graph(rest, old, f"{b}g", b, fps)


def fill_queue(store: JobStore, jobs: int) -> None:
    """`jobs` queued one-file jobs, as if that many files had been dropped."""
    for i in range(jobs):
        store.enqueue(
            NewJob(
                watch="bench",
                source_path=f"/in/clip{i}.mp4",
                source_key=f"bench:{i}",
                kind="file",
                job_dir=f"/out/clip{i}",
                variations=5,
                profile="default",
                encoder="default",
                files=(NewFile(path=f"/in/clip{i}.mp4", name=f"clip{i}.mp4"),),
            )
        )


_HOLD_LOCK = (
    "import sqlite3, sys, time\n"
    "c = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE')\n"
    "print('held', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "c.execute('COMMIT')\n"
)


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    """A second process (not a thread of ours: the lock is SQLite's, across processes)
    holding the database's write lock for `seconds`; returns once it holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    if holder.stdout is None or holder.stdout.readline().strip() != "held":
        holder.kill()
        raise RuntimeError(f"could not take the write lock of {db}")
    return holder


@contextlib.contextmanager
def notify_datagrams(path: Path) -> Iterator[list[tuple[float, bytes]]]:
    """Stand in for systemd's notify socket at `path`: collect (monotonic time,
    datagram) for each message the daemon sends (READY=1, STATUS=, WATCHDOG=1)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.5)
    got: list[tuple[float, bytes]] = []
    done = threading.Event()

    def listen() -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                got.append((time.monotonic(), sock.recv(4096)))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    try:
        yield got
    finally:
        done.set()
        listener.join(timeout=5)
        sock.close()


def pids_with(marker: str) -> list[int]:
    """Processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found
