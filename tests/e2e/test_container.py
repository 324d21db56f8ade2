"""The container image, built and run with podman: ids, umask, health, a stop mid-encode.

Skipped (with the reason) only where podman cannot run containers at all. The base
image is made locally once (container/base-image.sh) and podman's layer cache keeps
later builds short.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO, ClipFactory, rows, wait_for

pytestmark = [pytest.mark.e2e]
IMAGE = "localhost/vidvar:test"
BASE = "docker.io/library/debian:bookworm-slim"
CONF = REPO / "container" / "containers.conf"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def podman(
    *args: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_CONF": str(CONF)}
    done = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done


@pytest.fixture(scope="session")
def image() -> str:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (./dev.sh test installs it as root)")
    if os.geteuid() != 0:
        pytest.skip("podman needs root here (rootless podman lacks subuid ranges on this host)")
    if podman("image", "exists", BASE, check=False).returncode != 0:
        made = subprocess.run(
            [str(REPO / "container" / "base-image.sh")],
            capture_output=True,
            text=True,
            timeout=1200,
            env={**os.environ, "CONTAINERS_CONF": str(CONF)},
        )
        if made.returncode != 0:
            pytest.skip(f"no base image can be made here: {made.stderr.strip()[-300:]}")
    probe = podman("run", "--rm", "--network", "none", BASE, "true", check=False)
    if probe.returncode != 0:
        pytest.skip(f"podman cannot run containers here: {probe.stderr.strip()[-300:]}")
    secret = ["--secret", f"id=ca-bundle,src={CA_BUNDLE}"] if CA_BUNDLE.exists() else []
    podman(
        "build",
        "--pull=never",
        "--format",
        "docker",
        *secret,
        "-t",
        IMAGE,
        str(REPO),
        timeout=1800,
    )
    return IMAGE


@pytest.fixture
def container(image: str, tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    share, config = tmp_path / "share", tmp_path / "config"
    share.mkdir()
    config.mkdir()
    name = f"vidvar-test-{uuid.uuid4().hex[:8]}"
    podman(
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "none",
        "-e",
        "PUID=1026",
        "-e",
        "PGID=100",
        "-e",
        "UMASK=0002",
        "-e",
        "TZ=Europe/Berlin",
        "-e",
        "VIDVAR_SETTLE_SECONDS=1",
        "-e",
        "VIDVAR_VARIATIONS=2",
        "-v",
        f"{share}:/data",
        "-v",
        f"{config}:/config",
        image,
    )
    try:
        yield name, share, config
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def logs(name: str) -> str:
    done = podman("logs", name, check=False)
    return done.stdout + done.stderr


def test_the_image_runs_as_puid_with_the_umask_turns_healthy_and_stops_cleanly(
    container: tuple[str, Path, Path], clips: ClipFactory, tmp_path: Path
) -> None:
    name, share, config = container
    wait_for(lambda: '"ready"' in logs(name), timeout=120, what="the daemon to be ready")
    inspected = json.loads(podman("inspect", name).stdout)[0]
    assert inspected["Config"]["Healthcheck"]["Test"][-1] == "health"
    assert podman("healthcheck", "run", name, check=False).returncode == 0
    # A clip dropped in: outputs owned by PUID:PGID with the umask applied, source archived.
    clip = clips.make(tmp_path / "clip.mp4", seconds=2)
    clip.rename(share / "inbox" / "clip.mp4")
    wait_for(lambda: (share / "archive" / "clip.mp4").exists(), timeout=180, what="archiving")
    [job] = [p for p in (share / "output").iterdir()]
    wait_for(
        lambda: json.loads((job / "status.json").read_text())["state"] == "completed",
        what="the job's end in status.json",
    )
    written = [job, job / "status.json", *job.glob("*.mp4")]
    assert len(written) == 4
    for path in written:
        st = path.stat()
        assert (st.st_uid, st.st_gid) == (1026, 100), path
        assert st.st_mode & 0o777 == (0o775 if path.is_dir() else 0o664), (path, oct(st.st_mode))
    assert (config / "vidvar.yaml").exists() and (config / "state" / "vidvar.db").exists()
    # Stopped mid-encode: the file goes back to the queue and the container exits 0.
    slow = clips.make(tmp_path / "slow.mp4", seconds=40, size="640x360", rate=25)
    slow.rename(share / "inbox" / "slow.mp4")
    db = config / "state" / "vidvar.db"
    wait_for(
        lambda: rows(db, "SELECT * FROM files WHERE ffmpeg_pid IS NOT NULL AND progress > 0"),
        timeout=120,
        what="the slow clip to be encoding",
    )
    began = time.monotonic()
    podman("stop", "-t", "30", name, timeout=90)
    stopped = time.monotonic() - began
    state = json.loads(podman("inspect", name).stdout)[0]["State"]
    assert state["ExitCode"] == 0, logs(name)[-2000:]
    assert stopped < 30, f"took {stopped:.1f} s: the grace period ran out"
    with sqlite3.connect(db) as conn:
        queued = conn.execute(
            "SELECT f.state, j.state FROM files f JOIN jobs j ON j.id = f.job_id "
            "WHERE f.name = 'slow.mp4'"
        ).fetchone()
    assert queued == ("queued", "queued")
    assert (share / "inbox" / "slow.mp4").exists()
    assert "job interrupted; it goes back to the queue" in logs(name)
