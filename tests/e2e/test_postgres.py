"""Several worker processes sharing a real PostgreSQL server."""

from __future__ import annotations

import collections
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from tests.support import ClipFactory, DaemonProcess, Workspace, wait_for
from tests.support.pg import PgServer, enqueue_clips, pg_rows, states, use_postgres


def started_jobs(daemons: list[DaemonProcess]) -> collections.Counter[str]:
    return collections.Counter(
        e["job_id"] for d in daemons for e in d.events() if e.get("event") == "job finished"
    )


def test_three_workers_process_thirty_jobs_exactly_once(
    pg_server: PgServer,
    workspace: Workspace,
    clips: ClipFactory,
    tmp_path: Path,
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    url = pg_server.new_database()
    use_postgres(workspace, url)
    enqueue_clips(workspace, clips, tmp_path, 30, seconds=0.5, size="96x64")
    workers = [daemon_factory(workspace.config_path, "worker") for _ in range(3)]
    wait_for(lambda: states(url) == {"completed": 30}, timeout=300, what="30 completed jobs")
    # The log line follows the store's update; wait for the last one to be written.
    wait_for(lambda: sum(started_jobs(workers).values()) >= 30, what="30 'job finished' lines")
    finished = started_jobs(workers)
    assert len(finished) == 30 and set(finished.values()) == {1}
    assert sum(1 for w in workers if any(e.get("event") == "job finished" for e in w.events())) > 1
    outputs = pg_rows(url, "SELECT file_id, variation FROM outputs")
    assert len(outputs) == 30 == len({(o["file_id"], o["variation"]) for o in outputs})


def test_a_killed_worker_s_job_is_reclaimed_after_the_lease(
    pg_server: PgServer,
    workspace: Workspace,
    clips: ClipFactory,
    tmp_path: Path,
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    url = pg_server.new_database()
    use_postgres(workspace, url)
    workspace.data["encoders"] = {"default": {"preset": "veryslow"}}
    workspace.write()
    enqueue_clips(workspace, clips, tmp_path, 1, seconds=8, size="320x240", rate=25)
    first = daemon_factory(workspace.config_path, "worker")
    wait_for(
        lambda: pg_rows(url, "SELECT 1 FROM files WHERE ffmpeg_pid IS NOT NULL AND progress > 0"),
        timeout=60,
        what="an encode",
    )
    first.signal(signal.SIGKILL)
    first.wait()
    second = daemon_factory(workspace.config_path, "worker")
    wait_for(lambda: states(url) == {"completed": 1}, timeout=120, what="the job to complete")
    assert second.saw("recovered a job left by a dead worker")
    [job] = pg_rows(url, "SELECT attempts FROM jobs")
    assert job["attempts"] == 1
    assert len(pg_rows(url, "SELECT * FROM outputs")) == 1
    [folder] = workspace.job_dirs()
    wait_for(
        lambda: [s["state"] for s in workspace.statuses()] == ["completed"],
        what="the last status.json write",
    )
    assert sorted(p.name for p in folder.iterdir()) == [
        "clip00_var01.mp4",
        "preview.jpg",
        "status.json",
    ]


def test_workers_ride_out_a_database_restart(
    pg_server: PgServer,
    workspace: Workspace,
    clips: ClipFactory,
    tmp_path: Path,
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    url = pg_server.new_database()
    use_postgres(workspace, url)
    enqueue_clips(workspace, clips, tmp_path, 8, seconds=3, size="320x240", rate=25)
    workers = [daemon_factory(workspace.config_path, "worker") for _ in range(2)]
    wait_for(lambda: states(url)["completed"] >= 1, timeout=120, what="a first completed job")
    pg_server.stop()
    restarted = threading.Event()
    # Back after a pause long enough that every worker has hit the outage.
    timer = threading.Timer(3.0, lambda: (pg_server.start(), restarted.set()))
    timer.start()
    wait_for(restarted.is_set, timeout=60, what="the server to restart")
    wait_for(lambda: states(url) == {"completed": 8}, timeout=300, what="8 completed jobs")
    assert all(w.proc.poll() is None for w in workers)  # nobody crashed
    assert any(w.saw("database busy or unreachable; retrying") for w in workers)
    assert len(pg_rows(url, "SELECT * FROM outputs")) == 8


def test_notify_wakes_an_idle_worker(
    pg_server: PgServer,
    workspace: Workspace,
    clips: ClipFactory,
    tmp_path: Path,
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    url = pg_server.new_database()
    use_postgres(workspace, url, poll_interval=3600)  # polling alone would wait an hour
    worker = daemon_factory(workspace.config_path, "worker")
    wait_for(lambda: worker.saw("ready"), what="the worker to be ready")
    wait_for(lambda: pg_rows(url, "SELECT 1 FROM workers"), what="the worker to register")
    enqueue_clips(workspace, clips, tmp_path, 1, seconds=0.5, size="96x64")
    wait_for(lambda: states(url) == {"completed": 1}, timeout=60, what="the job to complete")
