"""Liveness that cannot evict itself: a daemon that was only paused, or cut off from
its database, keeps its work; a worker that really died loses it.

Real parts: the daemon as a subprocess stopped with SIGSTOP, a real PostgreSQL server
stopped and started, a second process holding SQLite's write lock, and a real
AF_UNIX socket standing in for systemd's notify socket.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.common import notify_datagrams
from tests.support import (
    SLOW,
    ClipFactory,
    DaemonProcess,
    Workspace,
    hold_write_lock,
    rows,
    run_cli,
    slow_encoder,
    wait_encoding,
    wait_for,
    wait_job,
)

SELF_EVICTION = (
    "killed an ffmpeg left running by a dead worker",
    "lost the claim on a job",
    "recovered a job left by a dead worker",
)


def short_lease(ws: Workspace) -> None:
    ws.data["worker"].update({"lease_seconds": 5})
    ws.write()


@pytest.mark.e2e
def test_a_daemon_stopped_longer_than_its_lease_keeps_its_file(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    short_lease(workspace)
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4", **SLOW)
    wait_encoding(workspace)
    daemon.signal(signal.SIGSTOP)
    time.sleep(12)  # the case itself: more than two leases without a heartbeat
    daemon.signal(signal.SIGCONT)
    wait_job(workspace, "completed", timeout=180)
    [record] = rows(workspace.db, "SELECT state, attempts FROM files")
    assert (record["state"], record["attempts"]) == ("completed", 0)
    assert not [e for e in daemon.events() if e.get("event") in SELF_EVICTION]
    assert (workspace.archive / "clip.mp4").is_file()
    health = run_cli("health", config=workspace.config_path)
    assert health.returncode == 0, health.stdout + health.stderr
    assert "not running" not in run_cli("status", config=workspace.config_path).stdout


@pytest.mark.e2e
def test_a_database_outage_longer_than_the_lease_is_ridden_out(
    pg_server: Any,
    workspace: Workspace,
    clips: ClipFactory,
    tmp_path: Path,
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    from tests.support.pg import enqueue_clips, pg_rows, states, use_postgres

    url = pg_server.new_database()
    use_postgres(workspace, url)
    slow_encoder(workspace)
    enqueue_clips(workspace, clips, tmp_path, 1, **SLOW)
    worker = daemon_factory(workspace.config_path, "worker")
    wait_for(
        lambda: pg_rows(url, "SELECT 1 FROM files WHERE ffmpeg_pid IS NOT NULL AND progress > 0"),
        timeout=60,
        what="an encode",
    )
    pg_server.stop()
    try:
        time.sleep(12)  # the case itself: an outage of more than two leases
    finally:
        pg_server.start()
    wait_for(lambda: states(url) == {"completed": 1}, timeout=180, what="the job to complete")
    [record] = pg_rows(url, "SELECT state, attempts FROM files")
    assert (record["state"], record["attempts"]) == ("completed", 0)
    assert not [e for e in worker.events() if e.get("event") in SELF_EVICTION]
    assert worker.proc.poll() is None
    wait_for(lambda: pg_rows(url, "SELECT 1 FROM workers"), what="the worker registered")


@pytest.mark.e2e
def test_a_long_database_lock_never_starves_the_watchdog(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    short_lease(workspace)
    with notify_datagrams(tmp_path / "notify.sock") as got:
        env = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "6000000"}
        daemon = daemon_factory(workspace.config_path, env=env)
        wait_for(lambda: daemon.saw("ready"), what="ready")
        holder = hold_write_lock(workspace.db, 20)
        held_at = time.monotonic()
        assert holder.wait(timeout=60) == 0
        released_at = time.monotonic()
        wait_for(lambda: daemon.saw("the database answers again"), what="the outage to end")
    pings = [t for t, data in got if b"WATCHDOG=1" in data and held_at <= t <= released_at]
    # Four leases without a heartbeat, and systemd was told all along that the loop lives:
    # never a gap as long as WatchdogSec (6 s here), after which systemd would kill it.
    gaps = [b - a for a, b in itertools.pairwise([held_at, *pings, released_at])]
    assert len(pings) >= 3 and max(gaps) < 6.0, gaps
    statuses = [data.decode() for t, data in got if b"STATUS=" in data]
    assert any("waiting for the database" in s for s in statuses), statuses
    assert daemon.proc.poll() is None
    assert run_cli("health", config=workspace.config_path).returncode == 0


# --- the rule itself -------------------------------------------------------------------------


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Any]:
    from vidvar.store import open_store

    store = open_store(str(tmp_path / "store.db"))
    yield store
    store.close()


def _record(host: str, pid: int, started_at: float, beat_age: float) -> Any:
    from vidvar.store import WorkerRecord

    return WorkerRecord(
        id=f"{host}:{pid}:x",
        host=host,
        pid=pid,
        started_at=started_at,
        heartbeat_at=time.time() - beat_age,
        job_id=None,
        info={},
    )


def test_who_is_dead(workspace: Workspace) -> None:
    from vidvar.config import load_config
    from vidvar.engine.worker import Worker
    from vidvar.events import EventBus
    from vidvar.machine import hostname
    from vidvar.mounts import FolderGuard

    config = load_config(workspace.config_path)
    me = Worker(None, config, EventBus(), FolderGuard([]))  # type: ignore[arg-type]
    lease = config.worker.lease_seconds
    here, now = hostname(), time.time()
    # This machine: the process decides, never the heartbeat's age.
    alive_but_silent = _record(here, os.getpid(), now, beat_age=10 * lease)
    assert not me._is_dead(alive_but_silent, steady=True)
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert me._is_dead(_record(here, gone.pid, now, beat_age=0), steady=True)
    newer = subprocess.Popen(["sleep", "30"])
    try:
        # A pid that now belongs to a process started after the worker registered.
        assert me._is_dead(_record(here, newer.pid, now - 3600, beat_age=0), steady=True)
    finally:
        newer.kill()
        newer.wait()
    # Another machine: a stale heartbeat is death only while our own beats go through.
    far = _record("elsewhere", 1, now, beat_age=2 * lease)
    assert me._is_dead(far, steady=True)
    assert not me._is_dead(far, steady=False)
    assert not me._is_dead(_record("elsewhere", 1, now, beat_age=1), steady=True)


def test_a_heartbeat_brings_back_a_worker_row_that_was_removed(sqlite_store: Any) -> None:
    sqlite_store.register_worker("w1", "host", 123)
    started = sqlite_store.workers()[0].started_at
    sqlite_store.unregister_worker("w1")
    assert sqlite_store.workers() == []
    sqlite_store.heartbeat("w1", {"role": "run"})
    [again] = sqlite_store.workers()
    assert (again.id, again.host, again.pid, again.started_at) == ("w1", "host", 123, started)
    assert again.info == {"role": "run"}
    sqlite_store.heartbeat("w1")  # without info the last one stays
    assert sqlite_store.workers()[0].info == {"role": "run"}


def test_the_own_workers_of_a_process_are_never_recovered(sqlite_store: Any) -> None:
    from tests.support import new_job

    sqlite_store.enqueue(new_job("own"))
    claim = sqlite_store.claim("mine")
    assert claim is not None
    # Its row is gone (another machine took it for dead) and it looks dead: kept anyway.
    assert sqlite_store.recover(max_attempts=3, is_dead=lambda w: True, keep={"mine"}) == []
    assert sqlite_store.get_job(claim.job_id).state == "processing"
    assert [r.job.id for r in sqlite_store.recover(max_attempts=3, is_dead=lambda w: True)] == [
        claim.job_id
    ]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_side_task_survives_an_interval_no_timer_takes_and_is_restarted_if_it_dies() -> None:
    from vidvar.engine.sidetasks import SideTask

    calls: list[int] = []
    huge = SideTask("huge", lambda: 1.0e308, lambda: calls.append(1))
    huge.start()
    wait_for(lambda: calls, what="the first run")
    assert huge.alive and isinstance(huge.error, OverflowError)
    huge.stop()

    runs: list[int] = []

    def dies_once() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise SystemExit  # not an Exception: it ends the thread

    task = SideTask("dies", lambda: 0.01, dies_once)
    task.start()
    wait_for(lambda: not task.alive, what="the thread to end")
    task.restart()
    wait_for(lambda: len(runs) >= 3, what="the task to run again")
    task.stop()
    task.join(5)
