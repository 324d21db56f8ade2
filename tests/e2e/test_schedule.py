"""Schedule and pause with a real daemon: nothing starts outside the window and work starts
at its opening (the schedule's clock set by VIDVAR_SCHEDULE_CLOCK); pause and resume from
the CLI and from the page, with and without --now."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import httpx
import pytest

from tests.support import (
    SLOW,
    ClipFactory,
    DaemonProcess,
    Workspace,
    free_port,
    rows,
    run_cli,
    slow_encoder,
    wait_encoding,
    wait_for,
    wait_job,
)

pytestmark = pytest.mark.e2e


def status_of(ws: Workspace) -> dict[str, object] | None:
    found = ws.statuses()
    return found[0] if found else None


def test_nothing_starts_outside_the_schedule_and_work_starts_at_the_window(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.data["schedule"] = [{"days": "mon-fri", "from": "19:00", "to": "07:00"}]
    workspace.write()
    # The schedule's clock starts on Monday 2026-12-07 at 18:59:45 and runs on from there.
    env = {"VIDVAR_SCHEDULE_CLOCK": "2026-12-07T18:59:45"}
    daemon = daemon_factory(workspace.config_path, env=env)
    wait_for(lambda: daemon.saw("ready"), what="ready")
    clips.make(workspace.root / "a.mp4", seconds=1).rename(workspace.inbox / "a.mp4")

    def held() -> dict[str, object] | None:
        doc = status_of(workspace)
        return doc if doc and doc.get("phase") == "waiting" else None

    doc = wait_for(held, timeout=30, what="status.json to say the job waits")
    assert doc["waiting_reason"] == "outside the schedule, next window Mon 19:00"
    shown = run_cli("status", config=workspace.config_path)
    assert "waiting: outside the schedule, next window Mon 19:00" in shown.stdout
    wait_job(workspace, "completed", timeout=120)
    [opened] = [e for e in daemon.events() if e.get("event") == "new files may start again"]
    [started] = [e for e in daemon.events() if e.get("event") == "job started"]
    assert opened["schedule_clock"] >= "2026-12-07T19:00:00"
    assert started["timestamp"] >= opened["timestamp"], "a file started before the window"


def test_pause_lets_the_running_encode_finish_and_resume_starts_the_next(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    slow_encoder(workspace)
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="ready")
    clips.make(workspace.root / "a.mp4", **SLOW).rename(workspace.inbox / "a.mp4")
    wait_encoding(workspace)
    paused = run_cli("pause", config=workspace.config_path)
    assert paused.returncode == 0 and "running encodes finish first" in paused.stdout
    clips.make(workspace.root / "b.mp4", seconds=1).rename(workspace.inbox / "b.mp4")

    def first_done_second_held() -> bool:
        states = sorted(r["state"] for r in rows(workspace.db, "SELECT state FROM jobs"))
        return states == ["completed", "queued"]

    wait_for(first_done_second_held, timeout=120, what="a finished, b held")
    wait_for(
        lambda: any(
            (d.get("waiting_reason") or "").startswith("paused by request")
            for d in workspace.statuses()
        ),
        what="b's status.json to say it is paused",
    )
    assert "paused by request" in run_cli("status", config=workspace.config_path).stdout
    assert run_cli("resume", config=workspace.config_path).stdout.startswith("resumed")
    wait_job(workspace, "completed", timeout=120)
    assert not daemon.saw("file failed")


def test_pause_now_from_the_page_puts_the_running_file_back_and_resume_finishes_it(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    port = free_port()
    workspace.data["web"] = {"with_run": True, "port": port}
    slow_encoder(workspace)
    daemon = daemon_factory(workspace.config_path)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: daemon.saw("ready"), what="ready")
    clips.make(workspace.root / "a.mp4", **SLOW).rename(workspace.inbox / "a.mp4")
    running = wait_encoding(workspace)
    page = wait_for(lambda: _get(f"{url}/"), what="the page")
    assert 'id="pause-now"' in page

    def timed_row() -> dict[str, object] | None:
        rows = httpx.get(f"{url}/api/jobs").json()["jobs"]
        return next((r for r in rows if r["speed"] and r["eta_seconds"] is not None), None)

    wait_for(timed_row, what="the running job's row to carry speed and time left")
    origin = {"Origin": url}
    answer = httpx.post(f"{url}/api/pause", json={"now": True}, headers=origin)
    assert answer.status_code == 200 and answer.json()["paused"] is True, answer.text

    def put_back() -> sqlite3.Row | None:
        [row] = rows(workspace.db, "SELECT * FROM files WHERE id = ?", (running["id"],))
        return row if row["state"] == "queued" and row["ffmpeg_pid"] is None else None

    row = wait_for(put_back, timeout=60, what="the running file to go back to the queue")
    assert row["attempts"] == 0
    state = httpx.get(f"{url}/api/pause").json()
    assert state["now"] is True and state["reason"].startswith("paused by request")
    assert httpx.post(f"{url}/api/resume", headers=origin).json()["paused"] is False
    wait_job(workspace, "completed", timeout=180)
    assert not daemon.saw("file failed")
    assert json.loads(run_cli("status", "--json", config=workspace.config_path).stdout)


def _get(url: str) -> str | None:
    try:
        answer = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    return answer.text if answer.status_code == 200 else None
