"""`vidvar run` and `vidvar worker`: wiring of store, watchers, worker and signals."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

from daemon import ffmpeg as ff
from daemon.config import Config
from daemon.log import get_logger
from daemon.store import JobStore, open_store
from daemon.watcher import WatchService
from daemon.worker import Worker


class Daemon:
    """One process: optional watchers plus one single-threaded worker loop."""

    def __init__(self, config: Config, *, watch: bool) -> None:
        self.config = config
        self.store: JobStore = open_store(config.database)
        self.wake = threading.Event()
        self.watchers = WatchService(config, self.store, self.wake) if watch else None
        self.worker = Worker(self.store, config, wake=self.wake, health=self.health)
        self.log = get_logger(worker_id=self.worker.id)
        self._signals = 0

    def health(self) -> dict[str, Any]:
        """What `vidvar status` shows about this process."""
        info: dict[str, Any] = {
            "role": "run" if self.watchers else "worker",
            "current_job": self.worker.current_job,
        }
        if self.watchers is not None:
            info["pending_files"] = self.watchers.pending
            info["watches"] = sorted(self.watchers.watchers)
        return info

    def _on_stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Handlers only set flags; the loops notice and wind down.
        self._signals += 1
        if self._signals == 1:
            self.log.info("stopping", signal=signal.Signals(signum).name)
            self.worker.stop()
        else:
            ff.kill_all_now()
            os._exit(128 + signum)

    def run(self) -> int:
        """Until SIGTERM/SIGINT; 0 after a clean stop."""
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        try:
            self.store.listen(self.wake.set)
            self.worker.recover()
            if self.watchers is not None:
                self.watchers.start()
            self.log.info(
                "ready",
                watches=[w.name for w in self.config.watches] if self.watchers else None,
                database=self.config.database,
            )
            self.worker.run(recover_first=False)
        finally:
            if self.watchers is not None:
                self.watchers.stop()
            self.store.close()
        self.log.info("stopped cleanly")
        return 0
