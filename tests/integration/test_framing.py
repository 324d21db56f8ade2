"""Framing on the subject: a real face (the astronaut photo scikit-image ships) moves
across a textured background with a cut in the middle, and every placement crop of
every variation keeps the whole subject in view, through each variation's own zoom,
turn, mirror and speed. A clip with no face and nothing moving gets centred crops
and a note. Real ffmpeg, real OpenCV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import ClipFactory
from tests.support.pipeline_harness import Harness
from tests.support.subject import STRIP, make_subject_clip, read_rgb_frames, whole_subject_in
from vidvar.engine.placements import crop_window

pytestmark = pytest.mark.integration


def outputs_of(harness: Harness) -> list[dict]:
    (folder,) = harness.ws.job_dirs()
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "completed", status["files"][0]["error"]
    return [dict(o, file=folder / o["path"]) for o in status["files"][0]["outputs"]]


def test_every_crop_keeps_the_moving_face_whole_across_a_cut(harness: Harness) -> None:
    harness.ws.write(formats=["source", "9:16", "4:5"], variations=3)
    harness.reload()
    clip = make_subject_clip(harness.ws.root / "subject.mp4")
    source = harness.ws.inbox / "subject.mp4"
    clip.path.rename(source)
    harness.enqueue(source)
    assert harness.run_next() == "completed"
    side = clip.box_at(0)[2] - clip.box_at(0)[0]
    placed = [o for o in outputs_of(harness) if o["format"] != "source"]
    assert len(placed) == 6
    for output in placed:
        assert output["framing"] == "tracked"
        frames, height = read_rgb_frames(output["file"], fps=5)
        strip = STRIP * side * (height / clip.size[1]) ** 2
        missed = [k for k, f in enumerate(frames) if not whole_subject_in(f, strip)]
        inside = 1 - len(missed) / len(frames)
        assert inside >= 0.9, f"{output['path']}: the subject cut in frames {missed} (at 5 fps)"

    # The same test fails for a centred crop: the subject crosses the whole picture.
    width, _height = clip.size
    window, _ = crop_window(clip.size, 9 / 16)
    left = (width - window) / 2
    moments = [k / 5 for k in range(int(clip.seconds * 5))]
    centred = sum(
        left <= clip.box_at(t)[0] and clip.box_at(t)[2] <= left + window for t in moments
    ) / len(moments)
    assert centred < 0.5


def test_nothing_salient_gets_a_centre_crop_and_a_note(
    harness: Harness, clips: ClipFactory
) -> None:
    harness.ws.write(formats=["9:16"], variations=1)
    harness.reload()
    still = clips.make(
        harness.ws.inbox / "still.mp4",
        seconds=2,
        size="640x360",
        rate=25,
        extra=("-vf", "geq=lum='64+X/8':cb=128:cr=128"),
    )
    harness.enqueue(still)
    assert harness.run_next() == "completed"
    (output,) = outputs_of(harness)
    assert output["format"] == "9:16" and output["framing"] == "centre"
    assert Path(output["path"]).name == "still_var01_9x16.mp4"
    (folder,) = harness.ws.job_dirs()
    status = json.loads((folder / "status.json").read_text())
    assert (
        "no face or movement was found, so the crops are centred" in status["files"][0]["warning"]
    )
