"""Side tasks: small duties that run on their own timers next to the worker
(heartbeat, cancel polling, retention, recovery sweeps), each in its own thread,
so that none of them waits for an encode and an encode never waits for them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from vidvar.log import get_logger


class SideTask:
    """Runs `duty` every `interval` seconds until stopped; failures are logged and
    counted, never fatal. `last_ok` (monotonic) says when it last succeeded."""

    def __init__(self, name: str, interval: Callable[[], float], duty: Callable[[], None]) -> None:
        self.name = name
        self.interval = interval
        self.duty = duty
        self.last_ok = time.monotonic()
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
        return self._thread.is_alive()

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
                self.last_ok = time.monotonic()
                self.failures = 0
                self.error = None
            self._stop.wait(self.interval())
