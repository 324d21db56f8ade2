"""Facts about local processes: start times, liveness, command lines, killing a group.

A pid alone proves nothing after a reboot or pid reuse, so anything killed
outside a run we started ourselves must also match its command line and its
start time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def process_start_time(pid: int) -> float | None:
    """Seconds after boot at which a process started (from /proc/PID/stat); None when gone.

    Boot-relative on purpose: it needs no /proc/stat, which a hardened unit hides.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (zombies count as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def process_alive_since(pid: int, registered_at: float) -> bool:
    """True when `pid` is alive and is the process that registered at `registered_at`
    (wall clock): a process with that pid started later is another one (pid reuse)."""
    if not pid_alive(pid):
        return False
    started = process_start_time(pid)
    if started is None:
        return False
    boot = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    return boot + started <= registered_at + 5.0  # clock ticks and NTP steps: some slack


def cmdline(pid: int) -> list[str]:
    """The argument list of a process, empty when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def io_counters(pid: int) -> tuple[int, int] | None:
    """(bytes read, bytes written) by a process so far, from /proc/PID/io; None if unknown."""
    try:
        fields = dict(
            line.split(": ", 1) for line in Path(f"/proc/{pid}/io").read_text().splitlines()
        )
        return int(fields["rchar"]), int(fields["wchar"])
    except (OSError, ValueError, KeyError):
        return None


def kill_group(pid: int, grace: float, gone: Callable[[], bool] | None = None) -> None:
    """SIGTERM the process group, wait up to `grace` for its leader to be `gone`, then
    SIGKILL what is left of the group; a group already gone is fine.

    `gone` defaults to "not alive"; a parent that reaps its child passes its own
    check, since a killed child stays a zombie (and its group answers signals)
    until it is reaped.
    """
    gone = gone or (lambda: not pid_alive(pid))
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not gone():
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def kill_stray_ffmpeg(
    pid: int, started_at: float | None, markers: Sequence[str], grace: float = 5.0
) -> bool:
    """Kill an ffmpeg left by a dead run, only when it really is ours: the process
    must be ffmpeg, name one of `markers` (its job folder, or the dead process's
    /proc/PID/fd/ through which it wrote) in its arguments and have started when we
    recorded."""
    args = cmdline(pid)
    if not args or "ffmpeg" not in os.path.basename(args[0]):
        return False
    if not any(marker in arg for arg in args for marker in markers):
        return False
    started = process_start_time(pid)
    if started_at is not None and (started is None or abs(started - started_at) > 2.0):
        return False
    kill_group(pid, grace)
    return True
