"""The container image, built and run with podman: ids, umask, health, a stop mid-encode.

Skipped (with the reason) only where podman cannot run containers at all. The base
image is made locally once (container/base-image.sh) and podman's layer cache keeps
later builds short.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import REPO, ClipFactory, free_port, rows, wait_for

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


Started = tuple[str, Path, Path]


@pytest.fixture
def start(image: str, tmp_path: Path) -> Iterator[Callable[..., Started]]:
    """Run the image (PUID 1026:100, umask 0002) with a share and a config folder of its
    own; more podman run options (limits, ports, environment) as arguments."""
    names: list[str] = []

    def run(*options: str, network: str = "none") -> Started:
        share, config = tmp_path / f"share{len(names)}", tmp_path / f"config{len(names)}"
        share.mkdir()
        config.mkdir()
        name = f"vidvar-test-{uuid.uuid4().hex[:8]}"
        names.append(name)
        environment = {
            "PUID": "1026",
            "PGID": "100",
            "UMASK": "0002",
            "TZ": "Europe/Berlin",
            "VIDVAR_SETTLE_SECONDS": "1",
            "VIDVAR_VARIATIONS": "2",
        }
        podman(
            "run",
            "-d",
            "--name",
            name,
            "--network",
            network,
            *[arg for key, value in environment.items() for arg in ("-e", f"{key}={value}")],
            "-v",
            f"{share}:/data",
            "-v",
            f"{config}:/config",
            *options,
            image,
        )
        return name, share, config

    yield run
    for name in names:
        podman("rm", "-f", "-t", "0", name, check=False)


@pytest.fixture
def container(start: Callable[..., Started]) -> Started:
    return start()


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


def test_the_page_is_served_on_the_published_port_only_with_the_password(
    start: Callable[..., Started],
) -> None:
    port = free_port()
    name, _share, config = start("-p", f"127.0.0.1:{port}:8765", network="bridge")
    said = wait_for(
        lambda: re.search(r"the page's password is (\S+)", logs(name)),
        timeout=120,
        what="the generated password in the log",
    )
    password = said.group(1)
    hashed = (config / "web-password.hash").read_text()
    assert hashed.startswith("scrypt$") and password not in hashed
    url = f"http://127.0.0.1:{port}"

    def answers() -> httpx.Response | None:
        try:
            return httpx.get(f"{url}/api/jobs", timeout=5)
        except httpx.HTTPError:
            return None

    assert wait_for(answers, timeout=120, what="the page on the published port").status_code == 401
    assert httpx.get(f"{url}/metrics").status_code == 401
    with httpx.Client(base_url=url, headers={"Origin": url}) as browser:
        refused = browser.post("/login", data={"password": "not-the-password"})
        assert "vidvar_session" not in browser.cookies, refused.text[:200]
        browser.post("/login", data={"password": password})
        assert browser.get("/api/jobs").status_code == 200
        assert browser.get("/metrics").text.count("vidvar_jobs{") == 5
    # Restarted, the password stays the same (and is not printed again).
    podman("restart", "-t", "10", name, timeout=120)
    wait_for(lambda: answers() is not None, timeout=120, what="the page after a restart")
    assert (config / "web-password.hash").read_text() == hashed
    assert len(re.findall(r"the page's password is", logs(name))) == 1


def _peak_memory(name: str) -> int | None:
    """The container's peak memory from its cgroup (v1 max_usage, v2 memory.peak)."""
    inspected = json.loads(podman("inspect", name).stdout)[0]
    path = inspected["State"].get("CgroupPath") or ""
    for candidate in (
        Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "memory.max_usage_in_bytes",
        Path("/sys/fs/cgroup") / path.lstrip("/") / "memory.peak",
    ):
        if path and candidate.exists():
            return int(candidate.read_text())
    return None


def test_a_cpu_and_memory_limit_is_respected_at_1080p(
    start: Callable[..., Started], clips: ClipFactory, tmp_path: Path
) -> None:
    # --init as well: tini (-s) under another init must run without a warning.
    name, share, _config = start("--cpus", "1", "--memory", "1500m", "--init")
    wait_for(lambda: '"ready"' in logs(name), timeout=120, what="the daemon to be ready")
    batch = tmp_path / "campaign"
    batch.mkdir()
    for n in (1, 2):
        clips.make(batch / f"spot{n}.mp4", seconds=2, size="1920x1080", rate=25)
    os.chown(batch, 1026, 100)  # copied in by the share's owner, as on a NAS
    batch.rename(share / "inbox" / "campaign")

    def status() -> str:
        return podman("exec", name, "vidvar", "status", check=False).stdout

    shown = wait_for(lambda: "limits:" in status() and status(), what="limits in status")
    assert "1 CPU (cgroup quota)" in shown and "(cgroup limit); 1 file at once" in shown
    health = podman("exec", name, "vidvar", "health", check=False).stdout
    assert "1 CPU (cgroup quota)" in health
    [job] = wait_for(lambda: list((share / "output").glob("campaign-*")), timeout=120, what="job")
    wait_for(
        lambda: json.loads((job / "status.json").read_text())["state"] == "completed",
        timeout=600,
        what="the 1080p batch to complete under the limits",
    )
    document = json.loads((job / "status.json").read_text())
    assert [f["completed_variations"] for f in document["files"]] == [2, 2]
    state = json.loads(podman("inspect", name).stdout)[0]["State"]
    assert state["OOMKilled"] is False and state["Running"] is True
    assert not re.search(r"killed|out of memory", logs(name), re.IGNORECASE)
    assert "Tini is not running as PID 1" not in logs(name)
    peak = _peak_memory(name)
    print(f"peak container memory under --memory 1500m: {peak} bytes")
    if peak is not None:
        assert peak < 1500 * 2**20
