"""Preview sheets and measured distinctness of every variation."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon import figures as fig
from tests.conftest import ClipFactory, DaemonProcess, Workspace, wait_for

TINY = {
    "min_distance": 0.05,
    "effects": {
        "brightness": {"range": [0.0, 0.004]},
        "contrast": {"range": [1.0, 1.004]},
        "saturation": {"range": [1.0, 1.004]},
        "gamma": {"range": [1.0, 1.004]},
    },
}


def image_size(path: Path) -> tuple[int, int]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=width,height",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    stream = json.loads(out.stdout)["streams"][0]
    return int(stream["width"]), int(stream["height"])


def completed(output: Path, count: int = 1) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]] | None:
        statuses = []
        for path in output.glob("*/status.json"):
            status = json.loads(path.read_text())
            if status["state"] in ("completed", "failed"):
                statuses.append(status)
        return statuses if len(statuses) >= count else None

    return list(wait_for(done, timeout=120, what=f"{count} finished job(s)"))


def test_phash_and_ssim_basics() -> None:
    flat = bytes([128]) * 64 * 64
    ramp = bytes((x * 4) % 256 for _y in range(64) for x in range(64))
    assert fig.hamming(fig.phash(ramp), fig.phash(ramp)) == 0
    assert fig.ssim(ramp, ramp) == 1.0
    assert fig.ssim(ramp, flat) < 0.5


def test_preview_grid_for_two_files_of_three_variations(
    workspace: Workspace,
    clips: ClipFactory,
    tmp_path: Path,
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    workspace.write(variations=3)
    staging = tmp_path / "staging" / "pair"
    clips.make(staging / "one.mp4")
    clips.make(staging / "two.mp4", size="120x160")  # portrait: letterboxed in its cell
    daemon_factory(workspace.config_path)
    staging.rename(workspace.inbox / "pair")
    [status] = completed(workspace.output)
    assert status["state"] == "completed"
    [folder] = workspace.job_dirs()
    # 1 source + 3 variations across; 2 files x 2 moments down; 256x144 cells.
    assert image_size(folder / "preview.jpg") == (4 * 256, 4 * 144)
    assert (folder / "preview.jpg").stat().st_size < 500_000
    for record in status["files"]:
        summary = record["figures"]
        assert set(summary) >= {"min_pairwise_distance", "max_source_distance", "min_ssim"}
        for output in record["outputs"]:
            figures = output["figures"]
            assert 0 <= figures["source_distance"] <= 64 and -1 <= figures["ssim"] <= 1
            assert figures["nearest_variation_distance"] is not None


def test_figures_respond_to_the_profile(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    second = workspace.root / "tiny" / "inbox"
    second.mkdir(parents=True)
    workspace.data["profiles"] = {"tiny": TINY}
    workspace.data["distinctness"] = {"min_distance": 0, "max_source_distance": 0}
    workspace.data["watch"].append(
        {
            "name": "tiny",
            "inbox": "tiny/inbox",
            "output": "tiny/output",
            "profile": "tiny",
            "variations": 2,
            "settle_seconds": 0.3,
            "observer": "native",
        }
    )
    workspace.write(variations=2)
    daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4", seconds=2, size="320x240", rate=25)
    clips.make(second / "clip.mp4", seconds=2, size="320x240", rate=25)
    [default] = completed(workspace.output)
    [tiny] = completed(workspace.root / "tiny" / "output")
    default_figs = [o["figures"] for o in default["files"][0]["outputs"]]
    tiny_figs = [o["figures"] for o in tiny["files"][0]["outputs"]]
    assert max(f["source_distance"] for f in tiny_figs) < min(
        f["source_distance"] for f in default_figs
    )
    assert min(f["ssim"] for f in tiny_figs) > max(f["ssim"] for f in default_figs)


def test_unreachable_min_distance_replans_then_warns(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.data["profiles"] = {"tiny": TINY}
    workspace.data["distinctness"] = {"min_distance": 40, "replans": 2}
    workspace.write(profile="tiny", variations=2)
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4")
    [status] = completed(workspace.output)
    record = status["files"][0]
    assert status["state"] == "completed" and record["state"] == "completed"
    assert "after 2 re-plan(s)" in record["warning"] and "min_distance 40" in record["warning"]
    assert record["figures"]["replans"] == 2
    assert (
        sum(1 for e in daemon.events() if e["event"] == "re-planning variations out of bounds") == 2
    )
    assert len(record["outputs"]) == 2


def test_a_preview_failure_does_not_fail_the_job(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.data["encoders"] = {"default": {"preset": "veryslow"}}
    workspace.write()
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4", seconds=8, size="320x240", rate=25)
    folder = wait_for(lambda: next(iter(workspace.job_dirs()), None), what="the job folder")
    (folder / "preview.jpg").mkdir()  # the sheet cannot be written there
    [status] = completed(workspace.output)
    assert status["state"] == "completed"
    assert status["files"][0]["completed_variations"] == 2
    assert daemon.saw("could not write the preview sheet")
    assert not list(folder.glob("*.vidvar-tmp"))
