"""systemd's sd_notify protocol: one datagram per message to $NOTIFY_SOCKET.

Small enough to own: READY=1, WATCHDOG=1 (rate-limited to half of WatchdogSec),
STOPPING=1 with EXTEND_TIMEOUT_USEC, STATUS=…. Without $NOTIFY_SOCKET every call
is a no-op, so the daemon runs the same outside systemd.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Mapping


class Notifier:
    """Sends sd_notify messages when started by systemd with Type=notify."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        raw = env.get("NOTIFY_SOCKET", "")
        # An abstract socket is written with a leading '@'.
        self.address = "\0" + raw[1:] if raw.startswith("@") else raw
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        for_us = not pid or pid == str(os.getpid())
        self.watchdog_interval = int(usec) / 2e6 if usec.isdigit() and for_us else 0.0
        self._last_ping = 0.0

    @property
    def enabled(self) -> bool:
        """True under systemd Type=notify."""
        return bool(self.address)

    def send(self, *fields: str) -> None:
        """Send one message of newline-separated fields; errors are ignored (best effort)."""
        if not self.address:
            return
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto("\n".join(fields).encode(), self.address)

    def ready(self, status: str = "") -> None:
        """Recovery ran and the watchers are up."""
        self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def reloading(self) -> None:
        """A reload began (systemd shows `reloading` until the next READY=1)."""
        usec = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6)
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def status(self, text: str) -> None:
        """A one-line status for `systemctl status`."""
        self.send(f"STATUS={text}")

    def watchdog(self) -> None:
        """Ping the watchdog, at most twice per WatchdogSec."""
        if not self.watchdog_interval:
            return
        now = time.monotonic()
        if now - self._last_ping >= self.watchdog_interval:
            self._last_ping = now
            self.send("WATCHDOG=1")

    def stopping(self, extend_seconds: float) -> None:
        """Shutdown began; ask for `extend_seconds` more before systemd kills us."""
        self.send("STOPPING=1", f"EXTEND_TIMEOUT_USEC={int(extend_seconds * 1e6)}")
