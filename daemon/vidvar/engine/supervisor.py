"""`vidvar run` and `vidvar worker`: one process, a supervisor on the main thread.

The main thread owns signals (its handlers only set flags and wake it through
a pipe), reloads the config, checks that the worker threads, the watchers and
the side tasks live, and pings systemd's watchdog while they do. Each worker
(`worker.concurrency` of them, see vidvar.engine.pool) runs on its own thread;
heartbeat, cancel polling, retention and recovery sweeps run as side tasks on
their own timers.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from vidvar import machine
from vidvar.config import Config, ConfigError, load_config, redact_url
from vidvar.config.topology import TopologyGate
from vidvar.engine.notify import NotifySink
from vidvar.engine.outcome import StopReason
from vidvar.engine.pausing import WorkGate
from vidvar.engine.pool import WorkerPool
from vidvar.engine.retention import DiskGate, Retention
from vidvar.engine.sdnotify import Notifier
from vidvar.engine.sidetasks import OutageReport, SideTask
from vidvar.engine.sinks import LogSink, StatusSink, SystemdSink
from vidvar.engine.worker import Worker
from vidvar.errors import LostClaim, StoreCorrupt
from vidvar.events import EventBus
from vidvar.ffmpeg.tools import check_tools
from vidvar.inbox.watcher import WatchService
from vidvar.log import get_logger
from vidvar.mounts import FolderGuard
from vidvar.store import JobStore, State, open_store

CANCEL_POLL_SECONDS = 1.0
LOOP_SECONDS = 1.0


def configured_folders(config: Config) -> list[tuple[str, Path]]:
    """Every folder a guard watches for an unmounted share, with its name in messages."""
    return [
        (f"the {role} folder of {w.name}", folder)
        for w in config.watches
        for role, folder in (
            ("inbox", w.inbox),
            ("output", w.output),
            ("archive", w.archive_dir),
            (State.FAILED, w.failed_dir),
        )
    ]


class Service(Protocol):
    """Something more the process runs beside its workers (the web page)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def run_daemon(
    config: Config, *, watch: bool, services: Sequence[Callable[[JobStore], Service]] = ()
) -> int:
    """`vidvar run` / `vidvar worker`: check ffmpeg, open the store, build the whole
    supervisor on it, run it until a stop signal, close the store. `services` are
    made from the open store and run beside the workers (the page of `web.with_run`)."""
    tools = check_tools()  # a missing ffmpeg is a config-class error: never "ready"
    get_logger().info("ffmpeg", version=tools.ffmpeg_version)
    store = open_store(config.database)
    try:
        if watch:
            store.hold_run_lock()  # one `vidvar run` per store; workers need no lock
        return Supervisor(config, store, watch=watch, services=services).run()
    finally:
        store.close()


