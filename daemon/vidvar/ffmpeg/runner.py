"""Supervised ffmpeg runs: own process group, progress, stderr tail, stall and cancel.

The caller starts a run and then waits on it in steps, reading its progress
between steps; nothing here calls back into the caller. A run is killed (its
whole process group: SIGTERM, a grace, SIGKILL) when its `cancel` event is set,
when it shows no sign of life for `stall_seconds`, or when the caller leaves the
`with` block early.
"""

from __future__ import annotations

import collections
import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

from vidvar.errors import CancelledError, EnvironmentProblem, FfmpegError, StalledError
from vidvar.ffmpeg.processes import io_counters, kill_group, process_start_time

STDERR_TAIL_LINES = 30
# What ffmpeg says when the machine, not the source, is at fault. The source is read
# through a descriptor the worker opened, so "permission denied" concerns outputs.
ENVIRONMENT_CAUSES = (
    "no space left",
    "disk quota exceeded",
    "permission denied",
    "read-only file system",
    "input/output error",
    "stale file handle",
    "transport endpoint is not connected",
)


@dataclass(frozen=True)
class Progress:
    """What ffmpeg reported last: seconds of output written, frames, speed."""

    out_seconds: float = 0.0
    frame: int = 0
    speed: float | None = None  # × realtime, as ffmpeg measures it
    reports: int = 0  # how many progress blocks arrived


@dataclass(frozen=True)
class Finished:
    """A run that ended well: its wall time and the CPU time of its process."""

    wall_seconds: float
    cpu_seconds: float | None


