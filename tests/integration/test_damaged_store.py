"""A damaged or foreign SQLite file: one plain sentence naming the file and how to
recover, at start and when a statement meets the damage; never a traceback, never a
daemon that says it is ready."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import DaemonProcess, Workspace, new_job, run_cli


def filled_store(path: Path, jobs: int = 300) -> None:
    """A real vidvar database with enough jobs to span many pages."""
    from vidvar.store import open_store

    store = open_store(str(path))
    try:
        for n in range(jobs):
            store.enqueue(new_job(f"job-{n:04d}-" + "x" * 200))
    finally:
        store.close()
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()


def damage_one_page(path: Path) -> None:
    """Garbage over the header of the pages that hold job 150 (its row, its key)."""
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    data = path.read_bytes()
    pages = {m.start() // size for m in re.finditer(b"job-0150-", data)}
    with path.open("r+b") as handle:
        for page in pages:
            handle.seek(page * size)
            handle.write(b"\xde\xad\xbe\xef" * 8)


@pytest.mark.e2e
def test_a_database_with_one_damaged_page_stops_the_daemon_with_one_sentence(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.db.parent.mkdir(parents=True)
    filled_store(workspace.db)
    damage_one_page(workspace.db)
    daemon = daemon_factory(workspace.config_path)
    assert daemon.wait(timeout=60) != 0
    assert not daemon.saw("ready")
    text = daemon.log_path.read_text()
    assert "Traceback" not in text and str(workspace.db) in text and "mv " in text, text[-2000:]
    for command in ("status", "health"):
        done = run_cli(command, config=workspace.config_path)
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert "damaged" in done.stdout + done.stderr


@pytest.mark.e2e
def test_a_foreign_sqlite_file_is_refused_not_adopted(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.db.parent.mkdir(parents=True)
    foreign = sqlite3.connect(workspace.db)
    foreign.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    foreign.commit()
    foreign.close()
    daemon = daemon_factory(workspace.config_path)
    assert daemon.wait(timeout=60) != 0
    assert "not a vidvar database" in daemon.log_path.read_text()
    tables = [r[0] for r in sqlite3.connect(workspace.db).execute("SELECT name FROM sqlite_master")]
    assert tables == ["photos"]  # nothing of vidvar's was written into it


def test_damage_met_by_a_statement_is_reported_by_check(tmp_path: Path) -> None:
    from vidvar.errors import StoreCorrupt
    from vidvar.store import open_store

    path = tmp_path / "v.db"
    filled_store(path)
    store = open_store(str(path))
    try:
        damage_one_page(path)
        seen: list[Any] = []

        def read_all() -> None:  # a new thread: a new connection, which reads the disk
            try:
                seen.append(len(store.list_jobs(limit=1000)))
            except StoreCorrupt as exc:
                seen.append(exc)

        reader = threading.Thread(target=read_all)
        reader.start()
        reader.join()
        assert isinstance(seen[0], StoreCorrupt), seen
        with pytest.raises(StoreCorrupt, match="mv "):
            store.check()
    finally:
        store.close()
