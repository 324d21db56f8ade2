"""Side tasks: small duties that run on their own timers next to the worker
(heartbeat, cancel polling, retention, recovery sweeps), each in its own thread,
so that none of them waits for an encode and an encode never waits for them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from vidvar.engine.sdnotify import Notifier
from vidvar.log import get_logger


class SideTask:
    """Runs `duty` every `interval` seconds until stopped; failures are logged and
    counted, never fatal. `last_ok` (monotonic) says when it last succeeded."""

    def __init__(self, name: str, interval: Callable[[], float], duty: Callable[[], None]) -> None:
        self.name = name
        self.interval = interval
        self.duty = duty
        self.last_ok = time.monotonic()
        self.steady_since = self.last_ok  # start of the current unbroken run of successes
        self.failures = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.log = get_logger(task=name)

    def start(self) -> None:
        """Run the duty once now, then on its timer."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current run."""
        self._stop.set()

    def join(self, timeout: float) -> None:
        """Wait for the thread to end."""
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """The thread runs (or was never started)."""
        return self._thread.is_alive()

    def steady_for(self, seconds: float) -> bool:
        """The duty has succeeded on time for at least `seconds`, without a break."""
        return not self.failures and time.monotonic() - self.steady_since >= seconds

    def restart(self) -> None:
        """Start a new thread for a task whose thread died."""
        if not self._thread.is_alive() and not self._stop.is_set():
            self.log.error("side task thread ended; restarting it", error=repr(self.error))
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.duty()
            except Exception as exc:
                self.failures += 1
                self.error = exc
                self.log.warning(
                    "side task failed",
                    error=getattr(exc, "message", str(exc)),
                    failures=self.failures,
                )
            else:
                now = time.monotonic()
                # A failure, or a gap far longer than the interval (this process was
                # stopped, or the duty hung on a lock), breaks the run.
                if self.failures or now - self.last_ok > 2 * self.interval() + 1.0:
                    self.steady_since = now
                self.last_ok = now
                self.failures = 0
                self.error = None
            try:
                self._stop.wait(self.interval())
            except (OverflowError, ValueError) as exc:  # an interval no timer can take
                self.error = exc
                self._stop.wait(60.0)


class OutageReport:
    """Says in systemd's STATUS= (and the log) when the heartbeat task cannot reach the
    database, and when it can again. The watchdog is not stopped for it: a daemon
    that waits on its database is waiting correctly."""

    def __init__(
        self, beat: SideTask, notifier: Notifier, idle: Callable[[], str], log: Any
    ) -> None:
        self.beat, self.notifier, self.idle, self.log = beat, notifier, idle, log
        self.outage = False

    def update(self, heartbeat_seconds: float) -> None:
        """Called from the main loop at each round."""
        beat = self.beat
        silent = time.monotonic() - beat.last_ok > max(3 * heartbeat_seconds, 10.0)
        outage = beat.failures > 0 or silent
        if outage == self.outage:
            return
        self.outage = outage
        if outage:
            error = getattr(beat.error, "message", None) or "no answer"
            self.notifier.status(f"waiting for the database ({error}); work resumes by itself")
            self.log.warning("waiting for the database", error=error)
        else:
            self.notifier.status(self.idle())
            self.log.info("the database answers again")
