"""HDR phone footage (HEVC 10-bit, HLG or PQ, BT.2020) comes out as SDR BT.709, tone-
mapped, and tagged so: never 8-bit frames still tagged as HDR, which players show
washed out. Real ffmpeg on clips tagged as a phone tags them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ClipFactory, Workspace
from tests.support.pipeline_harness import Harness
from vidvar.ffmpeg.probe import probe

pytestmark = pytest.mark.integration


@pytest.fixture
def harness(workspace: Workspace) -> Iterator[Harness]:
    made = Harness(workspace, database=":memory:")
    yield made
    made.close()


def phone_clip(clips: ClipFactory, dest: Path, transfer: str) -> Path:
    return clips.make(
        dest,
        seconds=2,
        size="320x240",
        rate=25,
        extra=(
            *("-c:v", "libx265", "-pix_fmt", "yuv420p10le", "-x265-params", "log-level=error"),
            *("-color_primaries", "bt2020", "-color_trc", transfer, "-colorspace", "bt2020nc"),
            *("-tag:v", "hvc1"),
        ),
    )


def stream(path: Path) -> dict[str, str]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json", path],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, str] = json.loads(done.stdout)["streams"][0]
    return found


@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084"])
def test_hdr_footage_is_tone_mapped_to_sdr_bt709(
    harness: Harness, clips: ClipFactory, transfer: str
) -> None:
    source = phone_clip(clips, harness.ws.inbox / "phone.mp4", transfer)
    info = probe(source)
    assert info.hdr and info.color_transfer == transfer and info.pix_fmt == "yuv420p10le"
    harness.enqueue(source)
    assert harness.run_next() == "completed"
    [status] = harness.ws.statuses()
    [folder] = harness.ws.job_dirs()
    outputs = [folder / o["path"] for o in status["files"][0]["outputs"]]
    assert len(outputs) == harness.ws.data["watch"][0]["variations"]
    for output in outputs:
        found = stream(output)
        assert found["codec_name"] == "h264" and found["pix_fmt"] == "yuv420p"
        assert (found.get("color_transfer"), found.get("color_primaries")) == ("bt709", "bt709")
        assert found.get("color_space") == "bt709"
    assert status["files"][0]["figures"]["min_ssim"] > 0  # measured on the mapped frames


def test_sdr_footage_is_left_as_it_was_tagged(harness: Harness, clips: ClipFactory) -> None:
    source = clips.make(harness.ws.inbox / "plain.mp4", seconds=1)
    assert not probe(source).hdr
    harness.enqueue(source)
    assert harness.run_next() == "completed"
    [folder] = harness.ws.job_dirs()
    output = next(folder.glob("*_var01.mp4"))
    assert stream(output).get("color_transfer") in (None, "unknown")
