"""What the tests share: generated clips, a workspace with its config, the real CLI
and daemon as subprocesses, waiting with a deadline, reading the store as a script
would, and the one tiny effects profile."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.common import hold_write_lock as hold_write_lock  # shared with the benches
from vidvar.ffmpeg.commands import sample_clip_args
from vidvar.store import NewFile, NewJob

REPO = Path(__file__).resolve().parents[2]
VIDVAR = [sys.executable, "-m", "vidvar"]


def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 60.0,
    interval: float = 0.05,
    what: str = "condition",
) -> Any:
    """Poll `predicate` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Read the store from another connection, as a user's script would."""
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # the daemon is still creating the schema
            return []
        raise
    finally:
        conn.close()


def job_states(db: Path) -> dict[str, str]:
    if not db.exists():
        return {}
    return {r["id"]: r["state"] for r in rows(db, "SELECT id, state FROM jobs")}


SLOW = {"seconds": 8, "size": "320x240", "rate": 25}  # several seconds to encode at veryslow


def slow_encoder(ws: Workspace) -> None:
    ws.data["encoders"] = {"default": {"preset": "veryslow"}}
    ws.write()


def wait_job(ws: Workspace, state: str, timeout: float = 90) -> dict[str, str]:
    """Until every job has `state` in the store and its status.json has been rewritten last."""

    def settled() -> dict[str, str] | None:
        states = job_states(ws.db)
        if not states or any(v != state for v in states.values()):
            return None
        statuses = ws.statuses()
        if len(statuses) != len(states) or any(s["state"] != state for s in statuses):
            return None
        return states

    return dict(wait_for(settled, timeout=timeout, what=f"every job {state}"))


def wait_encoding(ws: Workspace) -> sqlite3.Row:
    """Until a file is mid-encode: ffmpeg runs and progress has started."""
    return wait_for(
        lambda: next(
            iter(rows(ws.db, "SELECT * FROM files WHERE ffmpeg_pid IS NOT NULL AND progress > 0")),
            None,
        ),
        timeout=60,
        what="an encode in progress",
    )


class ClipFactory:
    """Generates small test clips once per session and copies them where asked."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache

    def make(
        self,
        dest: Path,
        *,
        seconds: float = 1.0,
        size: str = "160x120",
        rate: int = 10,
        audio: bool = True,
        extra: tuple[str, ...] = (),
    ) -> Path:
        key = f"{seconds}-{size}-{rate}-{audio}-{'_'.join(extra)}".replace("/", "_")
        cached = self.cache / f"{abs(hash(key))}.{dest.suffix.lstrip('.') or 'mp4'}"
        if not cached.exists():
            tmp = cached.with_name("tmp-" + cached.name)
            subprocess.run(
                sample_clip_args(
                    tmp, seconds=seconds, size=size, rate=rate, audio=audio, extra=extra
                ),
                check=True,
            )
            tmp.rename(cached)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, dest)
        return dest

    def still(self, dest: Path, *, size: str = "64x64", colour: str | None = None) -> Path:
        """One PNG frame at `dest`, whatever its name says (a photo named .mp4): a test
        pattern, or one plain colour."""
        graph = f"color=c={colour}:size={size}" if colour else f"testsrc2=size={size}"
        return self._generate(dest, graph, "-frames:v", "1", "-f", "image2", "-c:v", "png")

    def audio_only(self, dest: Path, *, seconds: float = 1.0) -> Path:
        """A file with one AAC track and no picture."""
        return self._generate(dest, f"sine=duration={seconds}", "-c:a", "aac")

    @staticmethod
    def _generate(dest: Path, graph: str, *options: str) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        command = ("ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", graph)
        subprocess.run([*command, *options, str(dest)], check=True)
        return dest


class Workspace:
    """Folders of one hot folder plus a config file pointing at them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inbox = root / "share" / "inbox"
        self.output = root / "share" / "output"
        self.archive = root / "share" / "archive"
        self.failed = root / "share" / "failed"
        self.inbox.mkdir(parents=True)
        self.config_path = root / "vidvar.yaml"
        self.db = root / "state" / "vidvar.db"
        self.data: dict[str, Any] = {
            "database": "state/vidvar.db",
            "watch": [
                {
                    "name": "ads",
                    "inbox": "share/inbox",
                    "output": "share/output",
                    "variations": 2,
                    "settle_seconds": 0.3,
                    "observer": "native",
                    "scan_interval": 30,
                    "archive_dir": "share/archive",
                    "failed_dir": "share/failed",
                }
            ],
            "worker": {
                "poll_interval": 0.5,
                "stall_seconds": 30,
                "lease_seconds": 10,
                "stop_grace_seconds": 2,
            },
            "logging": {"level": "debug", "format": "json"},
        }
        self.write()

    def write(self, **watch_overrides: Any) -> Path:
        self.data["watch"][0].update(watch_overrides)
        self.config_path.write_text(yaml.safe_dump(self.data))
        return self.config_path

    def job_dirs(self) -> list[Path]:
        return (
            sorted(p for p in self.output.iterdir() if p.is_dir()) if self.output.exists() else []
        )

    def statuses(self) -> list[dict[str, Any]]:
        found = []
        for folder in self.job_dirs():
            status = folder / "status.json"
            if status.exists():
                found.append(json.loads(status.read_text()))
        return found


