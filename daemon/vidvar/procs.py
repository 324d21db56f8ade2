"""Facts about local processes: is a worker alive, is a leftover ffmpeg really ours."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from vidvar.ffmpeg import kill_group, process_start_time


def hostname() -> str:
    """This machine's name, as recorded with each worker."""
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (zombies count as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def cmdline(pid: int) -> list[str]:
    """The argument list of a process, empty when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def kill_stray_ffmpeg(pid: int, started_at: float | None, job_dir: str, grace: float = 5.0) -> bool:
    """Kill an ffmpeg left by a dead run, only when it really is ours.

    The pid alone proves nothing after a reboot or pid reuse: the process must be
    ffmpeg, write into this job's folder and have started when we recorded.
    """
    args = cmdline(pid)
    if not args or "ffmpeg" not in os.path.basename(args[0]):
        return False
    if not any(job_dir in arg for arg in args):
        return False
    started = process_start_time(pid)
    if started_at is not None and (started is None or abs(started - started_at) > 2.0):
        return False
    kill_group(pid, grace)
    return True
