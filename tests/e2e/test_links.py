"""Nothing outside: links anywhere in a path are never followed when vidvar writes,
moves or deletes, and folders that a link makes one are refused.

Real links on a real filesystem, the daemon as a subprocess, retention against a
real store, and a property test over random trees of links.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import (
    SLOW,
    ClipFactory,
    DaemonProcess,
    Workspace,
    rows,
    run_cli,
    slow_encoder,
    wait_encoding,
    wait_for,
    wait_job,
    wait_waiting,
)


def tree(folder: Path) -> dict[str, bytes | str]:
    """Everything under `folder`: file contents and link targets, by relative path."""
    found: dict[str, bytes | str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                found[rel] = path.read_bytes()
    return found


def purge(ws: Workspace, days_later: float = 3) -> tuple[int, int]:
    from vidvar.config import load_config
    from vidvar.engine.retention import Retention
    from vidvar.store import open_store

    ws.data["retention"] = {"job_days": 1, "archive_days": 1}
    ws.write()
    config = load_config(ws.config_path)
    store = open_store(config.database)
    try:
        return Retention(config, store).purge(now=time.time() + days_later * 86400)
    finally:
        store.close()


# --- 1. folders that a link makes one ----------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("linked", "to", "words"),
    [
        ("output", "inbox", "watch[0].output"),
        ("archive", "inbox", "watch[0].archive_dir"),
        ("failed", "output/deeper", "watch[0].failed_dir"),
    ],
)
def test_a_link_that_makes_two_folders_one_is_a_config_error_naming_both(
    workspace: Workspace, linked: str, to: str, words: str
) -> None:
    share = workspace.inbox.parent
    (share / to).mkdir(parents=True, exist_ok=True)
    (share / linked).symlink_to(share / to)
    done = run_cli("check-config", config=workspace.config_path)
    assert done.returncode == 78, done.stdout
    assert words in done.stderr and "a link to" in done.stderr, done.stderr


def test_a_link_made_after_start_holds_new_jobs_until_it_is_gone(workspace: Workspace) -> None:
    from vidvar.config import load_config
    from vidvar.config.topology import TopologyGate

    workspace.output.mkdir(parents=True)
    gate = TopologyGate(load_config(workspace.config_path))
    assert gate.room()
    workspace.output.rmdir()
    workspace.output.symlink_to(workspace.inbox)
    assert not gate.room()
    assert gate.problem and "watch[0].output" in gate.problem and "inbox" in gate.problem
    workspace.output.unlink()
    assert gate.room() and gate.problem is None


@pytest.mark.e2e
def test_an_output_linked_to_the_inbox_after_start_makes_no_recursive_jobs(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.output.mkdir(parents=True)
    workspace.data["worker"].update({"retry_seconds": 0.5, "retry_max_seconds": 1.0})
    workspace.write()
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="the daemon to be ready")
    workspace.output.rmdir()
    workspace.output.symlink_to(workspace.inbox)
    clips.make(workspace.inbox / "clip.mp4")
    wait_for(lambda: daemon.saw("pausing new jobs"), what="new jobs held")
    wait_for(lambda: rows(workspace.db, "SELECT * FROM jobs"), what="the clip queued")
    wait_for(
        lambda: any(
            "configured folders overlap" in (w["info"] or "")
            for w in rows(workspace.db, "SELECT info FROM workers")
        ),
        what="the daemon to say why nothing starts",
    )
    status = run_cli("status", config=workspace.config_path)
    assert "watch[0].output" in status.stderr and "a link to" in status.stderr
    assert [r["state"] for r in rows(workspace.db, "SELECT state FROM jobs")] == ["queued"]
    # The admin puts the folder back: the one job runs; nothing it wrote came back as a job.
    workspace.output.unlink()
    workspace.output.mkdir()
    wait_job(workspace, "completed")
    assert len(rows(workspace.db, "SELECT id FROM jobs")) == 1


# --- 2 and 3. retention never deletes through a link -------------------------------------


@pytest.mark.e2e
def test_retention_never_deletes_through_a_linked_job_folder_or_archive_folder(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    batch = workspace.root / "camp"
    clips.make(batch / "a.mp4")
    daemon = daemon_factory(workspace.config_path)
    batch.rename(workspace.inbox / "camp")
    wait_job(workspace, "completed")
    assert daemon.stop() == 0
    [folder] = workspace.job_dirs()
    assert (workspace.archive / "camp" / "a.mp4").is_file()
    # The job folder is now a link to a folder outside, holding files of the same names
    # and a work folder; the archive's batch folder went to cold storage, with a link.
    outside = workspace.root / "outside"
    outside.mkdir()
    for name in [p.name for p in folder.iterdir() if p.is_file()]:
        (outside / name).write_bytes(b"precious")
    (outside / ".vidvar-work").mkdir()
    (outside / ".vidvar-work" / "precious").write_bytes(b"precious")
    folder.rename(workspace.root / "moved-away")
    folder.symlink_to(outside)
    cold = workspace.root / "coldstorage"
    cold.mkdir()
    (workspace.archive / "camp").rename(cold / "camp")
    (workspace.archive / "camp").symlink_to(cold / "camp")
    before = tree(outside), tree(cold)
    purge(workspace)
    assert (tree(outside), tree(cold)) == before
    assert (cold / "camp" / "a.mp4").stat().st_size > 0
    assert folder.is_symlink() and (workspace.archive / "camp").is_symlink()


@pytest.mark.e2e
def test_retention_unlinks_a_recorded_output_that_is_now_a_link_as_a_link(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    clips.make(workspace.inbox / "clip.mp4")
    daemon = daemon_factory(workspace.config_path)
    wait_job(workspace, "completed")
    assert daemon.stop() == 0
    [folder] = workspace.job_dirs()
    secret = workspace.root / "secret.mp4"
    secret.write_bytes(b"precious")
    (folder / "clip_var01.mp4").unlink()
    (folder / "clip_var01.mp4").symlink_to(secret)
    assert purge(workspace)[0] == 1
    assert secret.read_bytes() == b"precious"
    assert not os.path.lexists(folder / "clip_var01.mp4")


def slow_with_quick_retries(ws: Workspace) -> Path:
    """A slow encode (time to plant a link mid-encode) and retries every half second;
    returns an empty folder outside the configured ones."""
    slow_encoder(ws)
    ws.data["worker"].update({"retry_seconds": 0.5, "retry_max_seconds": 1.0})
    ws.write()
    outside = ws.root / "outside"
    outside.mkdir()
    return outside


# --- 4. writes never go out through a planted link ------------------------------------------


@pytest.mark.e2e
def test_an_archive_folder_linked_outside_is_never_written_through(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    outside = workspace.root / "outside"
    outside.mkdir()
    workspace.archive.mkdir(parents=True)
    (workspace.archive / "camp").symlink_to(outside)
    batch = workspace.root / "camp"
    clips.make(batch / "sub" / "a.mp4")
    workspace.data["worker"].update({"retry_seconds": 0.5, "retry_max_seconds": 1.0})
    workspace.write()
    daemon = daemon_factory(workspace.config_path)
    batch.rename(workspace.inbox / "camp")
    wait_waiting(workspace, "a link stands", timeout=120)
    assert tree(outside) == {}
    assert (workspace.inbox / "camp" / "sub" / "a.mp4").is_file()
    (workspace.archive / "camp").unlink()  # the admin removes the link: the job goes on
    wait_job(workspace, "completed")
    assert (workspace.archive / "camp" / "sub" / "a.mp4").is_file()
    assert tree(outside) == {}
    assert daemon.stop() == 0


@pytest.mark.e2e
def test_a_batch_subfolder_linked_outside_mid_encode_gets_no_outputs(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    outside = slow_with_quick_retries(workspace)
    batch = workspace.root / "camp"
    clips.make(batch / "sub" / "a.mp4", **SLOW)
    daemon = daemon_factory(workspace.config_path)
    batch.rename(workspace.inbox / "camp")
    wait_encoding(workspace)
    [folder] = workspace.job_dirs()
    (folder / "sub").symlink_to(outside)
    wait_waiting(workspace, "a link stands", timeout=120)
    assert tree(outside) == {}
    (folder / "sub").unlink()
    wait_job(workspace, "completed", timeout=180)
    assert tree(outside) == {}
    assert sorted(p.name for p in (folder / "sub").iterdir()) == ["a_var01.mp4", "a_var02.mp4"]
    assert daemon.stop() == 0


# --- property: no walk reaches outside its root ---------------------------------------------

NAMES = st.sampled_from(["a", "b", "c"])
KINDS = st.sampled_from(["dir", "file", "link-out", "link-in", "link-out-file"])
ENTRIES = st.lists(st.tuples(st.lists(NAMES, min_size=1, max_size=3), KINDS), max_size=12)
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["write", "unlink", "remove_tree", "move_in", "move_out", "rename"]),
        st.lists(NAMES, min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=8,
)


def build(root: Path, outside: Path, entries: list[tuple[list[str], str]]) -> None:
    for parts, kind in entries:
        path = root.joinpath(*parts)
        if os.path.lexists(path):
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue  # a file stands where a folder would be
        if not path.parent.resolve().is_relative_to(root.resolve()):
            continue  # the tree is made through its own links only inside it
        if kind == "dir":
            path.mkdir()
        elif kind == "file":
            path.write_bytes(b"inside")
        elif kind == "link-out":
            path.symlink_to(outside)
        elif kind == "link-out-file":
            path.symlink_to(outside / "secret")
        else:
            path.symlink_to(root)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=ENTRIES, operations=OPERATIONS)
def test_no_operation_ever_reaches_outside_its_root(
    tmp_path_factory: pytest.TempPathFactory,
    entries: list[tuple[list[str], str]],
    operations: list[tuple[str, list[str]]],
) -> None:
    from vidvar import beneath

    base = tmp_path_factory.mktemp("walk")
    root, other, outside = base / "root", base / "other", base / "outside"
    for folder in (root, other, outside):
        folder.mkdir()
    (outside / "secret").write_bytes(b"outside")
    (outside / "a").mkdir()
    (outside / "a" / "b").write_bytes(b"outside")
    build(root, outside, entries)
    before = tree(outside)
    for operation, parts in operations:
        relative = tuple(parts)
        try:
            if operation == "write":
                beneath.write_file(root, relative, b"new", create_folders=True)
            elif operation == "unlink":
                beneath.unlink(root, relative)
            elif operation == "remove_tree":
                beneath.remove_tree(root, relative)
            elif operation == "move_in":
                (other / "clip").write_bytes(b"moved")
                beneath.move(other, ("clip",), root, relative)
            elif operation == "move_out":
                beneath.move(root, relative, other, relative)
            else:
                beneath.rename(root, relative, (*relative[:-1], "renamed"))
        except OSError:
            pass  # refused (a link or a file in the way): that is allowed, going out is not
        assert tree(outside) == before, (operation, relative)


@pytest.mark.e2e
def test_a_work_folder_swapped_for_a_link_mid_encode_leads_no_write_outside(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    outside = slow_with_quick_retries(workspace)
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4", **SLOW)
    wait_encoding(workspace)
    [folder] = workspace.job_dirs()
    (folder / ".vidvar-work").rename(folder / "moved-work")
    (folder / ".vidvar-work").symlink_to(outside)
    wait_waiting(workspace, "a link stands", timeout=120)
    assert tree(outside) == {}
    (folder / ".vidvar-work").unlink()
    wait_job(workspace, "completed", timeout=180)
    assert tree(outside) == {}
    assert sorted(p.name for p in folder.glob("*.mp4")) == ["clip_var01.mp4", "clip_var02.mp4"]
    assert daemon.stop() == 0
