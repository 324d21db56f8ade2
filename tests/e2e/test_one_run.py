"""Only one `vidvar run` per store: a second exits 78 naming the one that runs (SQLite
and PostgreSQL); `vidvar worker` processes need no such lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support import DaemonProcess, Workspace, run_cli, wait_for
from tests.support.pg import pg_rows, use_postgres

pytestmark = pytest.mark.e2e


def test_a_second_run_on_one_sqlite_store_exits_78_naming_the_first(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    first = daemon_factory(workspace.config_path)
    wait_for(lambda: first.saw("ready"), what="the first daemon")
    second = run_cli("run", config=workspace.config_path, timeout=60)
    assert second.returncode == 78, second.stdout + second.stderr
    assert f"pid {first.proc.pid}" in second.stderr and str(workspace.db) in second.stderr
    assert first.proc.poll() is None
    assert first.stop() == 0
    third = daemon_factory(workspace.config_path)  # the lock went with the first
    wait_for(lambda: third.saw("ready"), what="a run after the first stopped")


def test_a_second_run_on_one_postgres_store_exits_78_and_workers_may_join(
    pg_server: Any, workspace: Workspace, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    url = pg_server.new_database()
    use_postgres(workspace, url)
    first = daemon_factory(workspace.config_path)
    wait_for(lambda: first.saw("ready"), what="the first daemon")
    wait_for(lambda: pg_rows(url, "SELECT 1 FROM workers"), what="its heartbeat")
    second = run_cli("run", config=workspace.config_path, timeout=60)
    assert second.returncode == 78, second.stdout + second.stderr
    assert f"pid {first.proc.pid}" in second.stderr
    worker = daemon_factory(workspace.config_path, "worker")
    wait_for(lambda: worker.saw("ready"), what="a worker beside the run")
    assert first.proc.poll() is None and worker.proc.poll() is None
