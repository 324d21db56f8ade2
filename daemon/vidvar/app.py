"""`vidvar run` and `vidvar worker`: wiring of store, watchers, worker, signals and systemd."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

from vidvar.config import Config, ConfigError, load_config, redact_url
from vidvar.housekeeping import Housekeeper
from vidvar.log import get_logger
from vidvar.sdnotify import Notifier
from vidvar.store import JobStore, open_store
from vidvar.watcher import WatchService
from vidvar.worker import Worker


class Daemon:
    """One process: optional watchers plus one single-threaded worker loop."""

    def __init__(self, config: Config, *, watch: bool) -> None:
        self.config = config
        self.store: JobStore = open_store(config.database)
        self.wake = threading.Event()
        self.watchers = WatchService(config, self.store, self.wake) if watch else None
        self.housekeeper = Housekeeper(config, self.store)
        self.notifier = Notifier()
        self.worker = Worker(
            self.store,
            config,
            wake=self.wake,
            health=self.health,
            can_claim=self.housekeeper.room_for_a_job,
            pulse=self.pulse,
        )
        if self.notifier.watchdog_interval:
            self.worker.pulse_interval = min(5.0, self.notifier.watchdog_interval)
        self.log = get_logger(worker_id=self.worker.id)
        self._signals = 0
        self._reload_requested = False

    # -- health ---------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """What `vidvar status` shows about this process."""
        info: dict[str, Any] = {
            "role": "run" if self.watchers else "worker",
            "current_job": self.worker.current_job,
            "paused": self.housekeeper.paused_reason,
            "free_gb": self.housekeeper.disk_report(),
        }
        if self.watchers is not None:
            info["pending_files"] = self.watchers.pending
            info["watches"] = sorted(self.watchers.watchers)
        return info

    def _healthy(self) -> bool:
        return self.watchers is None or self.watchers.alive

    def pulse(self) -> None:
        """From the main loop, idle or mid-encode: watchdog, reload, housekeeping."""
        if self._healthy():
            self.notifier.watchdog()
        if self._reload_requested:
            self._reload_requested = False
            self.reload()
        if self.watchers is not None:
            self.housekeeper.maybe_purge()

    # -- signals --------------------------------------------------------------------

    def _on_stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Handlers only set flags; the loops notice and wind down.
        self._signals += 1
        if self._signals == 1:
            self.log.info("stopping", signal=signal.Signals(signum).name)
            self.notifier.stopping(self.config.worker.stop_grace_seconds + 15)
            self.worker.stop()
        else:
            self.worker.runner.kill_all_now()
            os._exit(128 + signum)

    def _on_hup(self, _signum: int, _frame: FrameType | None) -> None:
        self._reload_requested = True
        self.wake.set()

    def reload(self) -> bool:
        """Re-read the config: hot folders change at once, the running job keeps its settings."""
        try:
            new = load_config(self.config.path)
        except ConfigError as exc:
            self.log.error("reload rejected; keeping the running config", error=str(exc))
            return False
        if new.database != self.config.database:
            self.log.warning("database changes need a restart; keeping the current one")
        self.config = new
        self.worker.config = new
        self.housekeeper.config = new
        if self.watchers is not None:
            self.watchers.apply(new)
        self.log.info("config reloaded", watches=[w.name for w in new.watches])
        return True

    # -- run ------------------------------------------------------------------------

    def run(self) -> int:
        """Until SIGTERM/SIGINT; 0 after a clean stop."""
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGHUP, self._on_hup)
        try:
            self.store.listen(self.wake.set)
            self.worker.recover()
            if self.watchers is not None:
                self.watchers.start()
            watches = [w.name for w in self.config.watches] if self.watchers else None
            for warning in self.config.warnings:
                self.log.warning("config", problem=warning)
            self.log.info("ready", watches=watches, database=redact_url(self.config.database))
            self.notifier.ready(f"watching {', '.join(watches)}" if watches else "worker")
            self.worker.run(recover_first=False)
        finally:
            if self.watchers is not None:
                self.watchers.stop()
            self.store.close()
        self.log.info("stopped cleanly")
        return 0
