"""Whether new files may start now: the `schedule:` windows and a person's pause.

The schedule is read from the config at every look (a reload changes it); the pause
lives in the store, so that `vidvar pause`, the page and every daemon on the store
agree, and is read at every look too (a claim asks before each try).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import datetime

from vidvar.config import Config
from vidvar.log import get_logger
from vidvar.schedule import local_now
from vidvar.store import JobStore, Pause, StoreUnavailable


class WorkGate:
    """Says whether a new file may start, and if not, why (in words for status)."""

    def __init__(
        self,
        config: Callable[[], Config],
        store: JobStore,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.held: Pause | None = None
        self.reason: str | None = None
        self.log = get_logger(component="schedule")
        self._on_change: list[Callable[[str | None], None]] = []

    def on_change(self, react: Callable[[str | None], None]) -> None:
        """Call `react(reason)` whenever new files become held or free again."""
        self._on_change.append(react)

    def refresh(self) -> None:
        """Read the pause from the store and say whether the gate changed (once a second:
        the log, status.json and --now follow the pause without waiting for a claim)."""
        self.room()

    def _read_pause(self) -> None:
        with contextlib.suppress(StoreUnavailable):  # an outage keeps the last pause known
            self.held = self.store.pause()

    @property
    def stop_running(self) -> bool:
        """A pause with --now: running encodes stop and their files go back."""
        return self.held is not None and self.held.now and self.held.active(time.time())

    def room(self) -> bool:
        """True when a new file may start now. The pause is read from the store at every
        look, so that a file queued just after `vidvar pause` never starts."""
        self._read_pause()
        held = self.held if self.held is not None and self.held.active(time.time()) else None
        if held is not None:
            reason: str | None = held.describe()
        else:
            reason = self.config().work_schedule().closed_reason(self.clock())
        if reason != self.reason:
            self.reason = reason
            clock = self.clock().isoformat(timespec="seconds")
            if reason:
                self.log.info("new files wait", reason=reason, schedule_clock=clock)
            else:
                self.log.info("new files may start again", schedule_clock=clock)
            for react in self._on_change:
                react(reason)
        return reason is None
