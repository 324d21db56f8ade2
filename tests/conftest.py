"""Fixtures (the helpers they use are in tests/support) and the layer of each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ClipFactory, DaemonProcess, Workspace

LAYERS = ("unit", "integration", "e2e")
# Fixtures that bring a real part (ffmpeg clips, a database, an observer, a daemon).
REAL_PARTS = frozenset(
    {"clips", "store", "store_url", "pg_server", "sqlite_store", "workspace", "inbox", "watchers"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test gets one layer: e2e (the real CLI or daemon as a subprocess),
    integration (real ffmpeg, databases, observers in-process) or unit."""
    for item in items:
        if any(item.get_closest_marker(layer) for layer in LAYERS):
            continue
        fixtures = set(getattr(item, "fixturenames", ()))
        if "daemon_factory" in fixtures:
            item.add_marker(pytest.mark.e2e)
        elif fixtures & REAL_PARTS:
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    return ClipFactory(tmp_path_factory.mktemp("clips"))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def harness(workspace: Workspace) -> Iterator[Any]:
    """The engine in-process on the workspace (tests.support.pipeline_harness), its store
    in memory."""
    from tests.support.pipeline_harness import Harness

    made = Harness(workspace, database=":memory:")
    yield made
    made.close()


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    started: list[DaemonProcess] = []

    def start(
        config: Path,
        command: str = "run",
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
    ) -> DaemonProcess:
        log = tmp_path / f"daemon-{len(started)}.log"
        proc = DaemonProcess(config, log, command, env, prefix)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One real PostgreSQL server for the session (never skipped: CI installs it)."""
    from tests.support.pg import PgServer

    server = PgServer()
    yield server
    server.destroy()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each adapter."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return str(request.getfixturevalue("pg_server").new_database())


@pytest.fixture
def store(store_url: str) -> Iterator[Any]:
    from vidvar.store import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()
