"""Cheaper effects that look the same: a zoom alone as crop + scale, turns nobody can
see folded into the crop, grain as a still pattern."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.common import video_ssim
from tests.support import ClipFactory
from vidvar import effects
from vidvar.effects import Picture
from vidvar.effects.graph import look_filters
from vidvar.engine.render import picture
from vidvar.ffmpeg.probe import probe

ZOOM = {"zoom": 1.06, "zoom_x": 0.2, "zoom_y": 0.8}


def lossless(source: Path, graph: str, out: Path) -> Path:
    """`graph` (-vf) applied to `source`, kept lossless so that only the filters differ."""
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-nostdin", "-y", "-i", str(source), "-an"),
            *("-vf", graph, "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", str(out)),
        ],
        check=True,
    )
    return out


# -- geometry ---------------------------------------------------------------------------


def test_a_zoom_alone_is_a_crop_and_a_scale_and_a_visible_turn_is_perspective() -> None:
    frame = Picture(16 / 9, (1280, 720))
    zoom_only = ",".join(look_filters(ZOOM, frame))
    assert zoom_only.startswith("crop=") and "scale=1280:720" in zoom_only
    assert "perspective" not in zoom_only
    turned = ",".join(look_filters({**ZOOM, "rotation": 0.004}, frame))
    assert "perspective" in turned and "crop" not in turned
    # 0.0005 rad moves a 1280x720 frame's corners by 0.37 px: folded into the crop.
    faint = ",".join(look_filters({**ZOOM, "rotation": 0.0005}, frame))
    assert faint == zoom_only
    # The same turn on a 4K frame moves its corners 1.1 px: drawn.
    assert "perspective" in ",".join(
        look_filters({**ZOOM, "rotation": 0.0005}, Picture(16 / 9, (3840, 2160)))
    )
    # Without the exact size (non-square source pixels) perspective does the zoom too.
    assert "perspective" in ",".join(look_filters(ZOOM, Picture(16 / 9, None)))


@pytest.mark.parametrize(
    ("size", "params"),
    [
        ("640x360", ZOOM),
        ("322x242", {"zoom": 1.08, "zoom_x": 1.0, "zoom_y": 0.0}),  # a corner, odd halves
        ("640x360", {"zoom": 1.03, "zoom_x": 0.5, "zoom_y": 0.5}),
    ],
)
def test_crop_and_scale_look_like_the_perspective_pass_they_replace(
    size: str, params: dict[str, Any], clips: ClipFactory, tmp_path: Path
) -> None:
    source = clips.make(tmp_path / "clip.mp4", seconds=1, size=size, audio=False)
    info = probe(source)
    exact = ",".join([*look_filters(params, picture(info)), "format=yuv420p"])
    old = ",".join([*look_filters(params, Picture(info.aspect, None)), "format=yuv420p"])
    assert "crop" in exact and "perspective" in old
    new_out = lossless(source, exact, tmp_path / "new.mp4")
    old_out = lossless(source, old, tmp_path / "old.mp4")
    assert (probe(new_out).width, probe(new_out).height) == (info.width, info.height)
    # The window lands on whole, even pixels instead of fractions of one: the pictures
    # differ less than the old one differs from itself moved by one pixel.
    moved = {**params, "zoom_x": params["zoom_x"] + (-1 if params["zoom_x"] > 0.5 else 1) / 8}
    nudge = ",".join([*look_filters(moved, Picture(info.aspect, None)), "format=yuv420p"])
    shifted = lossless(source, nudge, tmp_path / "shifted.mp4")
    assert video_ssim(new_out, old_out) > video_ssim(old_out, shifted)


def test_still_grain_is_seeded_and_the_same_on_every_frame() -> None:
    def frames(params: dict[str, Any]) -> list[bytes]:
        [grain] = effects.look_filters(params, Picture(4 / 3, (320, 240)))
        assert grain.startswith("noise=") and "allf=t" not in grain
        raw = subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi"),
                *("-i", "color=c=0x808080:size=320x240:rate=25:duration=1"),
                *("-vf", f"format=yuv420p,{grain},format=gray", "-f", "rawvideo", "-"),
            ],
            capture_output=True,
            check=True,
        ).stdout
        return [raw[i : i + 320 * 240] for i in range(0, len(raw), 320 * 240)]

    grain = frames({"grain": 4, "grain_seed": 99})
    assert len(grain) == 25 and len(set(grain)) == 1  # one pattern, held still
    assert len(set(grain[0])) > 2  # and there is grain on the flat gray
    assert frames({"grain": 4, "grain_seed": 99}) == grain  # seeded
    assert frames({"grain": 4, "grain_seed": 100})[0] != grain[0]
