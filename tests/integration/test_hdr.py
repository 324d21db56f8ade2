"""HDR phone footage (HEVC 10-bit, HLG or PQ, BT.2020) comes out as SDR BT.709, tone-
mapped, and tagged so: never 8-bit frames still tagged as HDR, which players show
washed out. Real ffmpeg on clips tagged as a phone tags them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support import ClipFactory
from tests.support.pipeline_harness import Harness
from vidvar.ffmpeg.probe import probe

pytestmark = pytest.mark.integration


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


def test_untagged_sdr_footage_gives_outputs_tagged_bt709(
    harness: Harness, clips: ClipFactory
) -> None:
    source = clips.make(harness.ws.inbox / "plain.mp4", seconds=1)
    assert not probe(source).hdr and stream(source).get("color_transfer") in (None, "unknown")
    harness.enqueue(source)
    assert harness.run_next() == "completed"
    [folder] = harness.ws.job_dirs()
    output = next(folder.glob("*_var01.mp4"))
    assert stream(output).get("color_transfer") == "bt709"


def mean_yuv(path: Path, chain: str = "null") -> tuple[float, float, float]:
    """Mean Y, U and V of the first frame after `chain`, as 8-bit values."""
    done = subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1"),
            *("-vf", f"{chain},scale=64:48,format=yuv444p", "-f", "rawvideo", "-"),
        ],
        capture_output=True,
        check=True,
    )
    plane = len(done.stdout) // 3
    return tuple(  # type: ignore[return-value]
        sum(done.stdout[i * plane : (i + 1) * plane]) / plane for i in range(3)
    )


def test_a_mapped_frame_matches_ffmpeg_s_own_tonemap_and_not_the_raw_frame(
    harness: Harness, clips: ClipFactory
) -> None:
    from vidvar.ffmpeg.colour import tonemap_chain

    source = phone_clip(clips, harness.ws.root / "hlg.mp4", "arib-std-b67")
    reference = mean_yuv(source, tonemap_chain(probe(source)))
    raw = mean_yuv(source)
    # vidvar's own render of the same frame, with no effect drawn (a neutral profile).
    harness.ws.data["profiles"] = {
        "none": {"min_distance": 0, "effects": {"volume": {"range": [1, 1]}}}
    }
    harness.ws.write(profile="none", variations=1)
    harness.reload()
    harness.enqueue(source.rename(harness.ws.inbox / "hlg.mp4"))
    assert harness.run_next() == "completed"
    [folder] = harness.ws.job_dirs()
    mapped = mean_yuv(next(folder.glob("*_var01.mp4")))
    near = max(abs(a - b) for a, b in zip(mapped, reference, strict=True))
    far = max(abs(a - b) for a, b in zip(raw, reference, strict=True))
    assert near < 3 < far, (mapped, reference, raw)


def test_hdr_keep_gives_hevc_main10_with_the_source_s_transfer(
    harness: Harness, clips: ClipFactory
) -> None:
    harness.ws.write(hdr="keep", formats=["source", "9:16"])
    harness.reload()
    source = phone_clip(clips, harness.ws.inbox / "phone.mp4", "arib-std-b67")
    harness.enqueue(source)
    assert harness.run_next() == "completed"
    [status] = harness.ws.statuses()
    [folder] = harness.ws.job_dirs()
    outputs = [folder / o["path"] for o in status["files"][0]["outputs"]]
    assert len(outputs) == 2 * harness.ws.data["watch"][0]["variations"]
    for output in outputs:
        found = stream(output)
        assert found["codec_name"] == "hevc" and found["profile"] == "Main 10"
        assert found["pix_fmt"] == "yuv420p10le"
        assert found.get("color_transfer") == "arib-std-b67"
        assert (found.get("color_primaries"), found.get("color_space")) == ("bt2020", "bt2020nc")
    assert "tone-mapped" not in (status["files"][0]["warning"] or "")


def test_tone_mapping_is_said_in_the_file_s_warning(harness: Harness, clips: ClipFactory) -> None:
    source = phone_clip(clips, harness.ws.inbox / "phone.mp4", "smpte2084")
    harness.enqueue(source)
    assert harness.run_next() == "completed"
    [status] = harness.ws.statuses()
    assert "HDR (PQ) was tone-mapped to SDR BT.709" in status["files"][0]["warning"]
