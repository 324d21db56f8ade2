"""The page beside a real daemon (`web.with_run`): an upload is followed to its own job."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support import (
    ClipFactory,
    DaemonProcess,
    Workspace,
    free_port,
    job_states,
    wait_for,
    wait_job,
)

pytestmark = pytest.mark.e2e


def test_an_upload_named_like_an_older_job_is_followed_to_its_own_job(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    port = free_port()
    workspace.data["web"] = {"with_run": True, "port": port}
    workspace.write()
    daemon = daemon_factory(workspace.config_path)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: daemon.saw("ready"), what="ready")
    clips.make(workspace.root / "eco.mp4", seconds=1).rename(workspace.inbox / "eco.mp4")
    [older] = wait_job(workspace, "completed")  # archived: the name is free again
    clip = clips.make(workspace.root / "new" / "eco.mp4", seconds=2)  # other content
    with clip.open("rb") as body:
        answer = httpx.post(
            f"{url}/api/uploads",
            files={"files": ("eco.mp4", body, "video/mp4")},
            headers={"Origin": url},
        )
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    assert placed["placed"] == ["eco.mp4"] and placed["upload_id"]

    def own_job() -> str | None:
        found = httpx.get(f"{url}/api/uploads/{placed['upload_id']}").json()
        return found["job_id"]

    job_id = wait_for(own_job, what="the upload's own job")
    assert job_id != older and job_id in job_states(workspace.db)
    assert httpx.get(f"{url}/api/uploads/ffffffffffffffff").status_code == 404
