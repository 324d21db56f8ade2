"""Placement formats: every variation also in 9:16, 1:1, 4:5 (or 16:9), from one decode,
named `<stem>_varNN_9x16.mp4`, with their size, fit and framing in status.json. Real
ffmpeg on generated clips."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support import ClipFactory, Workspace, run_cli
from tests.support.pipeline_harness import Harness
from vidvar.ffmpeg.probe import probe
from vidvar.inbox.intake import batch_settings, folder_signature, make_job, source_key
from vidvar.quality.preview import moments
from vidvar.web.app import create_app

pytestmark = pytest.mark.integration


def probe_picture(path: Path) -> tuple[int, int]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    )
    width, height = done.stdout.strip().split(",")
    return int(width), int(height)


def status_of(harness: Harness) -> dict:
    (folder,) = harness.ws.job_dirs()
    return json.loads((folder / "status.json").read_text())


def test_each_variation_comes_in_every_format_asked_for(
    harness: Harness, clips: ClipFactory
) -> None:
    harness.ws.write(
        formats=[
            "source",
            "9:16",
            {"aspect": "1:1", "height": 360},
            {"aspect": "4:5", "fit": "pad"},
        ]
    )
    harness.reload()
    source = clips.make(harness.ws.inbox / "clip.mp4", seconds=2, size="640x360", rate=25)
    harness.enqueue(source)
    assert harness.run_next() == "completed", status_of(harness)["files"][0]["error"]
    (folder,) = harness.ws.job_dirs()
    names = sorted(p.name for p in folder.glob("*.mp4"))
    assert names == sorted(
        f"clip_var0{v}{suffix}.mp4" for v in (1, 2) for suffix in ("", "_9x16", "_1x1", "_4x5")
    )
    sizes = {name: (probe(folder / name).width, probe(folder / name).height) for name in names}
    assert sizes["clip_var01.mp4"] == (640, 360)
    # 9:16 from 360 rows is 202x360; 1080x1920 would enlarge it 5.3 times: held to 2x.
    assert sizes["clip_var01_9x16.mp4"] == (404, 720)
    assert sizes["clip_var01_1x1.mp4"] == (360, 360)
    assert sizes["clip_var02_4x5.mp4"] == (1080, 1350)  # the whole picture enlarged 1.7x
    status = status_of(harness)
    outputs = status["files"][0]["outputs"]
    by_name = {Path(o["path"]).name: o for o in outputs}
    assert by_name["clip_var01_9x16.mp4"]["format"] == "9:16"
    assert by_name["clip_var01_9x16.mp4"]["width"] == 404
    assert by_name["clip_var01_9x16.mp4"]["fit"] == "crop"
    assert by_name["clip_var01_9x16.mp4"]["framing"] in ("tracked", "centre")
    assert by_name["clip_var01_4x5.mp4"]["fit"] == "pad"
    assert by_name["clip_var01.mp4"]["format"] == "source"
    assert "not enlarged more than 2x" in status["files"][0]["warning"]
    # The preview sheet: a row per moment and format (source, 9:16, 1:1, 4:5).
    sheet = probe_picture(folder / "preview.jpg")
    assert sheet == (256 * 3, 144 * len(moments(2.0)) * 4)
    # The page: a tab per format; the manifest and a review name the format.
    app = create_app(harness.config, harness.store, host="127.0.0.1")
    web = TestClient(app, base_url="http://127.0.0.1")
    job_id = status["job_id"]
    page = web.get(f"/jobs/{job_id}").text
    assert page.count('role="tab"') == 4 and page.count("<video controls") == 8
    assert "9:16 · 404x720" in page
    rows = list(csv.DictReader(io.StringIO(web.get(f"/api/jobs/{job_id}/manifest.csv").text)))
    assert sorted({r["format"] for r in rows}) == ["1:1", "4:5", "9:16", "source"]
    review = {"file": "clip.mp4", "variation": 2, "format": "9:16", "verdict": "approved"}
    assert web.post(f"/api/jobs/{job_id}/review", json=review).status_code == 200
    verdicts = {
        (o["variation"], o["format"]): o["verdict"]
        for o in status_of(harness)["files"][0]["outputs"]
    }
    assert verdicts[(2, "9:16")] == "approved" and verdicts[(2, "source")] is None


@pytest.fixture
def on_disk(workspace: Workspace) -> Iterator[Harness]:
    made = Harness(workspace)  # the workspace's SQLite file, shared with the CLI
    yield made
    made.close()


def test_a_batch_vidvar_yaml_sets_formats_and_hdr(on_disk: Harness, clips: ClipFactory) -> None:
    folder = on_disk.ws.inbox / "camp"
    clips.make(folder / "a.mp4", seconds=1, size="320x240")
    (folder / "vidvar.yaml").write_text('formats: ["9:16", "1:1"]\nhdr: keep\n')
    watch = on_disk.config.watches[0]
    settings = batch_settings(folder, on_disk.config)
    assert settings.problem is None
    signature = folder_signature(folder)
    new = make_job(
        watch, folder, [folder / "a.mp4"], source_key(watch.name, signature), settings=settings
    )
    on_disk.store.enqueue(new)
    assert on_disk.run_next() == "completed"
    (job_dir,) = on_disk.ws.job_dirs()
    assert sorted(p.name for p in job_dir.glob("*.mp4")) == [
        "a_var01_1x1.mp4",
        "a_var01_9x16.mp4",
        "a_var02_1x1.mp4",
        "a_var02_9x16.mp4",
    ]
    job = on_disk.store.list_jobs()[0]
    assert job.placement is not None and job.placement["hdr"] == "keep"


def test_a_batch_vidvar_yaml_with_an_unknown_aspect_fails_the_batch_with_the_key(
    on_disk: Harness, clips: ClipFactory
) -> None:
    folder = on_disk.ws.inbox / "camp"
    clips.make(folder / "a.mp4")
    (folder / "vidvar.yaml").write_text('formats: ["9:16", "3:2"]\n')
    settings = batch_settings(folder, on_disk.config)
    assert settings.problem is not None
    assert "formats[1]" in settings.problem and "unknown aspect '3:2'" in settings.problem


def test_enqueue_formats_from_the_command_line(on_disk: Harness, clips: ClipFactory) -> None:
    source = clips.make(on_disk.ws.root / "elsewhere" / "ad one.mp4", seconds=1, size="320x240")
    refused = run_cli(
        "enqueue", str(source), "--formats", "9:16,2:3", config=on_disk.ws.config_path
    )
    assert refused.returncode == 2 and "--formats: [1]: unknown aspect '2:3'" in refused.stderr
    done = run_cli("enqueue", str(source), "--formats", "source,4:5", config=on_disk.ws.config_path)
    assert done.returncode == 0, done.stderr
    assert on_disk.run_next() == "completed"
    (job_dir,) = on_disk.ws.job_dirs()
    assert sorted(p.name for p in job_dir.glob("*.mp4")) == [
        "ad one_var01.mp4",
        "ad one_var01_4x5.mp4",
        "ad one_var02.mp4",
        "ad one_var02_4x5.mp4",
    ]
    # The same file with other shapes is another job; the same shapes again is not.
    again = run_cli(
        "enqueue", str(source), "--formats", "source,4:5", config=on_disk.ws.config_path
    )
    other = run_cli("enqueue", str(source), "--formats", "9:16", config=on_disk.ws.config_path)
    assert "already" in again.stdout and other.stdout.startswith("queued")
