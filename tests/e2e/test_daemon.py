"""The real daemon as a subprocess: pickup, progress, isolation, crashes, signals, cancel, retry."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    SLOW,
    ClipFactory,
    DaemonProcess,
    Workspace,
    ffmpeg_processes_under,
    job_states,
    rows,
    run_cli,
    slow_encoder,
    wait_encoding,
    wait_for,
    wait_job,
)


def assert_clean_job_folder(folder: Path, expected_outputs: int) -> dict[str, Any]:
    status = json.loads((folder / "status.json").read_text())
    names = sorted(p.name for p in folder.rglob("*") if p.is_file())
    assert not [n for n in names if n.endswith(".vidvar-tmp")], names
    outputs = [o for f in status["files"] for o in f["outputs"]]
    assert len(outputs) == expected_outputs
    assert sorted(o["path"] for o in outputs) == sorted(n for n in names if n.endswith(".mp4"))
    return dict(status)


def test_enqueued_job_is_processed_after_the_client_exits(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    source = clips.make(tmp_path / "elsewhere" / "clip.mp4")
    done = run_cli("enqueue", str(source), "--variations", "3", config=workspace.config_path)
    assert done.returncode == 0, done.stderr
    assert "queued" in done.stdout
    daemon = daemon_factory(workspace.config_path)
    wait_job(workspace, "completed")
    [folder] = workspace.job_dirs()
    status = assert_clean_job_folder(folder, 3)
    assert folder.name.startswith("clip-")
    assert status["state"] == "completed" and status["progress"] == 100
    effects = [json.dumps(o["effects"], sort_keys=True) for o in status["files"][0]["outputs"]]
    assert len(set(effects)) == 3  # unique effects per output
    assert source.exists()  # queued by hand: never moved
    # The encode's own wall time is logged with the job and file, so that what a job
    # took beyond its encodes (orchestration) can be read from the log.
    [finished] = [e for e in daemon.events() if e.get("event") == "ffmpeg finished"]
    assert finished["job_id"] == status["job_id"] and finished["file"] == "clip.mp4"
    assert finished["outputs"] == 3 and finished["seconds"] > 0
    assert daemon.stop() == 0


def test_progress_rises_in_the_database_while_ffmpeg_runs(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "slow.mp4", **SLOW)
    seen: list[int] = []

    def sample() -> bool:
        for r in rows(workspace.db, "SELECT progress, ffmpeg_pid FROM files"):
            if r["ffmpeg_pid"] and 0 < r["progress"] < 100 and r["progress"] not in seen:
                seen.append(r["progress"])
        return len(seen) >= 3

    wait_for(sample, timeout=60, interval=0.1, what="three progress values")
    assert seen == sorted(seen)
    wait_job(workspace, "completed")
    status = workspace.statuses()[0]
    assert status["files"][0]["progress"] == 100


def test_a_failed_file_does_not_block_the_batch(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    staging = tmp_path / "staging" / "campaign"
    clips.make(staging / "good.mp4")
    (staging / "bad.mp4").write_text("not a video at all\n" * 20)
    clips.make(staging / "sub" / "also good.mov")
    daemon_factory(workspace.config_path)
    staging.rename(workspace.inbox / "campaign")  # a folder dropped at once
    wait_job(workspace, "completed")
    [status] = workspace.statuses()
    by_name = {f["name"]: f for f in status["files"]}
    assert by_name["bad.mp4"]["state"] == "failed"
    assert "not a video" in by_name["bad.mp4"]["error"]
    assert by_name["good.mp4"]["completed_variations"] == 2
    assert by_name["sub/also good.mov"]["completed_variations"] == 2
    assert (workspace.failed / "campaign" / "bad.mp4").exists()
    note = (workspace.failed / "campaign" / "bad.mp4.error.txt").read_text()
    assert "not a video" in note and status["job_id"] in note
    assert (workspace.archive / "campaign" / "good.mp4").exists()
    assert (workspace.archive / "campaign" / "sub" / "also good.mov").exists()
    assert not (workspace.inbox / "campaign").exists()


def test_sigkill_mid_encode_then_restart_completes_exactly_once(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    source = clips.make(workspace.inbox / "crash me.mp4", **SLOW)
    size = source.stat().st_size
    first = daemon_factory(workspace.config_path)
    wait_encoding(workspace)
    first.signal(signal.SIGKILL)
    first.wait()
    second = daemon_factory(workspace.config_path)
    wait_job(workspace, "completed")
    [folder] = workspace.job_dirs()
    status = assert_clean_job_folder(folder, 2)
    assert status["files"][0]["completed_variations"] == 2
    assert len(rows(workspace.db, "SELECT * FROM outputs")) == 2
    archived = workspace.archive / "crash me.mp4"
    assert archived.stat().st_size == size  # the source is intact
    assert second.saw("recovered a job left by a dead worker")
    assert second.saw("killed an ffmpeg left running by a dead worker")
    assert ffmpeg_processes_under(folder) == []  # the orphaned ffmpeg was ours and is gone


def test_sigterm_mid_encode_exits_cleanly_and_the_job_resumes(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    clips.make(workspace.inbox / "clip.mp4", **SLOW)
    first = daemon_factory(workspace.config_path)
    wait_encoding(workspace)
    first.signal(signal.SIGTERM)
    assert first.wait(timeout=15) == 0
    [job] = rows(workspace.db, "SELECT * FROM jobs")
    [record] = rows(workspace.db, "SELECT * FROM files")
    assert job["state"] == "queued" and record["state"] == "queued"
    assert record["attempts"] == 0  # a clean stop is not the file's fault
    [folder] = workspace.job_dirs()
    assert [p.name for p in folder.iterdir()] == ["status.json"]
    assert json.loads((folder / "status.json").read_text())["state"] == "queued"
    daemon_factory(workspace.config_path)
    wait_job(workspace, "completed")
    assert_clean_job_folder(folder, 2)


def test_a_file_that_kills_the_worker_fails_after_max_attempts(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    killer = tmp_path / "ffmpeg-that-kills"
    # A real ffmpeg for the start-up check; for an encode it kills the daemon.
    killer.write_text(
        '#!/bin/sh\ncase "$*" in *-version*|*-filters*|*-encoders*) exec ffmpeg "$@";; esac\n'
        "kill -9 $PPID\nsleep 5\n"
    )
    killer.chmod(0o755)
    clips.make(workspace.inbox / "poison.mp4")
    env = {"VIDVAR_FFMPEG": str(killer)}
    for _ in range(3):
        crashing = daemon_factory(workspace.config_path, env=env)
        assert crashing.wait(timeout=60) == -signal.SIGKILL
    daemon_factory(workspace.config_path, env=env)
    wait_job(workspace, "failed")
    [status] = workspace.statuses()
    assert "3 times" in status["files"][0]["error"]
    assert (workspace.failed / "poison.mp4").exists()
    assert "3 times" in (workspace.failed / "poison.mp4.error.txt").read_text()


def test_cancel_from_another_process_kills_ffmpeg_and_removes_partial_outputs(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    clips.make(workspace.inbox / "clip.mp4", **SLOW)
    daemon_factory(workspace.config_path)
    record = wait_encoding(workspace)
    pid = record["ffmpeg_pid"]
    done = run_cli("cancel", record["job_id"][:6], config=workspace.config_path)
    assert done.returncode == 0, done.stdout + done.stderr
    wait_job(workspace, "cancelled")
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), timeout=10, what="ffmpeg to be gone")
    [folder] = workspace.job_dirs()
    wait_for(
        lambda: json.loads((folder / "status.json").read_text())["state"] == "cancelled",
        what="status.json to say cancelled",
    )
    assert [p.name for p in folder.iterdir()] == ["status.json"]
    assert (workspace.inbox / "clip.mp4").exists()  # a cancelled source stays where it was


def test_retry_requeues_failed_files_from_the_failed_folder(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    (workspace.inbox / "broken.mp4").write_bytes(b"\0" * 4096)
    daemon = daemon_factory(workspace.config_path)
    wait_job(workspace, "failed")
    failed_copy = workspace.failed / "broken.mp4"
    assert failed_copy.exists()
    clips.make(tmp_path / "fixed.mp4").replace(failed_copy)  # the user repairs the file
    [job_id] = job_states(workspace.db)
    done = run_cli("retry", job_id, config=workspace.config_path)
    assert done.returncode == 0 and "re-queued 1 file" in done.stdout
    wait_job(workspace, "completed")
    assert (workspace.archive / "broken.mp4").exists()
    assert not failed_copy.exists() and not (workspace.failed / "broken.mp4.error.txt").exists()
    assert daemon.stop() == 0


def test_status_shows_live_progress_and_json_shape(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    clips.make(workspace.inbox / "clip.mp4", **SLOW)
    daemon_factory(workspace.config_path)
    record = wait_encoding(workspace)
    done = run_cli("status", "--json", config=workspace.config_path)
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert data["queue_depth"] == 0
    busy = [w["current_job"] for w in data["workers"] if w["current_job"]]
    assert busy == [record["job_id"]]  # the other workers of the daemon are idle
    assert data["jobs"][0]["state"] == "processing" and data["jobs"][0]["progress"] >= 0
    table = run_cli("status", config=workspace.config_path)
    assert "processing" in table.stdout and "clip.mp4" in table.stdout
    one = json.loads(
        run_cli("status", record["job_id"], "--json", config=workspace.config_path).stdout
    )
    assert set(one) >= {
        "job_id",
        "watch",
        "state",
        "progress",
        "variations_per_file",
        "created_at",
        "started_at",
        "finished_at",
        "error",
        "files",
    }
    assert one["files"][0]["progress"] > 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_idle_daemon_stops_cleanly(
    workspace: Workspace, signum: int, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="the daemon to be ready")
    started = time.monotonic()
    daemon.signal(signum)
    assert daemon.wait(timeout=15) == 0
    assert time.monotonic() - started < 15
    assert daemon.saw("stopped cleanly")


def test_two_files_encode_at_once_with_concurrency_and_both_stop_cleanly(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    workspace.data["worker"] = {**workspace.data.get("worker", {}), "concurrency": 2}
    workspace.write()
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "one.mp4", **SLOW)
    clips.make(workspace.inbox / "two.mp4", **SLOW)
    # Both files encode at the same moment, each under its own worker's claim.
    busy = wait_for(
        lambda: (
            found
            if len(found := rows(workspace.db, "SELECT * FROM files WHERE progress > 0")) == 2
            else None
        ),
        what="two encodes at once",
    )
    owners = {r["worker_id"] for r in rows(workspace.db, "SELECT worker_id FROM jobs")}
    assert len(owners) == 2 and None not in owners
    assert len({r["ffmpeg_pid"] for r in busy}) == 2
    workers = json.loads(run_cli("status", "--json", config=workspace.config_path).stdout)[
        "workers"
    ]
    assert len(workers) == 2 and all(w["current_job"] for w in workers)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=20) == 0
    assert sorted(job_states(workspace.db).values()) == ["queued", "queued"]
    assert [r["attempts"] for r in rows(workspace.db, "SELECT attempts FROM files")] == [0, 0]
    daemon_factory(workspace.config_path)
    wait_for(
        lambda: sorted(job_states(workspace.db).values()) == ["completed", "completed"],
        timeout=180,
        what="both jobs to complete",
    )
