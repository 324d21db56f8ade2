"""Feedback while work runs: progress from the first second for long videos, states people
understand, log lines, systemd STATUS=, `status --follow`, webhooks and on_finish."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bench.common import pids_with
from tests.support import (
    REPO,
    VIDVAR,
    ClipFactory,
    DaemonProcess,
    Workspace,
    job_states,
    rows,
    run_cli,
    wait_for,
    wait_job,
)

pytestmark = pytest.mark.e2e


def watch_status(ws: Workspace, stop: threading.Event, seen: list[tuple[float, Any]]) -> None:
    """Record (time, status document) every time status.json changes."""
    last = None
    while not stop.is_set():
        for path in ws.output.glob("*/status.json") if ws.output.exists() else []:
            try:
                text = path.read_text()
            except OSError:
                continue
            if text != last:
                last = text
                seen.append((time.monotonic(), json.loads(text)))
        time.sleep(0.05)


def test_a_ten_minute_video_progresses_from_the_start_and_completes(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.data["worker"]["stall_seconds"] = 30  # the default profile: measuring and preview on
    workspace.write()
    source = clips.make(workspace.root / "long.mp4", seconds=600, size="160x120", rate=10)
    daemon = daemon_factory(workspace.config_path)
    seen: list[tuple[float, Any]] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_status, args=(workspace, stop, seen), daemon=True)
    watcher.start()
    source.rename(workspace.inbox / "long.mp4")
    wait_job(workspace, "completed", timeout=300)
    stop.set()
    watcher.join(timeout=5)
    [final] = workspace.statuses()  # what wait_job saw, whether or not the thread did
    if seen[-1][1] != final:
        seen.append((time.monotonic(), final))
    files = [(t, doc["files"][0], doc) for t, doc in seen]
    began = next(t for t, f, _d in files if f["state"] == "processing")
    first = next(t for t, f, _d in files if f["progress"] > 0)
    done = next(t for t, f, _d in files if f["state"] == "completed")
    progress = [f["progress"] for _t, f, _d in files]
    assert progress == sorted(progress), "progress went backwards"
    # status.json is rewritten at most every half second, so how many values a poll sees
    # depends on the machine's speed; a steady stream of them is what counts.
    assert len({p for p in progress if 0 < p < 100}) >= 8
    assert first - began <= 0.1 * (done - began), "the first progress came late"
    assert all(f["state"] == "completed" for _t, f, _d in files if f["progress"] == 100)
    assert any(f["speed"] and f["eta_seconds"] is not None for _t, f, _d in files)
    assert any(d["phase"] == "verifying" for _t, _f, d in files)
    assert not daemon.saw("file failed")
    events = daemon.events()
    lines = [e for e in events if e.get("event") == "progress"]
    assert len(lines) >= 9 and all("speed" in e and "eta_seconds" in e for e in lines)
    [summary] = [e for e in events if e.get("event") == "file completed"]
    assert summary["outputs"] == 2 and summary["bytes"] > 0
    assert summary["seconds"] > 0 and summary["cpu_seconds"] > 0 and summary["realtime"] > 1
    assert daemon.saw("file seen; waiting for it to settle") and daemon.saw("queued")


def test_status_shows_a_settling_file_at_once_then_its_states(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.write(settle_seconds=30)
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="ready")
    done = run_cli("enqueue", "--sample", config=workspace.config_path)
    assert done.returncode == 0, done.stderr

    def settling() -> str | None:
        out = run_cli("status", config=workspace.config_path).stdout
        return out if "settling (1)" in out else None

    out = wait_for(settling, timeout=20, what="the settling file in vidvar status")
    assert "counts as complete in" in out and "vidvar-sample-" in out
    data = json.loads(run_cli("status", "--json", config=workspace.config_path).stdout)
    assert data["settling"][0]["settles_in"] > 0


def test_status_follow_json_emits_a_job_s_transitions_in_order(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.data["encoders"] = {"default": {"preset": "veryslow"}}
    workspace.write(settle_seconds=1)
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="ready")
    follower = subprocess.Popen(
        [*VIDVAR, "status", "--follow", "--json", "-c", str(workspace.config_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert follower.stdout is not None
    clips.make(workspace.inbox / "clip.mp4", seconds=4, size="320x240", rate=25)
    changes: list[dict[str, Any]] = []
    for line in follower.stdout:
        changes.append(json.loads(line))
        if changes[-1].get("state") == "completed":
            break
    follower.send_signal(signal.SIGINT)
    assert follower.wait(timeout=10) == 0
    assert changes[0]["type"] == "settling" and changes[0]["name"] == "clip.mp4"
    states = [c["state"] for c in changes if c["type"] == "job"]
    assert states[0] == "queued" and states[-1] == "completed"
    assert "processing" in states
    compressed = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    assert compressed == ["queued", "processing", "completed"]
    progress = [c["progress"] for c in changes if c["type"] == "job"]
    assert progress == sorted(progress)
    phases = [c["phase"] for c in changes if c["type"] == "job" and c["phase"]]
    assert "encoding" in phases and phases.index("encoding") < len(phases) - 1


def test_systemd_status_names_the_job_its_progress_and_the_queue(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(60)
    workspace.data["encoders"] = {"default": {"preset": "veryslow"}}
    workspace.write()
    daemon_factory(workspace.config_path, env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock")})
    clips.make(workspace.inbox / "clip.mp4", seconds=6, size="320x240", rate=25)
    statuses: list[str] = []
    while not any(s.startswith("watching ads") for s in statuses[1:]):
        for field in sock.recv(4096).decode().split("\n"):
            if field.startswith("STATUS="):
                statuses.append(field[len("STATUS=") :])
    sock.close()
    encoding = [s for s in statuses if s.startswith("encoding clip.mp4 (job ")]
    assert encoding and all(s.endswith("0 queued") for s in encoding)
    assert any("%, " in s and "x, ETA " in s for s in encoding)
    assert statuses[-1] == "watching ads; 0 queued"


# --- notifications ---------------------------------------------------------------------------


class Hooks:
    """A real HTTP server on 127.0.0.1 that records what reaches each path."""

    def __init__(self) -> None:
        self.received: dict[str, list[tuple[dict[str, str], bytes]]] = {}
        self.failures_left = {"/flaky": 2}
        self.release = threading.Event()
        self.lock = threading.Lock()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with hooks.lock:
                    hooks.received.setdefault(self.path, []).append((dict(self.headers), body))
                    failing = hooks.failures_left.get(self.path, 0)
                    if failing:
                        hooks.failures_left[self.path] = failing - 1
                if self.path == "/stuck":
                    hooks.release.wait(60)  # answers only when the test says so
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return list(self.received.get(path, []))

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    server = Hooks()
    yield server
    server.close()


def test_webhooks_and_on_finish_tell_of_each_job_without_holding_up_the_next(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    hooks: Hooks,
    tmp_path: Path,
) -> None:
    record = tmp_path / "on_finish.jsonl"
    script = tmp_path / "after-job.py"
    script.write_text(
        "import json, os, sys\n"
        f"with open({str(record)!r}, 'a') as f:\n"
        "    f.write(json.dumps({k: v for k, v in os.environ.items() if k.startswith('VIDVAR_')}"
        " | {'args': sys.argv[1:]}) + '\\n')\n"
    )
    retry = {"retry_seconds": 0.2, "timeout_seconds": 30}
    workspace.data["notify"] = {
        "webhooks": [
            {"url": f"{hooks.url}/signed", "secret": "s3cret"},
            {"url": f"{hooks.url}/flaky", **retry},
            {"url": f"{hooks.url}/stuck", **retry},
            {"url": f"{hooks.url}/chat", "format": "slack", "events": ["failed"]},
        ],
        "on_finish": [sys.executable, str(script), "--flag"],
    }
    workspace.write()
    daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "first.mp4")
    wait_for(lambda: hooks.bodies("/stuck"), what="the first job's stuck webhook")
    # The stuck endpoint still holds the first delivery: the next job runs all the same.
    clips.make(workspace.inbox / "second.mp4")
    (workspace.inbox / "broken.mp4").write_bytes(b"not a video " * 40)
    wait_for(lambda: len(job_states(workspace.db)) == 3, what="three jobs")
    wait_for(
        lambda: sorted(job_states(workspace.db).values()) == ["completed", "completed", "failed"],
        timeout=120,
        what="all three jobs to end",
    )
    assert not hooks.release.is_set()
    hooks.release.set()
    wait_for(lambda: len(hooks.bodies("/signed")) == 3, what="three signed deliveries")
    for headers, body in hooks.bodies("/signed"):
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Vidvar-Signature"] == expected
        document = json.loads(body)
        assert document["state"] in ("completed", "failed") and document["files"]
        assert (
            headers["X-Vidvar-Event"]
            == {"completed": "finished", "failed": "failed"}[document["state"]]
        )
    # The flaky endpoint answered 500 twice: those deliveries were tried again.
    wait_for(lambda: len(hooks.bodies("/flaky")) == 5, what="two retries at the flaky hook")
    [(_h, chat)] = wait_for(lambda: hooks.bodies("/chat"), what="the chat message")
    assert "broken.mp4" in json.loads(chat)["text"] and "failed" in json.loads(chat)["text"]
    # on_finish runs beside the worker too: wait for its third call, then check them all.
    lines = wait_for(
        lambda: (
            (ls := record.read_text().splitlines() if record.exists() else [])
            and len(ls) == 3
            and ls
        ),
        what="three on_finish calls",
    )
    calls = [json.loads(line) for line in lines]
    assert sorted(c["VIDVAR_JOB_STATE"] for c in calls) == ["completed", "completed", "failed"]
    for call in calls:
        assert call["args"] == ["--flag"]
        assert Path(call["VIDVAR_STATUS_FILE"]).exists()
        assert call["VIDVAR_JOB_ID"] in call["VIDVAR_JOB_DIR"]


def test_a_cancelled_job_says_so_at_once(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.data["encoders"] = {"default": {"preset": "veryslow"}}
    workspace.write()
    daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4", seconds=8, size="320x240", rate=25)
    row = wait_for(
        lambda: next(iter(rows(workspace.db, "SELECT * FROM files WHERE progress > 0")), None),
        what="an encode in progress",
    )
    assert run_cli("cancel", row["job_id"], config=workspace.config_path).returncode == 0
    doc = json.loads(
        run_cli("status", row["job_id"], "--json", config=workspace.config_path).stdout
    )
    assert doc["state"] == "cancelled" or doc["phase"] == "cancelling"


def test_a_stop_never_waits_for_a_dribbling_webhook_or_a_long_on_finish(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    connected = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def dribble() -> None:  # the status line, then one byte every second, for minutes
        conn, _ = listener.accept()
        connected.set()
        with contextlib.suppress(OSError):
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(300):
                conn.sendall(b"X")
                time.sleep(1)
        conn.close()

    threading.Thread(target=dribble, daemon=True).start()
    marker = str(tmp_path / "on-finish-marker")
    port = listener.getsockname()[1]
    workspace.data["notify"] = {
        "webhooks": [{"url": f"http://127.0.0.1:{port}/hook", "timeout_seconds": 300}],
        "on_finish": [sys.executable, "-c", "import time; time.sleep(600)", marker],
    }
    workspace.write()
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4")
    wait_for(connected.is_set, what="the webhook delivery to start")
    command = wait_for(lambda: [p for p in pids_with(marker)], what="the on_finish command to run")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0  # the old code waited for both, minutes
    assert daemon.saw("stopped cleanly") and daemon.saw(
        "stopping an on_finish command still running"
    )
    wait_for(lambda: not pids_with(marker), what="the on_finish command to end")
    assert command
    listener.close()


def test_apprise_tells_a_local_json_endpoint_beside_the_webhooks(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    hooks: Hooks,
) -> None:
    port = hooks.url.rsplit(":", 1)[1]
    workspace.data["notify"] = {
        "webhooks": [{"url": f"{hooks.url}/hook"}],
        "apprise": [f"json://127.0.0.1:{port}/apprise"],
    }
    workspace.write()
    checked = run_cli("check-config", "--json", config=workspace.config_path)
    assert json.loads(checked.stdout)["notify"]["apprise"] == ["json://***"]
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4")
    [(_headers, body)] = wait_for(lambda: hooks.bodies("/apprise"), what="Apprise's message")
    sent = json.loads(body)
    assert sent["title"] == "vidvar: a job finished" and sent["type"] == "success"
    assert "clip.mp4" in sent["message"] and "completed: 2 variation(s)" in sent["message"]
    wait_for(lambda: hooks.bodies("/hook"), what="the webhook beside it")
    wait_for(lambda: daemon.saw("apprise delivered"), what="the log line")


def test_an_apprise_url_it_does_not_know_is_a_config_error(workspace: Workspace) -> None:
    workspace.data["notify"] = {"apprise": ["nosuchservice://token"]}
    workspace.write()
    checked = run_cli("check-config", config=workspace.config_path)
    assert checked.returncode == 78
    assert "notify.apprise[0]: Apprise does not understand this URL" in checked.stderr