class Supervisor:
    """One process: optional watchers plus the worker threads, until a stop signal.
    Everything is built here, on an open store: there is no half-built supervisor."""

    def __init__(
        self,
        config: Config,
        store: JobStore,
        *,
        watch: bool,
        services: Sequence[Callable[[JobStore], Service]] = (),
    ) -> None:
        self.config = config
        self.watching = watch
        self.store = store
        self._signals: list[int] = []  # appended by handlers; read by the main loop
        self._reload = False
        self._wake_r, self._wake_w = socket.socketpair()
        self.fatal: str | None = None
        self.notifier = Notifier()
        self.guard = FolderGuard(configured_folders(config))
        self.disk = DiskGate(config)
        self.folders = TopologyGate(config)
        self.pausing = WorkGate(lambda: self.config, store)
        self.retention = Retention(config, store)
        self.bus = EventBus()
        self.wake = threading.Event()
        self.pool = WorkerPool(
            store, config, self.bus, self.guard, wake=self.wake, can_claim=self._may_start
        )
        self.log = get_logger(worker_id=self.pool.id)
        self.status = StatusSink(store, self.guard, held=lambda: self.pausing.reason)
        self.bus.subscribe(self.status)
        self.pausing.on_change(lambda _reason: self.status.write_queued())
        self.bus.subscribe(LogSink())
        self.bus.subscribe(
            SystemdSink(self.notifier, lambda: store.counts().get(State.QUEUED, 0), self._idle)
        )
        self.notify = NotifySink(lambda: self.config, store)
        self.bus.subscribe(self.notify)
        self.watchers = (
            WatchService(config, store, self.bus, self.wake, owner=self.pool.id) if watch else None
        )
        # Intervals are read at each round: a reload changes them.
        self.tasks = [
            SideTask("heartbeat", lambda: self.config.worker.heartbeat_seconds, self._heartbeat),
            SideTask("cancel-poll", lambda: CANCEL_POLL_SECONDS, self._poll_cancel),
            SideTask("recovery", lambda: self.config.worker.lease_seconds, self._recover),
        ]
        if watch:
            self.tasks.append(
                SideTask("retention", lambda: self.config.retention.check_interval, self._purge)
            )
        self.services = [make(store) for make in services]
        self.outage = OutageReport(self._task("heartbeat"), self.notifier, self._idle, self.log)

    # -- signals: flags only ------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only a list append or a flag: no locks, no I/O. set_wakeup_fd wakes the
        # main loop's select, which does the rest.
        if signum == signal.SIGHUP:
            self._reload = True
        else:
            self._signals.append(signum)

    def _install_signals(self) -> None:
        self._wake_w.setblocking(False)
        signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _may_start(self) -> bool:
        """A new job may start: room on the disks, the folders still apart, inside the
        schedule and not paused."""
        return self.folders.room() and self.disk.room() and self.pausing.room()

    def _idle(self) -> str:
        if not self.watching:
            return "worker"
        return f"watching {', '.join(w.name for w in self.config.watches)}"

    def health(self, worker: Worker | None = None) -> dict[str, Any]:
        """What `vidvar status` and `vidvar health` read about this process (and about
        one of its workers)."""
        worker = worker or self.pool.workers[0]
        info: dict[str, Any] = {
            "role": "run" if self.watching else "worker",
            "current_job": worker.current_job,
            "paused": self.folders.problem or self.disk.paused_reason or self.pausing.reason,
            "free_gb": self.disk.report(),
            "worker_alive": self.pool.alive,
            "limits": machine.limits().describe(),
            "files_at_once": len(self.pool.workers),
        }
        if self.watchers is not None:
            info["pending_files"] = self.watchers.pending
            info["watches"] = sorted(self.watchers.watchers)
            info["watchers_alive"] = self.watchers.alive
        return info

    # -- side tasks ---------------------------------------------------------------------

    def _heartbeat(self) -> None:
        try:
            self.store.check()
        except StoreCorrupt as exc:
            self.fatal = exc.message
            os.write(self._wake_w.fileno(), b"!")
            raise
        for worker in self.pool.workers:
            self.store.heartbeat(worker.id, self.health(worker))

    def _poll_cancel(self) -> None:
        self.pausing.refresh()
        stop_all = self.pausing.stop_running
        for worker, current in self.pool.claims():
            if stop_all:
                worker.interrupt(current.job_id, StopReason.PAUSE)
                continue
            try:
                if self.store.is_cancel_requested(current):
                    worker.interrupt(current.job_id, StopReason.CANCEL)
            except LostClaim:
                worker.interrupt(current.job_id, StopReason.LOST)

    def _recover(self) -> None:
        beat = self._task("heartbeat")
        self.pool.recover(steady=beat.steady_for(self.config.worker.lease_seconds))
        self.store.prune_events()

    def _task(self, name: str) -> SideTask:
        return next(t for t in self.tasks if t.name == name)

    def _purge(self) -> None:
        self.retention.purge()

    # -- the main loop --------------------------------------------------------------------

    def run(self) -> int:
        """Until SIGTERM/SIGINT; 0 after a clean stop, 1 when something fatal happened."""
        self._install_signals()
        try:
            for warning in self.config.warnings:
                self.log.warning("config", problem=warning)
            self.store.listen(self.wake.set)
            self.pool.recover()
            if self.watchers is not None:
                self.watchers.start()
            self.pool.start()
            for task in self.tasks:
                task.start()
            for service in self.services:
                service.start()
            watches = [w.name for w in self.config.watches] if self.watchers else None
            self.log.info("ready", watches=watches, database=redact_url(self.config.database))
            self.notifier.ready(self._idle())
            code = self._loop()
        finally:
            self._shutdown()
        if code == 0:
            self.log.info("stopped cleanly")
        return code

    def _loop(self) -> int:
        interval = LOOP_SECONDS
        if self.notifier.watchdog_interval:
            interval = min(interval, self.notifier.watchdog_interval)
        while True:
            ready, _w, _x = select.select([self._wake_r], [], [], interval)
            if ready:
                self._wake_r.recv(4096)
            if self._signals:
                return self._stop(self._signals[0])
            if self.fatal:
                self.log.error("stopping", reason=self.fatal)
                return 1
            if self._reload:
                self._reload = False
                self.notifier.reloading()
                done = self.reload()
                self.notifier.ready(self._idle() if done else "reload rejected; see the journal")
            if self._healthy():
                self.notifier.watchdog()
            self.outage.update(self.config.worker.heartbeat_seconds)

    def _healthy(self) -> bool:
        """The main loop runs and its threads live. The database is not asked: a
        daemon that waits on a locked or unreachable database is waiting correctly,
        and systemd must not kill it for that (the outage goes into STATUS=)."""
        if not self.pool.alive:
            self.fatal = "a worker thread ended unexpectedly"
            return False
        for task in self.tasks:
            task.restart()  # a side task whose thread died is started again
        return self.watchers is None or self.watchers.alive

    def _stop(self, signum: int) -> int:
        self.log.info("stopping", signal=signal.Signals(signum).name)
        grace = self.config.worker.stop_grace_seconds
        self.notifier.stopping(grace + 15)
        self.pool.stop()
        while self.pool.running:
            ready, _w, _x = select.select([self._wake_r], [], [], 0.2)
            if ready:
                self._wake_r.recv(4096)
            if len(self._signals) > 1:  # a second signal: no grace
                self.pool.kill_now()
                os._exit(128 + signum)
            self.pool.join(0.05)
        return 0

    def _shutdown(self) -> None:
        for task in self.tasks:
            task.stop()
        for service in self.services:
            service.stop()
        self.notify.stop()
        if self.watchers is not None:
            self.watchers.stop()
        for task in self.tasks:
            task.join(5)
        if self.pool.running:
            self.pool.stop()
            self.pool.join(self.config.worker.stop_grace_seconds + 5)

    # -- reload ---------------------------------------------------------------------------

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
        self.pool.reconfigure(new)
        self.disk.config = new
        self.folders.config = new
        self.retention.config = new
        for label, folder in configured_folders(new):
            self.guard.remember(folder, label)
        if self.watchers is not None:
            self.watchers.apply(new)
        self.log.info("config reloaded", watches=[w.name for w in new.watches])
        return True
