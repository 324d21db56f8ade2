"""Running as a service: the unit, sd_notify, reload, retention, disk pressure, install."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.support import REPO, ClipFactory, DaemonProcess, Workspace, run_cli, wait_for
from vidvar.config import load_config
from vidvar.engine.retention import Retention
from vidvar.store import open_store

UNIT = REPO / "systemd" / "vidvar.service"


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *args],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def unit_with_exec(tmp_path: Path, executable: Path) -> Path:
    """The unit as shipped, its ExecStart pointed at an installed vidvar (verify checks it)."""
    text = UNIT.read_text().replace("/opt/vidvar/bin/vidvar", str(executable))
    path = tmp_path / "vidvar.service"
    path.write_text(text)
    return path


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(30)
    yield sock
    sock.close()


def test_sd_notify_ready_watchdog_stopping_in_order(
    workspace: Workspace,
    notify_socket: socket.socket,
    tmp_path: Path,
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "600000"}
    daemon = daemon_factory(workspace.config_path, env=env)
    messages: list[str] = []

    def receive() -> str:
        text = notify_socket.recv(4096).decode()
        messages.append(text)
        return text

    assert receive().startswith("READY=1")
    assert daemon.saw("ready")  # READY only after recovery and watchers
    while messages.count("WATCHDOG=1") < 3:
        receive()
    daemon.signal(signal.SIGTERM)
    while not messages[-1].startswith("STOPPING=1"):
        receive()
    assert "EXTEND_TIMEOUT_USEC=" in messages[-1]
    assert daemon.wait(30) == 0
    kinds = [m.split("=", 1)[0] for m in messages]
    assert kinds[0] == "READY" and kinds[-1] == "STOPPING"
    assert set(kinds[1:-1]) == {"WATCHDOG"}


def test_sighup_adds_a_hot_folder_and_rejects_a_broken_config(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="ready")
    second = workspace.root / "share2" / "inbox"
    second.mkdir(parents=True)
    workspace.data["watch"].append(
        {
            "name": "social",
            "inbox": "share2/inbox",
            "output": "share2/output",
            "settle_seconds": 0.3,
            "variations": 1,
            "observer": "native",
        }
    )
    workspace.write()
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: daemon.saw("config reloaded"), what="the reload")
    clips.make(second / "new.mp4")
    wait_for(
        lambda: list((workspace.root / "share2" / "output").glob("new-*/new_var01.mp4")),
        timeout=60,
        what="the new hot folder's output",
    )
    good = workspace.config_path.read_text()
    workspace.config_path.write_text(good.replace("variations: 2", "variations: 0"))
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: daemon.saw("reload rejected; keeping the running config"), what="rejection")
    rejected = [e for e in daemon.events() if e["event"].startswith("reload rejected")]
    assert "watch[0].variations" in rejected[0]["error"]
    clips.make(workspace.inbox / "still works.mp4")
    wait_for(
        lambda: list(workspace.output.glob("still works-*/still works_var02.mp4")),
        timeout=60,
        what="work to continue under the old config",
    )
    assert daemon.proc.poll() is None


@pytest.mark.e2e
def test_retention_removes_only_what_is_old_and_never_a_running_job(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "old.mp4")
    wait_for(lambda: (workspace.archive / "old.mp4").exists(), timeout=60, what="archiving")
    wait_for(
        lambda: [s for s in workspace.statuses() if s["state"] == "completed"],
        what="a completed job",
    )
    assert daemon.stop() == 0
    config_data = dict(workspace.data, retention={"job_days": 7, "archive_days": 7})
    workspace.config_path.write_text(yaml.safe_dump(config_data))
    config = load_config(workspace.config_path)
    store = open_store(config.database)
    try:
        # A second job, running right now (claimed, folder and status written).
        running_src = clips.make(workspace.root / "elsewhere" / "running.mp4")
        assert run_cli("enqueue", str(running_src), config=workspace.config_path).returncode == 0
        claim = store.claim("busy-worker")
        assert claim is not None
        running = store.get_job(claim.job_id)
        assert running is not None
        from vidvar.engine.sinks import StatusSink

        Path(running.job_dir).mkdir(parents=True)
        StatusSink(store).write(running.id)
        keeper = Retention(config, store)
        assert keeper.purge() == (0, 0)  # nothing is old yet
        assert keeper.purge(now=time.time() + 8 * 86400) == (1, 1)
        remaining = [p.name for p in workspace.job_dirs()]
        assert remaining == [Path(running.job_dir).name]
        assert not (workspace.archive / "old.mp4").exists()
    finally:
        store.close()


def test_below_the_free_space_threshold_no_job_starts_and_status_says_why(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.data["retention"] = {"min_free_gb": 10**9}
    workspace.data["worker"]["concurrency"] = 2
    workspace.write()
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "waits.mp4")
    wait_for(lambda: daemon.saw("queued"), what="the file to be queued")

    def paused() -> list[dict[str, object]]:
        data = json.loads(run_cli("status", "--json", config=workspace.config_path).stdout)
        return [w for w in data["workers"] if w.get("paused")]

    # Every worker of the daemon (worker.concurrency) holds back alike.
    workers = wait_for(lambda: len(paused()) == 2 and paused(), timeout=30, what="the pause")
    assert all("low disk space" in str(w["paused"]) for w in workers)
    table = run_cli("status", config=workspace.config_path).stdout
    # Said once for the daemon, not once per worker; free space once per folder.
    assert table.count("paused: low disk space") == 1
    assert table.count("free disk: ") == 1 and str(workspace.output) in table
    assert (
        json.loads(run_cli("status", "--json", config=workspace.config_path).stdout)["queue_depth"]
        == 1
    )
    assert not daemon.saw("job started")
