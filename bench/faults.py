"""vidvar under its own trouble: each case beside a baseline run in the same invocation,
on this tree and, with --before REV, on an older commit run the same way (a git
worktree of REV put first on PYTHONPATH), so a fix shows as a before and an after.

    scan      a batch folder whose vidvar.yaml is a YAML bomb, or 5 MB, dropped with a
              plain clip beside it: how long the plain clip waits to be queued, the
              daemon's peak memory, how the batch ends. Baseline: a valid vidvar.yaml.
    stop      SIGTERM to exit while a webhook endpoint dribbles a byte a second and
              on_finish sleeps. Baseline: the same daemon with nothing to deliver.
    watchdog  the longest gap between WATCHDOG=1 while another process holds SQLite's
              write lock for 20 s (WatchdogSec 6 s). Baseline: 20 s without the lock.
    pause     SIGSTOP for three leases (lease 5 s), while idle before a drop or in the
              middle of its encode: the file's end, attempts counted, lines of
              self-eviction. Baseline: the same clip, never stopped.
    overlap   check-config with the output folder a link to the inbox: its exit code.
    config    check-config with an interval of 1.0e+308, and with a webhook URL holding a
              password and a token: the exit code, and whether the secrets are printed.
    store     vidvar status on a garbage file and on another program's SQLite file as the
              database: the exit code and the first line said.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.common import (
    REPO,
    Daemon,
    children_of,
    hold_write_lock,
    notify_datagrams,
    peak_rss_mb,
    pids_with,
    update_config,
    workspace,
)
from vidvar.ffmpeg.commands import sample_clip_args

CASES = ("scan", "stop", "watchdog", "pause", "overlap", "config", "store")
SELF_EVICTION = (
    "killed an ffmpeg left running by a dead worker",
    "lost the claim on a job",
    "recovered a job left by a dead worker",
)


@dataclass(frozen=True)
class Code:
    """One version of vidvar to run: a label and the environment that selects it."""

    label: str
    env: dict[str, str]


Row = dict[str, str]


def run(cases: list[str], before: str | None = None) -> int:
    """Run `cases` on this tree (and first on `before`, a git revision) and print a row
    per case, version and condition."""
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(CASES)}")
        return 2
    with _versions(before) as codes, tempfile.TemporaryDirectory() as scratch:
        clip = _clip(Path(scratch) / "clip.mp4", "160x120", 1)
        slow = _clip(Path(scratch) / "slow.mp4", "320x240", 8)
        measures: dict[str, Callable[[Code], list[Row]]] = {
            "scan": lambda code: _scan(code, clip),
            "stop": lambda code: _stop(code, clip),
            "watchdog": _watchdog,
            "pause": lambda code: _pause(code, slow),
            "overlap": _overlap,
            "config": _config,
            "store": _store,
        }
        for case in cases:
            print(f"\n## {case}")
            for code in codes:
                for row in measures[case](code):
                    print("  " + " | ".join([code.label, *(f"{k}: {v}" for k, v in row.items())]))
    return 0


@contextlib.contextmanager
def _versions(before: str | None) -> Iterator[list[Code]]:
    here = Code("this tree", {"PYTHONPATH": str(REPO / "daemon")})
    if before is None:
        yield [here]
        return
    tree = Path(tempfile.mkdtemp(prefix="vidvar-before-"))
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), before],
        check=True,
        capture_output=True,
    )
    try:
        yield [Code(f"before ({before})", {"PYTHONPATH": str(tree / "daemon")}), here]
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )


def _clip(path: Path, size: str, seconds: float) -> Path:
    subprocess.run(sample_clip_args(path, seconds=seconds, size=size, rate=25), check=True)
    return path


def _deadline_wait(check: Callable[[], Any], timeout: float) -> Any:
    """check() until it gives something truthy or `timeout` passes (then None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    return None


def _rows(db: Path, sql: str) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as c:
        c.row_factory = sqlite3.Row
        try:
            return c.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []


# --- scan ------------------------------------------------------------------------------------

BOMB = (
    "variations: ["
    + ", ".join(
        ["&a0 [" + ", ".join(["lol"] * 9) + "]"]
        + [f"&a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]" for level in range(1, 8)]
        + ["*a7"]
    )
    + "]\n"
)
BATCH_FILES = {
    "a valid vidvar.yaml (baseline)": "variations: 1\n",
    "a YAML bomb under variations": BOMB,
    "a 5 MB vidvar.yaml (a long list)": "variations: 1\nnotes:\n" + "  - take\n" * 650_000,
}


def _scan(code: Code, clip: Path) -> list[Row]:
    return [_scan_one(code, clip, label, text) for label, text in BATCH_FILES.items()]


def _scan_one(code: Code, clip: Path, label: str, batch_file: str) -> Row:
    root, config = workspace(variations=1, on_success="keep")
    inbox = root / "share" / "inbox"
    batch = root / "staging" / "camp"
    batch.mkdir()
    shutil.copyfile(clip, batch / "a.mp4")
    (batch / "vidvar.yaml").write_text(batch_file)
    shutil.copyfile(clip, root / "staging" / "plain.mp4")
    daemon = Daemon(config, env=code.env)
    try:
        batch.rename(inbox / "camp")
        start = time.monotonic()
        (root / "staging" / "plain.mp4").rename(inbox / "plain.mp4")
        queued = _deadline_wait(lambda: _queued(daemon, "plain.mp4"), 120)
        waited = f"{time.monotonic() - start:.2f} s" if queued else "over 120 s"
        ended = _deadline_wait(lambda: _batch_end(root), 60) or "still in the inbox after 60 s"
        rss = f"{peak_rss_mb(daemon.proc.pid):.0f} MB"
        failed_ticks = sum(1 for e in daemon.events() if e.get("event") == "watcher tick failed")
    finally:
        _stop_daemon(daemon)
        shutil.rmtree(root, ignore_errors=True)
    return {
        "batch": label,
        "plain clip queued after": waited,
        "daemon peak": rss,
        "the batch": ended,
        "failed scans": str(failed_ticks),
    }


def _queued(daemon: Daemon, entry: str) -> bool:
    return any(e.get("event") == "queued" and e.get("entry") == entry for e in daemon.events())


def _batch_end(root: Path) -> str | None:
    if list((root / "share").glob("failed/camp/a.mp4*")):
        return "failed with a note"
    for status in (root / "share" / "output").glob("camp-*/status.json"):
        with contextlib.suppress(OSError, ValueError):
            state = yaml.safe_load(status.read_text()).get("state")
            if state in ("completed", "failed"):
                return str(state)
    return None


def _stop_daemon(daemon: Daemon) -> float:
    """SIGTERM; seconds until it exited (killed past 120 s)."""
    start = time.monotonic()
    daemon.proc.terminate()
    try:
        daemon.proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        daemon.proc.kill()
        daemon.proc.wait()
        return float("inf")
    finally:
        daemon._log.close()
    return time.monotonic() - start


# --- stop ------------------------------------------------------------------------------------


def _stop(code: Code, clip: Path) -> list[Row]:
    return [_stop_one(code, clip, deliver=False), _stop_one(code, clip, deliver=True)]


def _stop_one(code: Code, clip: Path, *, deliver: bool) -> Row:
    root, config = workspace(variations=1, on_success="keep")
    connected = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    marker = str(root / "on-finish-marker")
    if deliver:
        threading.Thread(target=_dribble, args=(listener, connected), daemon=True).start()
        port = listener.getsockname()[1]
        update_config(
            config,
            notify={
                "webhooks": [{"url": f"http://127.0.0.1:{port}/hook", "timeout_seconds": 300}],
                "on_finish": [sys.executable, "-c", "import time; time.sleep(600)", marker],
            },
        )
    daemon = Daemon(config, env=code.env)
    try:
        shutil.copyfile(clip, root / "share" / "inbox" / "clip.mp4")
        if deliver:
            connected.wait(60)
            _deadline_wait(lambda: pids_with(marker), 60)
        else:
            _deadline_wait(lambda: _batch_end(root) == "completed", 60)
    finally:
        seconds = _stop_daemon(daemon)
        for pid in pids_with(marker):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        listener.close()
        shutil.rmtree(root, ignore_errors=True)
    what = "webhook dribbling, on_finish sleeping" if deliver else "nothing to deliver (baseline)"
    exited = "killed after 120 s" if seconds == float("inf") else f"{seconds:.1f} s"
    return {"while": what, "SIGTERM to exit": exited}


def _dribble(listener: socket.socket, connected: threading.Event) -> None:
    with contextlib.suppress(OSError):
        conn, _ = listener.accept()
        connected.set()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(300):
            conn.sendall(b"X")
            time.sleep(1)


# --- watchdog --------------------------------------------------------------------------------


def _watchdog(code: Code) -> list[Row]:
    return [_watchdog_one(code, locked=False), _watchdog_one(code, locked=True)]


def _watchdog_one(code: Code, *, locked: bool) -> Row:
    root, config = workspace()
    update_config(config, worker={"lease_seconds": 5, "poll_interval": 2})
    sock_path = root / "notify.sock"
    env = {**code.env, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "6000000"}
    with notify_datagrams(sock_path) as got:
        daemon = Daemon(config, env=env)
        try:
            start = time.monotonic()
            if locked:
                hold_write_lock(root / "state" / "vidvar.db", 20).wait(timeout=80)
            else:
                time.sleep(20)  # the baseline: the same stretch of time, nothing held
            end = time.monotonic()
        finally:
            _stop_daemon(daemon)
            shutil.rmtree(root, ignore_errors=True)
    inside = [t for t, data in got if b"WATCHDOG=1" in data and start <= t <= end]
    gap = max(b - a for a, b in zip([start, *inside], [*inside, end], strict=True))
    what = "SQLite write lock held 20 s" if locked else "20 s, no lock (baseline)"
    return {"while": what, "WATCHDOG=1 sent": str(len(inside)), "longest gap": f"{gap:.1f} s"}


# --- pause -----------------------------------------------------------------------------------


PAUSES = {
    "never (baseline)": None,
    "15 s while idle, then the drop": "idle",
    "15 s mid-encode": "mid-encode",
}


def _pause(code: Code, clip: Path) -> list[Row]:
    return [_pause_one(code, clip, label, when) for label, when in PAUSES.items()]


def _pause_one(code: Code, clip: Path, label: str, when: str | None) -> Row:
    root, config = workspace(variations=3, on_success="archive")
    update_config(config, worker={"lease_seconds": 5}, encoders={"default": {"preset": "veryslow"}})
    daemon = Daemon(config, env=code.env)
    try:
        if when == "idle":
            _stopped(daemon, 15)
        start = time.monotonic()
        shutil.copyfile(clip, root / "share" / "inbox" / "clip.mp4")
        if when == "mid-encode":
            _deadline_wait(lambda: children_of(daemon.proc.pid), 60)
            time.sleep(1)  # mid-encode, not at its first frame
            _stopped(daemon, 15)
        ended = _deadline_wait(lambda: _file_end(root), 240)
        wall = time.monotonic() - start
        evictions = sum(1 for e in daemon.events() if e.get("event") in SELF_EVICTION)
    finally:
        _stop_daemon(daemon)
        shutil.rmtree(root, ignore_errors=True)
    state, attempts = ended or ("not ended after 240 s", "?")
    where = "archive" if state == "completed" else "failed/" if state == "failed" else "inbox"
    return {
        "stopped": label,
        "file": str(state),
        "attempts": str(attempts),
        "source in": where,
        "self-eviction lines": str(evictions),
        "drop to end": f"{wall:.1f} s",
    }


def _stopped(daemon: Daemon, seconds: float) -> None:
    """SIGSTOP for `seconds` (the case itself: leases pass without a heartbeat)."""
    daemon.proc.send_signal(signal.SIGSTOP)
    time.sleep(seconds)
    daemon.proc.send_signal(signal.SIGCONT)


def _file_end(root: Path) -> tuple[str, int] | None:
    found = _rows(root / "state" / "vidvar.db", "SELECT state, attempts FROM files")
    if found and found[0]["state"] in ("completed", "failed"):
        return str(found[0]["state"]), int(found[0]["attempts"])
    return None


# --- overlap, config, store: what the CLI says ---------------------------------------------


def _cli(code: Code, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vidvar", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **code.env},
        timeout=120,
    )


def _first_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    if done.returncode == 0 or not lines:
        return "accepted" if done.returncode == 0 else "(nothing on stderr)"
    return lines[-1][:120] if lines[0].startswith("Traceback") else lines[0][:120]


def _overlap(code: Code) -> list[Row]:
    root, config = workspace()
    try:
        (root / "share" / "output").symlink_to(root / "share" / "inbox")
        checked = _cli(code, "check-config", "-c", str(config))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return [
        {
            "output a link to the inbox": "check-config",
            "exit": str(checked.returncode),
            "says": _first_line(checked),
        }
    ]


def _config(code: Code) -> list[Row]:
    secret = "https://user:s3cret@hooks.example/services/T0/B0/xoxb-t0ken"
    huge = _check_config(code, retention={"check_interval": 1.0e308})
    shown = _check_config(code, notify={"webhooks": [{"url": secret}]})
    leaked = [word for word in ("s3cret", "xoxb-t0ken") if word in shown.stdout + shown.stderr]
    return [
        {
            "check-config with": "an interval of 1.0e+308",
            "exit": str(huge.returncode),
            "says": _first_line(huge),
        },
        {
            "check-config with": "a webhook URL with a password and a token",
            "exit": str(shown.returncode),
            "secrets printed": ", ".join(leaked) or "none",
        },
    ]


def _check_config(code: Code, **sections: Any) -> subprocess.CompletedProcess[str]:
    root, config = workspace()
    try:
        update_config(config, **sections)
        return _cli(code, "check-config", "-c", str(config))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _store(code: Code) -> list[Row]:
    found = []
    for label, make in (("a garbage file", _garbage), ("another program's SQLite", _foreign)):
        root, config = workspace()
        try:
            make(root / "state" / "vidvar.db")
            said = _cli(code, "status", "-c", str(config))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        found.append(
            {
                "database": label,
                "vidvar status exit": str(said.returncode),
                "says": _first_line(said) if said.returncode else said.stdout[:80],
            }
        )
    return found


def _garbage(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))


def _foreign(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO photos (name) VALUES ('holiday.jpg')")
        conn.commit()
