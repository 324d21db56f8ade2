"""The web app at the HTTP level: the real app, a real store (SQLite and PostgreSQL),
real outputs from a real job. API shapes, sign-in off this machine, CSRF, paths that
try to leave the job folder, the ZIP, uploads streamed into the inbox."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.support import ClipFactory, Workspace, free_port, run_cli, wait_for
from tests.support.pipeline_harness import Harness
from vidvar.config import load_config
from vidvar.web.app import create_app
from vidvar.web.security import hash_password, new_token
from vidvar.web.server import make_server

pytestmark = pytest.mark.integration
LOCAL = "http://127.0.0.1:8765"


@pytest.fixture
def done_job(workspace: Workspace, clips: ClipFactory, store_url: str) -> Iterator[Harness]:
    """A job run to its end in-process, on the store adapter under test."""
    workspace.data["database"] = store_url
    workspace.write()
    harness = Harness(workspace)
    harness.enqueue(clips.make(workspace.inbox / "clip.mp4"))
    assert harness.run_next() == "completed"
    yield harness
    harness.close()


def client(harness: Harness, *, host: str = "127.0.0.1", **web: Any) -> TestClient:
    if web:
        harness.ws.data["web"] = web
        harness.ws.write()
        harness.reload()
    app = create_app(harness.config, harness.store, host=host)
    return TestClient(app, base_url=LOCAL if host == "127.0.0.1" else f"http://{host}:8765")


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_api_shapes_and_a_zip_of_exactly_the_outputs(done_job: Harness) -> None:
    web = client(done_job)
    listed = web.get("/api/jobs").json()
    [job] = listed["jobs"]
    assert {"job_id", "state", "phase", "progress", "name", "eta_seconds"} <= set(job) | {
        "eta_seconds"
    }
    assert job["state"] == "completed" and job["progress"] == 100 and job["name"] == "clip.mp4"
    document = web.get(f"/api/jobs/{job['job_id']}").json()
    assert document == json.loads(Path(job["job_dir"], "status.json").read_text())
    answer = web.get(f"/api/jobs/{job['job_id']}/zip")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    outputs = {
        o["path"]: Path(job["job_dir"], o["path"]).read_bytes()
        for o in document["files"][0]["outputs"]
    }
    assert sorted(archive.namelist()) == sorted([*outputs, "manifest.csv"])
    assert all(md5(archive.read(n)) == md5(data) for n, data in outputs.items())
    first = document["files"][0]["outputs"][0]["path"]
    assert web.get(f"/api/jobs/{job['job_id']}/files/{first}").content == outputs[first]
    preview = web.get(f"/api/jobs/{job['job_id']}/files/preview.jpg")
    assert preview.status_code == 200 and preview.content[:2] == b"\xff\xd8"
    health = web.get("/api/health").json()
    assert health["queue_depth"] == 0 and health["config"]["watch"][0]["name"] == "ads"
    for page in ("/", f"/jobs/{job['job_id']}", "/upload", "/health"):
        shown = web.get(page)
        assert shown.status_code == 200 and "/static/app.js" in shown.text
        assert "default-src 'self'" in shown.headers["content-security-policy"]
        assert shown.headers["x-frame-options"] == "DENY"


def test_the_health_page_shows_webhook_urls_without_their_secrets(done_job: Harness) -> None:
    # The Health page prints /api/health's config as it comes, so this is what it shows.
    secrets = ("pa55w0rd", "abc123", "XXXXXXXXXXXXXXXXXXXXXXXX")
    done_job.ws.data["notify"] = {
        "webhooks": [{"url": "https://team:pa55w0rd@hooks.example/in?token=abc123"}]
    }
    done_job.ws.data["watch"][0]["notify"] = {
        "webhooks": [{"url": "https://hooks.slack.com/services/T0001/B0002/" + secrets[2]}]
    }
    done_job.ws.write()
    done_job.reload()
    answer = client(done_job).get("/api/health")
    assert answer.status_code == 200
    assert "hooks.example" in answer.text and "hooks.slack.com/services" in answer.text
    assert [s for s in secrets if s in answer.text] == []


@pytest.mark.parametrize(
    "path",
    [
        "files/../../vidvar.yaml",
        "files/..%2f..%2fvidvar.yaml",
        "files/%2e%2e/%2e%2e/vidvar.yaml",
        "files//etc/passwd",
        "files/status.json",  # in the folder, but not an output vidvar recorded
    ],
)
def test_paths_that_leave_the_outputs_are_refused(done_job: Harness, path: str) -> None:
    web = client(done_job)
    [job] = web.get("/api/jobs").json()["jobs"]
    assert web.get(f"/api/jobs/{job['job_id']}/{path}").status_code == 404
    assert web.get("/api/jobs/..%2f..%2fetc/zip").status_code == 404


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_job_folder_swapped_for_a_link_serves_nothing(done_job: Harness, tmp_path: Path) -> None:
    web = client(done_job)
    [job] = web.get("/api/jobs").json()["jobs"]
    folder = Path(job["job_dir"])
    elsewhere = tmp_path / "elsewhere"
    folder.rename(elsewhere)
    folder.symlink_to(elsewhere)
    [output] = [p.name for p in elsewhere.glob("*_var01.mp4")]
    assert web.get(f"/api/jobs/{job['job_id']}/files/{output}").status_code == 404
    zipped = zipfile.ZipFile(io.BytesIO(web.get(f"/api/jobs/{job['job_id']}/zip").content))
    assert zipped.namelist() == ["manifest.csv"]  # the store's list; no file through the link


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_off_this_machine_a_password_or_token_is_needed_and_csrf_is_checked(
    done_job: Harness,
) -> None:
    token, digest = new_token()
    web = client(
        done_job, host="0.0.0.0", password_hash=hash_password("correct horse"), api_tokens=[digest]
    )
    assert web.get("/api/jobs").status_code == 401
    page = web.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    wrong = web.post("/login", data={"password": "nope"}, follow_redirects=False)
    assert wrong.status_code == 200 and "not the one configured" in wrong.text
    right = web.post("/login?next=/", data={"password": "correct horse"}, follow_redirects=False)
    assert right.status_code == 303 and "httponly" in right.headers["set-cookie"].lower()
    [job] = web.get("/api/jobs").json()["jobs"]
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', web.get("/").text)
    assert csrf is not None
    assert web.post(f"/api/jobs/{job['job_id']}/retry").status_code == 403  # no CSRF token
    answer = web.post(f"/api/jobs/{job['job_id']}/retry", headers={"X-CSRF-Token": csrf.group(1)})
    assert answer.status_code == 409  # accepted, and refused on its merits: nothing failed
    scripted = client(
        done_job, host="0.0.0.0", password_hash=hash_password("x" * 9), api_tokens=[digest]
    )
    assert (
        scripted.get("/api/jobs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    assert scripted.get("/api/jobs", headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_cross_site_requests_and_foreign_hosts_are_refused(done_job: Harness) -> None:
    web = client(done_job)
    [job] = web.get("/api/jobs").json()["jobs"]
    cancel = f"/api/jobs/{job['job_id']}/cancel"
    assert web.post(cancel, headers={"Origin": "http://evil.example"}).status_code == 403
    assert web.post(cancel, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert web.post(cancel, headers={"Origin": "null"}).status_code == 403
    # DNS rebinding: a page of another name that resolves to this machine.
    assert web.get("/api/jobs", headers={"Host": "evil.example:8765"}).status_code == 421
    assert web.post(cancel, headers={"Origin": LOCAL}).status_code == 409  # same origin: heard


def test_listening_beyond_this_machine_without_a_password_is_refused(workspace: Workspace) -> None:
    done = run_cli("web", "--host", "0.0.0.0", config=workspace.config_path)
    assert done.returncode == 78 and "web.password_hash" in done.stderr


# --- uploads --------------------------------------------------------------------------------


@pytest.fixture
def server(workspace: Workspace) -> Iterator[tuple[str, Workspace]]:
    """The app on a real uvicorn server (uploads stream through a real socket)."""
    from vidvar.store import open_store

    config = load_config(workspace.config_path)
    store = open_store(config.database)
    port = free_port()
    running = make_server(config, store, "127.0.0.1", port)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    wait_for(lambda: running.started, what="the web server")
    yield f"http://127.0.0.1:{port}", workspace
    running.should_exit = True
    thread.join(timeout=10)
    store.close()


def _multipart(
    boundary: str, fields: dict[str, str], name: str, data: bytes
) -> tuple[bytes, bytes]:
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    return head + data[: len(data) // 2], data[
        len(data) // 2 :
    ] + f"\r\n--{boundary}--\r\n".encode()


def test_an_upload_streams_into_the_inbox_under_a_hidden_name_first(
    server: tuple[str, Workspace], clips: ClipFactory
) -> None:
    url, ws = server
    clip = clips.make(ws.root / "clip.mp4").read_bytes()
    first, rest = _multipart("XyZ", {"watch": "ads"}, "my clip.mp4", clip)
    seen: dict[str, Any] = {}

    def body() -> Iterator[bytes]:
        yield first
        # Half the file is in: it sits in a hidden folder, invisible to the watcher.
        hidden = wait_for(
            lambda: [p for p in ws.inbox.iterdir() if p.name.startswith(".")], what="temp"
        )
        seen["during"] = sorted(p.name for p in ws.inbox.iterdir())
        seen["hidden"] = hidden
        yield rest

    answer = httpx.post(
        f"{url}/api/uploads",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    assert placed.pop("upload_id") and placed == {
        "watch": "ads",
        "kind": "file",
        "placed": ["my clip.mp4"],
    }
    assert all(name.startswith(".vidvar-upload-") for name in seen["during"])
    assert (ws.inbox / "my clip.mp4").read_bytes() == clip  # never outside the inbox
    assert sorted(p.name for p in ws.inbox.iterdir()) == ["my clip.mp4"]
    assert (ws.inbox / "my clip.mp4").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_several_files_with_a_variation_count_make_one_batch_and_bad_uploads_leave_nothing(
    server: tuple[str, Workspace], clips: ClipFactory
) -> None:
    url, ws = server
    clip = clips.make(ws.root / "clip.mp4")
    with clip.open("rb") as a, clip.open("rb") as b:
        answer = httpx.post(
            f"{url}/api/uploads",
            data={"watch": "ads", "variations": "3"},
            files=[("files", ("campaign/a.mp4", a)), ("files", ("campaign/sub/b.mp4", b))],
            timeout=60,
        )
    assert answer.status_code == 201, answer.text
    assert answer.json()["placed"] == ["campaign"]
    assert (ws.inbox / "campaign" / "vidvar.yaml").read_text() == "variations: 3\n"
    assert (ws.inbox / "campaign" / "sub" / "b.mp4").exists()
    refused = httpx.post(
        f"{url}/api/uploads", files=[("files", ("notes.txt", b"hello"))], timeout=30
    )
    assert refused.status_code == 400 and "not a video" in refused.json()["error"]
    with clip.open("rb") as c:
        climbing = httpx.post(
            f"{url}/api/uploads", files=[("files", ("../../../.evil.mp4", c))], timeout=30
        )
    assert climbing.json()["placed"] == ["evil.mp4"]  # one name, in the inbox, not hidden
    assert sorted(p.name for p in ws.inbox.iterdir()) == ["campaign", "evil.mp4"]


def test_an_upload_asks_for_formats_and_a_wrong_one_is_refused(
    server: tuple[str, Workspace], clips: ClipFactory
) -> None:
    url, ws = server
    clip = clips.make(ws.root / "clip.mp4")

    def upload(name: str, formats: str) -> httpx.Response:
        with clip.open("rb") as handle:
            return httpx.post(
                f"{url}/api/uploads",
                data={"watch": "ads", "formats": formats},
                files=[("files", (name, handle))],
                timeout=60,
            )

    answer = upload("ad.mp4", "9:16,1:1")
    assert answer.status_code == 201, answer.text
    assert answer.json()["placed"] == ["ad"]  # a folder, carrying the formats asked for
    assert (ws.inbox / "ad" / "vidvar.yaml").read_text() == 'formats: ["9:16", "1:1"]\n'
    refused = upload("other.mp4", "9:16,5:4")
    assert refused.status_code == 400 and "unknown aspect '5:4'" in refused.json()["error"]
    assert not (ws.inbox / "other.mp4").exists() and not (ws.inbox / "other").exists()


def _raw_upload(url: str, *dispositions: bytes, data: bytes = b"video") -> httpx.Response:
    """A multipart body whose file parts carry these Content-Disposition values as bytes,
    as browsers send them (raw UTF-8 in `filename`, or RFC 5987 `filename*`)."""
    body = b"".join(
        b"--XyZ\r\nContent-Disposition: " + d + b"\r\nContent-Type: video/mp4\r\n\r\n" + data
        + b"\r\n"
        for d in dispositions
    )  # fmt: skip
    return httpx.post(
        f"{url}/api/uploads",
        content=body + b"--XyZ--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("disposition", "placed"),
    [
        ('form-data; name="files"; filename="日本語.mp4"'.encode(), "日本語.mp4"),
        ('form-data; name="files"; filename="🎬 clip.mp4"'.encode(), "🎬 clip.mp4"),
        (b'form-data; name="files"; filename="\xff.mp4"', "\ufffd.mp4"),
        (
            b'form-data; name="files"; filename="x.mp4"; filename*=UTF-8\'\'%E5%BA%83%E5%91%8A.mp4',
            "広告.mp4",
        ),
    ],
)
def test_any_unicode_upload_name_works(
    server: tuple[str, Workspace], disposition: bytes, placed: str
) -> None:
    url, ws = server
    answer = _raw_upload(url, disposition)
    assert answer.status_code == 201, answer.text
    assert answer.json()["placed"] == [placed]
    assert sorted(p.name for p in ws.inbox.iterdir()) == [placed]


@pytest.mark.parametrize("name", ["@eaDir/x.mp4", "~$x.mp4", "#recycle/a.mp4", "x.mp4.part"])
def test_a_name_the_watcher_would_ignore_is_refused_and_leaves_nothing(
    server: tuple[str, Workspace], name: str
) -> None:
    url, ws = server
    first = b'form-data; name="files"; filename="first.mp4"'
    answer = _raw_upload(url, first, f'form-data; name="files"; filename="{name}"'.encode())
    assert answer.status_code in (400, 415), answer.text
    assert "error" in answer.json()
    assert list(ws.inbox.iterdir()) == []  # the first file's partial copy is gone too


def test_an_upload_over_the_size_limit_is_refused_and_removed(
    workspace: Workspace, clips: ClipFactory
) -> None:
    workspace.data["web"] = {"max_upload_mb": 0.01}
    workspace.write()
    from vidvar.store import open_store

    config = load_config(workspace.config_path)
    store = open_store(config.database)
    try:
        web = TestClient(create_app(config, store, host="127.0.0.1"), base_url=LOCAL)
        with clips.make(workspace.root / "clip.mp4").open("rb") as handle:
            answer = web.post("/api/uploads", files=[("files", ("clip.mp4", handle))])
        assert answer.status_code == 413
        assert list(workspace.inbox.iterdir()) == []
    finally:
        store.close()


# --- a batch's own vidvar.yaml ------------------------------------------------------------------


@pytest.mark.e2e
def test_a_batch_folder_s_vidvar_yaml_sets_its_variations_and_a_bad_one_fails_it(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Any, tmp_path: Path
) -> None:
    good = tmp_path / "staging" / "good"
    clips.make(good / "a.mp4")
    (good / "vidvar.yaml").write_text("variations: 3\n")
    bad = tmp_path / "staging" / "bad"
    clips.make(bad / "b.mp4")
    (bad / "vidvar.yaml").write_text("variations: 0\ncolour: red\n")
    daemon_factory(workspace.config_path)
    good.rename(workspace.inbox / "good")
    bad.rename(workspace.inbox / "bad")
    statuses = wait_for(
        lambda: (
            (s := workspace.statuses())
            and len(s) == 2
            and all(x["state"] in ("completed", "failed") for x in s)
            and s
        ),
        timeout=120,
        what="both batches to end",
    )
    by_state = {s["state"]: s for s in statuses}
    assert by_state["completed"]["variations_per_file"] == 3
    assert len(by_state["completed"]["files"][0]["outputs"]) == 3
    error = by_state["failed"]["files"][0]["error"]
    assert "vidvar.yaml is not usable" in error and "colour" in error
    assert (workspace.failed / "bad" / "b.mp4.error.txt").exists()
    wait_for(lambda: not (workspace.inbox / "bad").exists(), what="the batch folder to go")
    assert (workspace.failed / "bad" / "vidvar.yaml").exists()  # it went with its batch
    assert (workspace.archive / "good" / "vidvar.yaml").exists()


@pytest.mark.e2e
def test_run_serves_the_page_too_with_web_with_run(
    workspace: Workspace, daemon_factory: Any
) -> None:
    port = free_port()
    workspace.data["web"] = {"with_run": True, "port": port}
    workspace.write()
    daemon = daemon_factory(workspace.config_path)

    def answers() -> httpx.Response | None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/jobs", timeout=5)
        except httpx.TransportError:
            return None

    answer = wait_for(answers, timeout=30, what="the page beside vidvar run")
    assert answer.status_code == 200 and answer.json()["workers"]
    daemon.signal(15)
    assert daemon.wait(timeout=30) == 0


def test_metrics_parse_open_to_this_machine_and_signed_in_elsewhere(done_job: Harness) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    token, digest = new_token()
    web = client(done_job, host="0.0.0.0", password_hash=hash_password("s3cret-pass"))
    web.headers.pop("authorization", None)
    assert web.get("/metrics").status_code == 401
    answer = web.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401  # the token is not configured yet
    done_job.ws.data["web"]["api_tokens"] = [digest]
    web = client(done_job, host="0.0.0.0", **done_job.ws.data["web"])
    answer = web.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    done_job.store.register_worker("nas:1:abcdef", "nas", 1)
    local = TestClient(
        create_app(done_job.config, done_job.store, host="0.0.0.0"),
        base_url="http://127.0.0.1:8765",
        client=("127.0.0.1", 40000),
    )
    scraped = local.get("/metrics")
    assert scraped.status_code == 200 and "vidvar_jobs" in scraped.text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scraped.text)
        for s in family.samples
    }
    assert samples[("vidvar_jobs", (("state", "completed"),))] == 1
    assert samples[("vidvar_jobs", (("state", "queued"),))] == 0
    assert samples[("vidvar_files", (("state", "completed"),))] == 1
    assert samples[("vidvar_queue_depth", ())] == 0
    variations = done_job.ws.data["watch"][0]["variations"]
    assert samples[("vidvar_variations_total", ())] == variations
    assert samples[("vidvar_encode_seconds_total", ())] > 0
    free = [v for (name, labels), v in samples.items() if name == "vidvar_free_disk_bytes"]
    assert free and all(v > 0 for v in free)
    beat = ("vidvar_worker_heartbeat_age_seconds", (("host", "nas"), ("worker", "nas:1:abcdef")))
    assert 0 <= samples[beat] < 60
    assert all(name.startswith("vidvar_") for name, _labels in samples)


def test_every_error_is_json_with_its_status_and_a_bad_parameter_is_a_400(
    done_job: Harness,
) -> None:
    web = client(done_job)
    for path, status in (
        ("/api/jobs?limit=abc", 400),
        ("/api/jobs?limit=-3", 400),
        ("/api/nope", 404),
        ("/api/jobs/zzzz", 404),
        ("/api/jobs/0123456789ab/zip", 404),
    ):
        answer = web.get(path)
        assert answer.status_code == status, path
        assert answer.headers["content-type"] == "application/json", path
        assert answer.json()["error"], path
    wrong_method = web.delete("/api/jobs")
    assert wrong_method.status_code == 405 and "method" in wrong_method.json()["error"]
    page = web.get("/jobs/zzzz")
    assert page.status_code == 404 and "No such job" in page.text
    assert web.get("/no/such/page").status_code == 404
    [row] = web.get("/api/jobs").json()["jobs"]
    assert {"speed", "eta_seconds"} <= set(row)


def test_review_approves_variations_and_the_approved_zip_holds_them_with_a_manifest(
    done_job: Harness,
) -> None:
    web = client(done_job)
    [job] = web.get("/api/jobs").json()["jobs"]
    base = f"/api/jobs/{job['job_id']}"
    document = web.get(base).json()
    [clip] = document["files"]
    assert all(o["verdict"] is None for o in clip["outputs"])
    assert web.get(f"{base}/zip?verdict=approved").status_code == 404  # none approved yet
    first, second = clip["outputs"][0], clip["outputs"][1]
    for output in (first, second):
        answer = web.post(
            f"{base}/review",
            json={"file": "clip.mp4", "variation": output["variation"], "verdict": "approved"},
        )
        assert answer.status_code == 200 and answer.json()["verdict"] == "approved"
    rejected = {"file": "clip.mp4", "variation": first["variation"], "verdict": "rejected"}
    assert web.post(f"{base}/review", json=rejected).status_code == 200
    assert web.post(f"{base}/review", json={**rejected, "verdict": "approved"}).status_code == 200
    on_disk = json.loads(Path(job["job_dir"], "status.json").read_text())
    verdicts = [o["verdict"] for o in on_disk["files"][0]["outputs"]]
    assert verdicts[:2] == ["approved", "approved"] and set(verdicts[2:]) <= {None}
    for wrong, status in (
        ({"file": "clip.mp4", "variation": 99, "verdict": "approved"}, 404),
        ({"file": "other.mp4", "variation": 1, "verdict": "approved"}, 404),
        ({"file": "clip.mp4", "variation": 1, "verdict": "maybe"}, 400),
        ({"file": "clip.mp4", "variation": "1", "verdict": "approved"}, 400),
    ):
        answer = web.post(f"{base}/review", json=wrong)
        assert answer.status_code == status and answer.json()["error"], wrong
    archive = zipfile.ZipFile(io.BytesIO(web.get(f"{base}/zip?verdict=approved").content))
    assert sorted(archive.namelist()) == sorted([first["path"], second["path"], "manifest.csv"])
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [r["path"] for r in rows] == [first["path"], second["path"]]
    assert {r["verdict"] for r in rows} == {"approved"} and all(r["effects"] for r in rows)
    assert rows[0]["file"] == "clip.mp4" and int(rows[0]["size"]) == first["size"]
    chosen = web.get(f"{base}/zip?outputs={second['path']}")
    assert zipfile.ZipFile(io.BytesIO(chosen.content)).namelist() == [
        "manifest.csv",
        second["path"],
    ]
    assert web.get(f"{base}/zip?outputs=nope.mp4").status_code == 400
    listed = web.get(f"{base}/manifest.csv")
    assert listed.headers["content-type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(listed.text)))) == len(clip["outputs"])


def test_outputs_are_served_in_ranges_so_a_player_can_seek(done_job: Harness) -> None:
    web = client(done_job)
    [job] = web.get("/api/jobs").json()["jobs"]
    [clip] = web.get(f"/api/jobs/{job['job_id']}").json()["files"]
    path = clip["outputs"][0]["path"]
    whole = Path(job["job_dir"], path).read_bytes()
    url = f"/api/jobs/{job['job_id']}/files/{path}"
    full = web.get(url)
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    assert full.content == whole and int(full.headers["content-length"]) == len(whole)
    for asked, (start, end) in (
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, len(whole) - 1)),
        ("bytes=-50", (len(whole) - 50, len(whole) - 1)),
        (f"bytes=10-{len(whole) + 1000}", (10, len(whole) - 1)),
    ):
        part = web.get(url, headers={"Range": asked})
        assert part.status_code == 206, asked
        assert part.content == whole[start : end + 1], asked
        assert part.headers["content-range"] == f"bytes {start}-{end}/{len(whole)}", asked
    beyond = web.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(whole)}"
    assert beyond.json()["error"]


def test_the_openapi_document_validates_and_names_every_api_route(done_job: Harness) -> None:
    from openapi_spec_validator import validate
    from starlette.routing import Route

    web = client(done_job)
    document = web.get("/api/openapi.json").json()
    validate(document)
    app = create_app(done_job.config, done_job.store, host="127.0.0.1")
    routes: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/"):
            methods = {m.lower() for m in route.methods or ()} - {"head"}
            routes.setdefault(route.path.replace("{path:path}", "{path}"), set()).update(methods)
    documented = {path: set(ops) for path, ops in document["paths"].items()}
    assert documented == routes


def test_the_footer_links_a_page_that_lists_every_api_operation(done_job: Harness) -> None:
    web = client(done_job)
    assert 'href="/api">API</a>' in web.get("/").text
    page = web.get("/api")
    assert page.status_code == 200
    for path in web.get("/api/openapi.json").json()["paths"]:
        assert f"<code>{path}</code>" in page.text


def test_the_first_paint_holds_the_jobs_by_name_without_javascript(done_job: Harness) -> None:
    web = client(done_job)
    queue = web.get("/").text
    [job] = web.get("/api/jobs").json()["jobs"]
    assert ">clip.mp4</a>" in queue and "Loading" not in queue
    assert f"/api/jobs/{job['job_id']}/thumb.jpg" in queue
    assert "1 worker" in queue or "No daemon is running" in queue
    page = web.get(f"/jobs/{job['job_id']}").text
    assert "<h1>clip.mp4</h1>" in page and "Loading" not in page
    assert '<button id="cancel" type="button" disabled>' in page  # it ended: nothing to cancel
    assert page.count("<video controls") == done_job.ws.data["watch"][0]["variations"]
    assert "aria-pressed" in page and "Compare with the source" in page
    assert re.search(r"zoomed|turned|faster|slower|brighter|darker|contrast|colour|mid-tones", page)
    assert "output/clip-" in page and str(done_job.ws.root) not in page  # no server path
    thumb = web.get(f"/api/jobs/{job['job_id']}/thumb.jpg")
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
    source = web.get(
        f"/api/jobs/{job['job_id']}/source?file=clip.mp4", headers={"Range": "bytes=0-9"}
    )
    assert source.status_code == 206 and len(source.content) == 10


def test_history_searches_by_name_filters_by_state_and_pages(
    workspace: Workspace, store: Any
) -> None:
    from tests.support import new_job
    from vidvar.store import State

    for n in range(120):
        store.enqueue(new_job(f"spot-{n:03d}.mp4" if n % 2 else f"promo-{n:03d}.mp4"))
    harness_config = load_config(workspace.config_path)
    web = TestClient(create_app(harness_config, store, host="127.0.0.1"), base_url=LOCAL)
    found = web.get("/?q=promo-01").text
    assert "promo-010.mp4" in found and "spot-011.mp4" not in found
    assert 'History <span class="muted">(5)</span>' in found  # promo-010 … promo-018
    assert "No job matches." in web.get("/?state=completed").text
    first = web.get("/").text
    assert "page 1 of 3" in first and 'href="?page=2"' in first
    third = web.get("/?page=3").text
    assert "page 3 of 3" in third and third.count("<tr data-job-id") == 100 + 20
    assert State.QUEUED in third


def test_a_verdict_shows_in_vidvar_status_too(done_job: Harness) -> None:
    web = client(done_job)
    [job] = web.get("/api/jobs").json()["jobs"]
    review = {"file": "clip.mp4", "variation": 1, "verdict": "approved"}
    assert web.post(f"/api/jobs/{job['job_id']}/review", json=review).status_code == 200
    shown = run_cli("status", job["job_id"], config=done_job.ws.config_path).stdout
    [line] = [line for line in shown.splitlines() if "_var01" in line]
    assert line.rstrip().endswith("approved")
    page = web.get(f"/jobs/{job['job_id']}").text
    assert 'id="copy-path"' in page and 'id="share-path">output/clip-' in page