class _ProgressReader(threading.Thread):
    """Parses `-progress pipe:1` key=value blocks."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(daemon=True, name="ffmpeg-progress")
        self.stream = stream
        self.latest = Progress()
        self.changed_at = time.monotonic()
        self._marker: tuple[str, ...] = ()

    def run(self) -> None:
        block: dict[str, str] = {}
        for raw in self.stream:
            line = raw.decode("utf-8", "replace").strip()
            if "=" not in line:
                continue
            key, value = line.split("=", 1)
            block[key] = value
            if key == "progress":
                self._take(block)
                block = {}

    def _take(self, block: dict[str, str]) -> None:
        # Early values can be N/A; out_time_us is microseconds (so is out_time_ms).
        us = block.get("out_time_us", block.get("out_time_ms", ""))
        seconds = int(us) / 1e6 if us.lstrip("-").isdigit() and int(us) > 0 else 0.0
        frame = block.get("frame", "")
        speed = block.get("speed", "").rstrip("x").strip()
        try:
            speed_value: float | None = float(speed) if speed else None
        except ValueError:
            speed_value = None
        previous = self.latest
        self.latest = Progress(
            out_seconds=max(previous.out_seconds, seconds),
            frame=int(frame) if frame.isdigit() else previous.frame,
            speed=speed_value if speed_value else previous.speed,
            reports=previous.reports + 1,
        )
        marker = (us, frame, block.get("total_size", ""))
        if marker != self._marker:
            self._marker = marker
            self.changed_at = time.monotonic()


class _TailReader(threading.Thread):
    """Drains stderr so ffmpeg never blocks on a full pipe, keeping the last lines."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(daemon=True, name="ffmpeg-stderr")
        self.stream = stream
        self.lines: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)

    def run(self) -> None:
        for raw in self.stream:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class FfmpegRun:
    """One running ffmpeg. Use as a context manager; call `wait` until it returns True."""

    def __init__(
        self,
        runner: Runner,
        args: Sequence[str],
        *,
        cancel: threading.Event | None,
        stall_seconds: float,
        grace_seconds: float,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self._runner = runner
        self._cancel = cancel
        self._stall_seconds = stall_seconds
        self._grace = grace_seconds
        self._began = time.monotonic()
        # Its own process group (killable as a whole, deaf to the terminal's Ctrl-C) but
        # not its own session: a new session gets its own scheduler autogroup, which cost
        # 25% wall time for a 5-output 720p encode on a 2-core box (33 s vs 42 s).
        self._proc = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
            pass_fds=tuple(pass_fds),
        )
        self.pid = self._proc.pid
        self.started_at = process_start_time(self.pid)
        runner._track(self.pid)
        try:
            self._exit_fd: int | None = os.pidfd_open(self.pid)
        except OSError:  # kernels before 5.3: wait in short sleeps instead
            self._exit_fd = None
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._progress = _ProgressReader(self._proc.stdout)
        self._tail = _TailReader(self._proc.stderr)
        self._progress.start()
        self._tail.start()
        self._io = io_counters(self.pid)
        self._alive_at = time.monotonic()
        self._status: int | None = None
        self._cpu: float | None = None
        self.finished: Finished | None = None

    # -- reading ----------------------------------------------------------------

    @property
    def progress(self) -> Progress:
        """The latest progress report."""
        return self._progress.latest

    @property
    def stderr_tail(self) -> str:
        """The last lines ffmpeg wrote to stderr."""
        return self._tail.text

    # -- waiting ----------------------------------------------------------------

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout`; True once ffmpeg ended well, False while it runs.

        Raises CancelledError once `cancel` is set, StalledError after
        `stall_seconds` without a sign of life (progress, bytes read or written),
        FfmpegError when ffmpeg failed. The process is gone when any of these raise.
        """
        deadline = time.monotonic() + timeout
        while not self._reap(block=False):
            if self._cancel is not None and self._cancel.is_set():
                self._kill()
                raise CancelledError("stopped on request")
            if self._stalled():
                self._kill()
                raise StalledError(
                    f"ffmpeg made no progress for {self._stall_seconds:g} s and was stopped",
                    self._tail.text,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._sleep(min(remaining, 0.25))
        return self._conclude()

    def _stalled(self) -> bool:
        now = time.monotonic()
        io = io_counters(self.pid)
        if io is not None and io != self._io:
            self._io, self._alive_at = io, now
        last = max(self._alive_at, self._progress.changed_at)
        return now - last > self._stall_seconds

    def _sleep(self, seconds: float) -> None:
        if self._exit_fd is not None:
            select.select([self._exit_fd], [], [], seconds)
        else:
            time.sleep(min(seconds, 0.05))

    def _reap(self, *, block: bool) -> bool:
        """Collect the exit status (and CPU time) once the process ended."""
        if self._status is not None:
            return True
        try:
            pid, status, usage = os.wait4(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: the exit status is unknown
            pid, status, usage = self.pid, 0, None
        if pid == 0:
            return False
        self._status = status
        self._cpu = usage.ru_utime + usage.ru_stime if usage is not None else None
        self._proc.returncode = os.waitstatus_to_exitcode(status)
        return True

    def _conclude(self) -> bool:
        self._close_pipes()
        if self._cancel is not None and self._cancel.is_set():
            raise CancelledError("stopped on request")
        code = self._proc.returncode
        if code != 0:
            message = explain_failure(code, self._tail.text)
            if any(cause in self._tail.text.lower() for cause in ENVIRONMENT_CAUSES):
                # Not the file's fault: the job waits and is retried once it clears.
                raise EnvironmentProblem(message, self._tail.text)
            raise FfmpegError(message, self._tail.text)
        self.finished = Finished(time.monotonic() - self._began, self._cpu)
        return True

    def _kill(self) -> None:
        kill_group(self.pid, self._grace, gone=lambda: self._reap(block=False))
        self._reap(block=True)
        self._close_pipes()

    def _close_pipes(self) -> None:
        self._runner._untrack(self.pid)
        self._progress.join(timeout=5)
        self._tail.join(timeout=5)
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe:
                pipe.close()
        if self._exit_fd is not None:
            os.close(self._exit_fd)
            self._exit_fd = None

    # -- context ----------------------------------------------------------------

    def __enter__(self) -> FfmpegRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is None:
            self._kill()


class Runner:
    """Starts supervised ffmpeg runs and remembers which are in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[int] = set()

    def start(
        self,
        args: Sequence[str],
        *,
        cancel: threading.Event | None = None,
        stall_seconds: float = 120.0,
        grace_seconds: float = 5.0,
        pass_fds: Sequence[int] = (),
    ) -> FfmpegRun:
        """Start ffmpeg; see FfmpegRun.wait for what ends it."""
        return FfmpegRun(
            self,
            args,
            cancel=cancel,
            stall_seconds=stall_seconds,
            grace_seconds=grace_seconds,
            pass_fds=pass_fds,
        )

    def run(self, args: Sequence[str], **options: Any) -> Finished:
        """Start ffmpeg and wait for its end (options as for `start`)."""
        with self.start(args, **options) as proc:
            while not proc.wait(1.0):
                pass
            assert proc.finished is not None
            return proc.finished

    def kill_all_now(self) -> None:
        """SIGKILL every run in flight (a second stop signal: no grace)."""
        with self._lock:
            pids = list(self._running)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)

    def _track(self, pid: int) -> None:
        with self._lock:
            self._running.add(pid)

    def _untrack(self, pid: int) -> None:
        with self._lock:
            self._running.discard(pid)


def capture(
    args: Sequence[str],
    *,
    timeout: float = 120,
    data: bytes | None = None,
    pass_fds: Sequence[int] = (),
) -> subprocess.CompletedProcess[bytes]:
    """A short ffmpeg/ffprobe run (probe, preview sheet): its output, at most `timeout` s."""
    if data is not None:
        return subprocess.run(
            list(args),
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
            pass_fds=tuple(pass_fds),
        )
    return subprocess.run(
        list(args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
        pass_fds=tuple(pass_fds),
    )


def explain_failure(code: int, tail: str) -> str:
    """ffmpeg's exit code and stderr tail in plain words."""
    low = tail.lower()
    if code < 0:
        return f"ffmpeg was killed by signal {-code}"
    if "no space left" in low or "quota exceeded" in low:
        return "ffmpeg could not write the outputs: the output disk is full"
    if "read-only file system" in low:
        return "ffmpeg could not write the outputs: the output folder is read-only"
    if "invalid data found" in low or "error while decoding" in low or "corrupt" in low:
        return "ffmpeg could not decode the source: the file is truncated or corrupt"
    if "permission denied" in low:
        return "ffmpeg could not write the outputs (permission denied)"
    if "input/output error" in low or "stale file handle" in low or "not connected" in low:
        return "ffmpeg lost its files (input/output error: is the share still there?)"
    return f"ffmpeg failed (exit code {code})"
