"""Fault paths, each ending as the invariant says: every dropped file is archived (after
verified outputs), in failed_dir with a note, or queued for a retry the daemon makes by
itself; nothing is read, moved or deleted outside the configured folders.

Real parts: the daemon as a subprocess (capabilities dropped where permissions matter,
since root ignores them), real tmpfs and bind mounts, a second process holding the
SQLite write lock.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.common import notify_datagrams
from tests.support import (
    REPO,
    SLOW,
    ClipFactory,
    DaemonProcess,
    Workspace,
    hold_write_lock,
    job_states,
    rows,
    run_cli,
    slow_encoder,
    wait_encoding,
    wait_for,
    wait_job,
    wait_waiting,
)

pytestmark = pytest.mark.e2e

IS_ROOT = os.geteuid() == 0
# uid 0 without any capability: file permissions apply to it as to anyone.
CAPLESS = (
    (
        "setpriv",
        "--bounding-set=-all",
        "--inh-caps=-all",
        "--ambient-caps=-all",
        "--securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked",
        "--",
    )
    if IS_ROOT
    else ()
)
needs_root = pytest.mark.skipif(not IS_ROOT, reason="mounts need root (CI runs as root)")


def fast_retries(ws: Workspace, **worker: Any) -> None:
    """Environmental retries every half second, so that recovery shows within a test."""
    ws.data["worker"].update({"retry_seconds": 0.5, "retry_max_seconds": 1.0, **worker})
    ws.write()


def job(ws: Workspace) -> sqlite3.Row | None:
    found = rows(ws.db, "SELECT * FROM jobs")
    return found[0] if found else None


def no_absolute_paths(ws: Workspace) -> None:
    """Messages meant for people (status.json, notes) never carry server paths."""
    for status in ws.statuses():
        assert str(ws.root) not in json.dumps(status), status


def temp_files_under(folder: Path) -> list[Path]:
    return [
        p for p in folder.rglob("*") if p.name.endswith(".vidvar-tmp") or ".vidvar-work" in p.parts
    ]


@contextlib.contextmanager
def mounted(*args: str) -> Iterator[None]:
    target = args[-1]
    subprocess.run(["mount", *args], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", target], check=False, capture_output=True)


# --- 1. folders that overlap, and retention -----------------------------------------------


def test_retention_deletes_only_what_vidvar_recorded(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4")
    wait_job(workspace, "completed")
    assert daemon.stop() == 0
    [folder] = workspace.job_dirs()
    # Things a team puts beside vidvar's: in the job folder, the output, the archive.
    mine = [
        folder / "notes from the client.txt",
        workspace.output / "unrelated.mov",
        workspace.archive / "kept by hand.mp4",
        workspace.inbox / "waiting.mp4",
    ]
    for path in mine:
        path.write_bytes(b"not vidvar's")
    from vidvar.config import load_config
    from vidvar.engine.retention import Retention
    from vidvar.store import open_store

    workspace.data["retention"] = {"job_days": 1, "archive_days": 1}
    workspace.write()
    store = open_store(load_config(workspace.config_path).database)
    try:
        later = time.time() + 3 * 86400
        assert Retention(load_config(workspace.config_path), store).purge(now=later) == (1, 1)
        assert Retention(load_config(workspace.config_path), store).purge(now=later) == (0, 0)
    finally:
        store.close()
    assert all(p.read_bytes() == b"not vidvar's" for p in mine)
    assert sorted(p.name for p in folder.iterdir()) == ["notes from the client.txt"]
    assert not (workspace.archive / "clip.mp4").exists()


@pytest.mark.parametrize(
    ("watch", "words"),
    [
        ({"archive_dir": "share"}, "inside watch[0].archive_dir"),
        ({"archive_dir": "share/failed"}, "same folder as watch[0].archive_dir"),
        ({"archive_dir": "share/output"}, "same folder as watch[0].output"),
        ({"archive_dir": "share/output/done"}, "inside watch[0].output"),
        ({"output": "share/archive/out"}, "inside watch[0].archive_dir"),
    ],
)
def test_overlapping_folders_are_refused_naming_both_keys(
    workspace: Workspace, watch: dict[str, str], words: str
) -> None:
    workspace.write(**watch)
    done = run_cli("check-config", config=workspace.config_path)
    assert done.returncode == 78, done.stdout
    assert words in done.stderr


def test_chained_hot_folders_are_refused(workspace: Workspace) -> None:
    (workspace.root / "second").mkdir()
    workspace.output.mkdir()
    workspace.data["watch"].append(
        {"name": "second", "inbox": "share/output", "output": "second/out"}
    )
    workspace.write()
    done = run_cli("check-config", config=workspace.config_path)
    assert done.returncode == 78
    assert "watch[1].inbox" in done.stderr and "watch[0].output" in done.stderr


# --- 2. a queued file swapped for a link --------------------------------------------------


@needs_root
def test_a_file_swapped_for_a_link_is_never_read_or_copied(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    secret = tmp_path / "private" / "shadow.mp4"
    clips.make(secret, seconds=2)
    failed_fs = tmp_path / "failed-fs"
    failed_fs.mkdir()
    workspace.data["worker"] = {**workspace.data.get("worker", {}), "concurrency": 1}
    workspace.write(failed_dir=str(failed_fs))
    slow_encoder(workspace)
    with mounted("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(failed_fs)):
        daemon = daemon_factory(workspace.config_path)
        # A long first file keeps the one worker busy while the second waits in the queue.
        clips.make(workspace.inbox / "first.mp4", **SLOW)
        wait_encoding(workspace)
        victim = clips.make(workspace.inbox / "second.mp4")
        wait_for(lambda: len(job_states(workspace.db)) == 2, what="the second job")
        swap = workspace.inbox / ".swap"
        swap.symlink_to(secret)
        os.replace(swap, victim)  # a settled, queued file is now a link out of the inbox
        wait_for(
            lambda: (
                set(job_states(workspace.db).values()) <= {"completed", "failed"}
                and len(job_states(workspace.db)) == 2
            ),
            timeout=120,
            what="both jobs to end",
        )
        failed = [s for s in workspace.statuses() if s["state"] == "failed"]
        assert len(failed) == 1
        assert "replaced by a link" in failed[0]["files"][0]["error"]
        assert not failed[0]["files"][0]["outputs"]
        copies = [p for p in failed_fs.rglob("*") if p.is_file() and not p.is_symlink()]
        assert not [p for p in copies if p.read_bytes() == secret.read_bytes()]
        assert secret.exists() and victim.is_symlink()  # the link is not ours to move
        assert daemon.proc.poll() is None


# --- 3. folders not writable, sources not readable -----------------------------------------


def _chmod(path: Path, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)


@pytest.mark.parametrize(
    ("scenario", "words"),
    [
        ("output", "cannot create the job folder in the output folder: permission denied"),
        ("archive", "cannot move the source: permission denied"),
        ("failed", "cannot move the source: permission denied"),
        ("source", "the file cannot be read (permission denied)"),
    ],
)
def test_permission_problems_wait_and_resume_by_themselves(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    scenario: str,
    words: str,
) -> None:
    fast_retries(workspace)
    name = "bad.mp4" if scenario == "failed" else "clip.mp4"
    blocked = {
        "output": workspace.output,
        "archive": workspace.archive,
        "failed": workspace.failed,
    }.get(scenario)
    if blocked is not None:
        _chmod(blocked, 0o555)
    daemon = daemon_factory(workspace.config_path, prefix=CAPLESS)
    if scenario == "failed":
        (workspace.inbox / name).write_bytes(b"not a video " * 100)
    else:
        clips.make(workspace.inbox / name)
    if scenario == "source":
        (workspace.inbox / name).chmod(0)
    wait_waiting(workspace, words)
    status = json.loads(run_cli("status", "--json", config=workspace.config_path).stdout)
    assert status["jobs"][0]["waiting_reason"].startswith(words.split(":")[0])
    assert (workspace.inbox / name).exists()  # nothing lost, nothing moved yet
    if blocked is not None:
        blocked.chmod(0o755)
    else:
        (workspace.inbox / name).chmod(0o644)
    final = "failed" if scenario == "failed" else "completed"
    wait_job(workspace, final)
    if scenario == "failed":
        assert (workspace.failed / name).exists() and (
            workspace.failed / f"{name}.error.txt"
        ).exists()
    else:
        assert (workspace.archive / name).exists()
    assert not (workspace.inbox / name).exists()
    no_absolute_paths(workspace)
    assert daemon.saw("job waiting; it is retried by itself")


@needs_root
def test_a_read_only_output_mount_waits_and_resumes(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    fast_retries(workspace)
    workspace.output.mkdir()
    subprocess.run(
        ["mount", "--bind", "-o", "ro", str(workspace.output), str(workspace.output)], check=True
    )
    try:
        daemon_factory(workspace.config_path)
        clips.make(workspace.inbox / "clip.mp4")
        wait_waiting(workspace, "read-only")
    finally:
        subprocess.run(["umount", str(workspace.output)], check=True)
    wait_job(workspace, "completed")
    assert (workspace.archive / "clip.mp4").exists()


# --- 4, 5. names too long for derived names, names that are not UTF-8 ---------------------


def test_long_names_alone_and_in_a_batch_are_processed(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    long_latin = "a" * 247 + ".mp4"  # 251 bytes
    long_cjk = "動" * 83 + ".mp4"  # 253 bytes
    staging = tmp_path / "staging" / ("b" * 250)
    clips.make(staging / long_latin)
    clips.make(staging / long_cjk)
    daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / long_latin)
    staging.rename(workspace.inbox / staging.name)
    wait_job(workspace, "completed")
    names = [p for p in workspace.output.rglob("*")]
    assert all(len(os.fsencode(p.name)) <= 255 for p in names)
    outputs = [p for p in names if p.suffix == ".mp4"]
    assert len(outputs) == 3 * 2
    assert (workspace.archive / long_latin).exists()
    assert (workspace.archive / staging.name / long_cjk).exists()


def test_a_name_that_is_not_utf8_is_processed_and_archived_as_it_is(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory(workspace.config_path)
    raw = os.fsencode(workspace.inbox) + b"/bad\xff\xfe.mp4"
    clip = clips.make(workspace.root / "clip.mp4")
    os.rename(clip, raw)
    wait_job(workspace, "completed")
    [status] = workspace.statuses()
    assert status["files"][0]["name"] == "bad\\xff\\xfe.mp4"
    assert os.path.exists(os.fsencode(workspace.archive) + b"/bad\xff\xfe.mp4")
    assert "Traceback" not in daemon.log_path.read_text(errors="replace")


# --- 6. archive disk full ---------------------------------------------------------------


@needs_root
def test_a_full_archive_disk_waits_leaves_no_temp_files_and_resumes(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    fast_retries(workspace)
    workspace.archive.mkdir()
    source = clips.make(workspace.root / "big.mp4", seconds=6, size="640x360", rate=25)
    assert source.stat().st_size > 200_000
    with mounted("-t", "tmpfs", "-o", "size=128k", "tmpfs", str(workspace.archive)):
        daemon_factory(workspace.config_path)
        source.rename(workspace.inbox / "big.mp4")
        wait_waiting(workspace, "the disk is full")
        assert (workspace.inbox / "big.mp4").exists()
        assert not temp_files_under(workspace.archive)
        assert not [p for p in workspace.archive.rglob("*") if p.name.startswith(".")]
        subprocess.run(["mount", "-o", "remount,size=64m", str(workspace.archive)], check=True)
        wait_job(workspace, "completed")
        assert (workspace.archive / "big.mp4").stat().st_size > 200_000
        assert not (workspace.inbox / "big.mp4").exists()


# --- 7. another process holding the database ------------------------------------------------


def test_a_database_locked_past_the_busy_timeout_delays_but_never_fails(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="ready")
    # 35 s: past the 30 s busy timeout, so that the daemon's own retry must carry it.
    holder = hold_write_lock(workspace.db, 35)
    clips.make(workspace.inbox / "clip.mp4")
    status = run_cli("status", config=workspace.config_path, timeout=20)
    assert status.returncode == 0 and "Traceback" not in status.stderr
    assert holder.wait(timeout=60) == 0
    wait_job(workspace, "completed")
    assert daemon.saw("database busy or unreachable; retrying")
    assert daemon.proc.poll() is None


# --- 8. the share unmounted mid-encode -------------------------------------------------------


@needs_root
def test_a_share_unmounted_mid_encode_waits_and_resumes_on_remount(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    fast_retries(workspace)
    slow_encoder(workspace)
    share = workspace.root / "share"
    backing = tmp_path / "backing"
    backing.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=2g", "tmpfs", str(backing)):
        for child in share.iterdir():
            shutil.move(str(child), backing / child.name)
        subprocess.run(["mount", "--bind", str(backing), str(share)], check=True)
        try:
            daemon = daemon_factory(workspace.config_path)
            clips.make(workspace.inbox / "clip.mp4", **SLOW)
            wait_encoding(workspace)
            subprocess.run(["umount", "-l", str(share)], check=True)
            row = wait_waiting(workspace, "not on its share any more")
            assert list(share.iterdir()) == []  # nothing written into the bare mount point
            [record] = rows(workspace.db, "SELECT * FROM files")
            assert record["disposal"] is None and record["state"] == "queued"
            assert str(workspace.root) not in (row["waiting_reason"] or "")
            subprocess.run(["mount", "--bind", str(backing), str(share)], check=True)
            wait_job(workspace, "completed", timeout=180)
            assert (backing / "archive" / "clip.mp4").exists()
            assert not temp_files_under(backing)
            [folder] = [p for p in (backing / "output").iterdir()]
            assert sorted(p.name for p in folder.glob("*.mp4")) == [
                "clip_var01.mp4",
                "clip_var02.mp4",
            ]
            assert daemon.proc.poll() is None
        finally:
            subprocess.run(["umount", "-l", str(share)], check=False, capture_output=True)


# --- 9. a source rewritten or renamed during its encode ------------------------------------


def test_a_source_rewritten_during_its_encode_is_encoded_again_from_the_new_content(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    fast_retries(workspace)
    slow_encoder(workspace)
    daemon_factory(workspace.config_path)
    source = clips.make(workspace.inbox / "clip.mp4", **SLOW)
    replacement = clips.make(tmp_path / "shorter.mp4", seconds=2)
    wait_encoding(workspace)
    with open(source, "r+b") as handle:  # rewritten in place: same inode, new content
        handle.truncate(0)
        handle.write(replacement.read_bytes())
    wait_job(workspace, "completed", timeout=180)
    assert len(job_states(workspace.db)) == 1  # the same drop, one job
    [status] = workspace.statuses()
    assert abs(status["files"][0]["duration"] - 2.0) < 0.3  # encoded from the new content
    assert (workspace.archive / "clip.mp4").read_bytes() == replacement.read_bytes()


def test_a_source_renamed_during_its_encode_is_processed_once(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4", **SLOW)
    wait_encoding(workspace)
    (workspace.inbox / "clip.mp4").rename(workspace.inbox / "renamed.mp4")
    wait_for(lambda: daemon.saw("already queued"), what="the renamed file to be recognised")
    wait_job(workspace, "completed")
    assert len(job_states(workspace.db)) == 1
    assert (workspace.archive / "renamed.mp4").exists()
    assert list(workspace.inbox.iterdir()) == []


def test_a_source_moved_into_an_inbox_subfolder_during_its_encode_is_archived_once(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4", **SLOW)
    wait_encoding(workspace)
    (workspace.inbox / "later").mkdir()
    (workspace.inbox / "clip.mp4").rename(workspace.inbox / "later" / "clip.mp4")
    wait_job(workspace, "completed")
    [record] = rows(workspace.db, "SELECT disposal, disposed_to FROM files")
    assert record["disposal"] == "archived", dict(record)
    assert (workspace.archive / "later" / "clip.mp4").exists()
    assert not (workspace.inbox / "later" / "clip.mp4").exists()
    # A restart finds nothing to do again: one job, one encode.
    assert daemon.stop() == 0
    again = daemon_factory(workspace.config_path)
    wait_for(lambda: again.saw("ready"), what="ready")
    clips.make(workspace.inbox / "marker.mp4")  # a drop after it: once it is done, so is the scan
    wait_for(lambda: len(job_states(workspace.db)) == 2, what="the marker queued")
    wait_job(workspace, "completed")
    assert len(job_states(workspace.db)) == 2


# --- 10. output names that would collide in a batch -------------------------------------------


def test_clashing_names_in_a_batch_keep_their_own_outputs(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    staging = tmp_path / "staging" / "campaign"
    good = ["a.mp4", "a.MOV", "a_mov.mp4", "clip.MP4", "clip.mp4", "x.mp4"]
    for name in good:
        clips.make(staging / name)
    (staging / "x.MOV").write_bytes(b"not a video " * 50)  # fails: must not take x.mp4's outputs
    daemon_factory(workspace.config_path)
    staging.rename(workspace.inbox / "campaign")
    wait_job(workspace, "completed")
    [status] = workspace.statuses()
    [folder] = workspace.job_dirs()
    paths = [o["path"] for f in status["files"] for o in f["outputs"]]
    assert len(paths) == len(set(p.casefold() for p in paths)) == 2 * len(good)
    assert all((folder / p).is_file() for p in paths)
    assert status["failed_files"] == 1


# --- 11. a 50,000-file folder -----------------------------------------------------------------


def test_a_50000_file_folder_never_blocks_the_watchdog_or_a_stop(
    workspace: Workspace,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    sock_path = tmp_path / "notify.sock"
    staging = tmp_path / "staging" / "huge"
    staging.mkdir(parents=True)
    for i in range(50_000):
        (staging / f"clip{i:05d}.mp4").touch()  # empty files fail fast, with a note each
    env = {"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000"}
    with notify_datagrams(sock_path) as got:
        daemon = daemon_factory(workspace.config_path, env=env)
        wait_for(lambda: _pings(got) >= 2, what="watchdog pings")
        staging.rename(workspace.inbox / "huge")
        wait_for(lambda: daemon.saw("queued"), timeout=120, what="the batch to be queued")
        wait_for(
            lambda: (
                (r := rows(workspace.db, "SELECT COUNT(*) AS n FROM files WHERE state = 'failed'"))
                and r[0]["n"] >= 200
            ),
            timeout=120,
            what="the worker to go through files",
        )
        stop_sent = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
        stopped_after = time.monotonic() - stop_sent
    pings = [t for t, data in got if b"WATCHDOG=1" in data]
    gaps = [b - a for a, b in itertools.pairwise(pings)]
    assert max(gaps) < 10, f"longest gap between WATCHDOG=1 was {max(gaps):.1f} s"
    assert stopped_after < 20
    [record] = rows(workspace.db, "SELECT state FROM jobs")
    assert record["state"] == "queued"  # it goes on where it stopped


def _pings(got: list[tuple[float, bytes]]) -> int:
    return sum(1 for _t, data in got if b"WATCHDOG=1" in data)


# --- 12. the umask -------------------------------------------------------------------------


def test_written_files_honour_the_umask(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    staging = tmp_path / "staging" / "batch"
    clips.make(staging / "good.mp4")
    (staging / "bad.mp4").write_bytes(b"not a video " * 50)
    daemon_factory(workspace.config_path, prefix=("sh", "-c", 'umask 0002 && exec "$@"', "sh"))
    staging.rename(workspace.inbox / "batch")
    wait_job(workspace, "completed")
    [folder] = workspace.job_dirs()
    written = [folder / "status.json", folder / "preview.jpg", *folder.glob("*.mp4")]
    written.append(workspace.failed / "batch" / "bad.mp4.error.txt")
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o664, path.name


# --- 14. /proc/mounts hidden (ProcSubset=pid) -------------------------------------------------


@needs_root
def test_mounts_are_read_where_a_hardened_unit_hides_proc_mounts(tmp_path: Path) -> None:
    target = tmp_path / "fs"
    target.mkdir()
    probe = (
        "from pathlib import Path; from vidvar.mounts import fstype_of; "
        f"print(fstype_of(Path('{target}')))"
    )
    script = (
        f"mount -t tmpfs tmpfs {target} && mount -t proc -o subset=pid proc /proc && "
        f'test ! -e /proc/mounts && {sys.executable} -c "{probe}"'
    )
    done = subprocess.run(
        ["unshare", "--mount", "--pid", "--fork", "sh", "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if done.returncode != 0 and "subset" in done.stderr:
        pytest.skip(f"this kernel refuses proc subset=pid: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "tmpfs"


# --- 15. signal handlers only set flags ---------------------------------------------


def test_signal_handlers_only_set_flags(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from vidvar.config import load_config
    from vidvar.engine.supervisor import Supervisor
    from vidvar.store import open_store

    config = load_config(workspace.config_path)
    store = open_store(config.database)
    try:
        supervisor = Supervisor(config, store, watch=True)
        capsys.readouterr()
        supervisor._on_signal(signal.SIGTERM, None)
        supervisor._on_signal(signal.SIGHUP, None)
        assert supervisor._signals == [signal.SIGTERM] and supervisor._reload
        captured = capsys.readouterr()
        supervisor.notify.stop()
    finally:
        store.close()
    assert captured.out == captured.err == ""  # no logging, no I/O in a handler


# --- 16. the database damaged, deleted or missing ------------------------------------------------


def test_a_damaged_database_is_one_plain_message(workspace: Workspace) -> None:
    workspace.db.parent.mkdir(parents=True)
    workspace.db.write_bytes(b"this is not a database " * 200)
    done = run_cli("run", config=workspace.config_path, timeout=60)
    assert done.returncode == 1
    assert "damaged or not a vidvar database" in done.stderr and str(workspace.db) in done.stderr
    assert "Traceback" not in done.stderr


def test_a_database_deleted_under_the_daemon_stops_it_and_status_creates_none(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="ready")
    for suffix in ("", "-wal", "-shm"):
        Path(str(workspace.db) + suffix).unlink(missing_ok=True)
    assert daemon.wait(timeout=60) == 1
    assert any("was deleted" in str(e.get("reason", "")) for e in daemon.events())
    status = run_cli("status", config=workspace.config_path)
    assert status.returncode == 0 and "no database" in status.stdout
    assert not workspace.db.exists()


# --- an unexpected error: the file is queued again (counted) or fails with a note -------


def test_an_unexpected_error_is_retried_then_fails_the_file_with_a_note(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    fast_retries(workspace, max_attempts=2)
    odd = tmp_path / "odd-ffprobe"
    odd.write_text(
        '#!/bin/sh\necho \'{"format": {"duration": "2.0"}, "streams": '
        '[{"codec_type": "video", "width": "wide", "height": 2}]}\'\n'
    )
    odd.chmod(0o755)
    daemon_factory(workspace.config_path, env={"VIDVAR_FFPROBE": str(odd)})
    clips.make(workspace.inbox / "clip.mp4")
    wait_job(workspace, "failed")
    [status] = workspace.statuses()
    assert "internal error (ValueError)" in status["files"][0]["error"]
    assert (workspace.failed / "clip.mp4").exists()
    assert "internal error" in (workspace.failed / "clip.mp4.error.txt").read_text()
    [record] = rows(workspace.db, "SELECT attempts FROM files")
    assert record["attempts"] == 1  # counted once, then given up at max_attempts 2
    no_absolute_paths(workspace)


def test_retry_wakes_a_waiting_job_at_once(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    fast_retries(workspace, retry_seconds=3600, retry_max_seconds=3600)
    _chmod(workspace.output, 0o555)
    daemon_factory(workspace.config_path, prefix=CAPLESS)
    clips.make(workspace.inbox / "clip.mp4")
    row = wait_waiting(workspace, "permission denied")
    workspace.output.chmod(0o755)
    done = run_cli("retry", row["id"], config=workspace.config_path)
    assert done.returncode == 0 and "tried again now" in done.stdout
    wait_job(workspace, "completed")


@needs_root
def test_moving_a_link_across_filesystems_moves_the_link_never_its_target(
    tmp_path: Path,
) -> None:
    from vidvar import beneath

    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    link = tmp_path / "inbox" / "clip.mp4"
    link.parent.mkdir()
    link.symlink_to(secret)
    other_fs = tmp_path / "failed"
    other_fs.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(other_fs)):
        moved = beneath.move(tmp_path / "inbox", "clip.mp4", other_fs, "clip.mp4")
        assert moved.is_symlink() and os.readlink(moved) == str(secret)
        assert not os.path.lexists(link) and secret.read_text() == "private"
        assert [p for p in other_fs.iterdir() if not p.is_symlink()] == []