def run_cli(
    *args: str,
    config: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """The real CLI as a subprocess (run in `cwd`, the repository by default)."""
    cmd = [*VIDVAR, *args]
    if config is not None:
        cmd += ["-c", str(config)]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        check=False,
    )


class DaemonProcess:
    """`vidvar run` (or `worker`) as a real subprocess, its log in a file."""

    def __init__(
        self,
        config: Path,
        log: Path,
        command: str = "run",
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
    ) -> None:
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*prefix, *VIDVAR, command, "-c", str(config)],
            stdout=self._log,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            env={**os.environ, **(env or {})},
        )

    def events(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        result = []
        for line in lines:
            try:
                result.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return result

    def saw(self, event: str) -> bool:
        return any(e.get("event") == event for e in self.events())

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def ffmpeg_processes_under(folder: Path) -> list[int]:
    """Pids of ffmpeg processes whose command line mentions `folder`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            args
            and b"ffmpeg" in os.path.basename(args[0])
            and any(str(folder).encode() in a for a in args)
        ):
            pids.append(int(entry.name))
    return pids


# Effects so small that every variation is close to its source and to its siblings:
# the distinctness bounds are what a test then controls.
TINY = {
    "min_distance": 0.05,
    "effects": {
        "brightness": {"range": [0.0, 0.004]},
        "contrast": {"range": [1.0, 1.004]},
        "saturation": {"range": [1.0, 1.004]},
        "gamma": {"range": [1.0, 1.004]},
    },
}


def new_job(key: str, files: int = 1, kind: str = "file") -> NewJob:
    """A job for the store alone (no files on disk)."""
    return NewJob(
        watch="ads",
        source_path=f"/in/{key}",
        source_key=key,
        kind=kind,  # type: ignore[arg-type]
        job_dir=f"/out/{key}",
        variations=3,
        profile="default",
        encoder="default",
        files=tuple(NewFile(path=f"/in/{key}/{i}.mp4", name=f"{i}.mp4") for i in range(files)),
    )


def wait_waiting(ws: Workspace, words: str, timeout: float = 90) -> sqlite3.Row:
    """Until the job waits on an environmental cause whose reason has `words`."""

    def waiting() -> sqlite3.Row | None:
        for row in rows(ws.db, "SELECT * FROM jobs"):
            if row["state"] == "queued" and words in (row["waiting_reason"] or ""):
                return row
        return None

    return wait_for(waiting, timeout=timeout, what=f"the job to wait on {words!r}")
