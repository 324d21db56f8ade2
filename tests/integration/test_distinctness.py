"""Preview sheets and measured distinctness of every variation."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import TINY, ClipFactory, DaemonProcess, Workspace, wait_for
from vidvar.ffmpeg.frames import PreviewCell, make_preview
from vidvar.ffmpeg.stills import preview_args
from vidvar.quality import figures as fig


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


def rgb_picture(path: Path, *filters: str, seek: float | None = None) -> bytes:
    """One frame of `path` (at `seek`), filtered, as raw RGB (so JPEG's full range and
    video's limited range compare alike)."""
    args = ["ffmpeg", "-v", "error", "-nostdin"]
    if seek is not None:
        args += ["-ss", f"{seek:.3f}"]
    args += ["-i", str(path), "-frames:v", "1", "-vf", ",".join([*filters, "format=rgb24"])]
    args += ["-f", "rawvideo", "-"]
    return subprocess.run(args, capture_output=True, check=True).stdout


def mean_difference(a: bytes, b: bytes) -> float:
    assert len(a) == len(b) and a
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def test_preview_cells_show_the_source_at_its_moments(
    workspace: Workspace,
    clips: ClipFactory,
    tmp_path: Path,
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    workspace.write(variations=2)
    reference = clips.make(tmp_path / "clip.mp4", seconds=3, size="320x240", rate=25)
    daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4", seconds=3, size="320x240", rate=25)
    [status] = completed(workspace.output)
    assert status["state"] == "completed"
    [folder] = workspace.job_dirs()
    sheet = folder / "preview.jpg"
    assert image_size(sheet) == (3 * 256, 2 * 144)
    # The source column (left): the 4:3 picture (192 wide) in each cell's top half,
    # clear of the pads at the sides and of the label at the bottom.
    cells = [rgb_picture(sheet, f"crop=192:72:32:{row * 144}") for row in range(2)]
    fit = "scale=256:144:force_original_aspect_ratio=decrease,pad=256:144:(ow-iw)/2:(oh-ih)/2"
    candidates = (0.5, 1.0, 1.5, 2.0, 2.5)
    frames = {t: rgb_picture(reference, fit, "crop=192:72:32:0", seek=t) for t in candidates}
    for cell, moment in zip(cells, (1.0, 2.0), strict=True):  # a 3 s clip: at 1/3 and 2/3
        nearest = min(candidates, key=lambda t: mean_difference(cell, frames[t]))
        assert nearest == moment
        assert mean_difference(cell, frames[moment]) < 6
    assert not list(folder.glob(".vidvar-thumbs*")), "the thumbnails outlive the job"


def test_figures_respond_to_the_profile(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    second = workspace.root / "tiny" / "inbox"
    second.mkdir(parents=True)
    workspace.data["profiles"] = {"tiny": TINY}
    workspace.data["distinctness"] = {"min_sibling_distance": 0, "max_source_distance": 0}
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


def test_unreachable_min_distance_is_said_before_encoding_and_warned_about(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    workspace.data["profiles"] = {"tiny": TINY}
    workspace.data["distinctness"] = {"min_sibling_distance": 40, "replans": 2}
    workspace.write(profile="tiny", variations=2)
    daemon = daemon_factory(workspace.config_path)
    clips.make(workspace.inbox / "clip.mp4")
    [status] = completed(workspace.output)
    record = status["files"][0]
    assert status["state"] == "completed" and record["state"] == "completed"
    assert "min_sibling_distance 40" in record["warning"]
    assert record["figures"]["replans"] == 0
    names = [e["event"] for e in daemon.events()]
    said = names.index(
        "the effects profile cannot keep every variation within the distinctness bounds; "
        "encoding the closest plan found"
    )
    assert said < names.index("ffmpeg started")  # before the encode
    [auditioned] = [e for e in daemon.events() if e["event"] == "variations auditioned"]
    assert auditioned["replaced"] > 0 and auditioned["cpu_seconds"] > 0
    assert "re-planning variations out of bounds" not in names
    assert names.count("ffmpeg started") == 1
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


def test_a_sheet_without_pictures_still_renders(tmp_path: Path) -> None:
    # Thumbnails lost (a job finished by an older release, a wiped folder): black cells.
    cells = [PreviewCell(None, "clip @ 1.0s"), PreviewCell(None, "v1 no effect")]
    make_preview(cells, 2, tmp_path / "sheet.jpg")
    assert image_size(tmp_path / "sheet.jpg") == (2 * 256, 144)


def test_labels_are_drawn_exactly_as_named(tmp_path: Path) -> None:
    label = "it's: $(x), [a];b \\ 100% ünï 動画"
    make_preview([PreviewCell(None, label)], 1, tmp_path / "escaped.jpg")
    # The same sheet with the label read from a file, where no escaping applies.
    (tmp_path / "label.txt").write_text(label)
    args = preview_args(["X"], 1, tmp_path / "from-file.jpg")
    at = args.index("-vf") + 1
    args[at] = args[at].replace("text=X:", f"textfile={tmp_path / 'label.txt'}:")
    black = bytes([16]) * 256 * 144 + bytes([128]) * 256 * 72
    subprocess.run(args, input=black, check=True, capture_output=True)
    escaped, from_file = (rgb_picture(tmp_path / n) for n in ("escaped.jpg", "from-file.jpg"))
    assert escaped == from_file
    plain = tmp_path / "plain.jpg"
    make_preview([PreviewCell(None, "its x a b 100 uni")], 1, plain)
    assert rgb_picture(plain) != escaped  # the comparison can tell labels apart
