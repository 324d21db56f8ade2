"""The variation engine: effects planning, probing, encoding, verification, the runner."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support import ClipFactory, wait_for
from tests.support.media import ffprobe_streams, md5, set_rotation
from vidvar import effects
from vidvar.config import EffectSpec, EffectsProfile, EncoderProfile, default_effects_profile
from vidvar.engine.render import picture
from vidvar.errors import CancelledError, FfmpegError, InputError, PlanError, StalledError
from vidvar.ffmpeg.commands import OutputSpec, encode_args
from vidvar.ffmpeg.probe import MediaInfo, probe, verify_output, verify_outputs
from vidvar.ffmpeg.runner import Runner
from vidvar.ffmpeg.tools import input_url

ENCODER = EncoderProfile(name="test", preset="ultrafast", crf=30)


def render(
    source: Path,
    out_dir: Path,
    count: int = 3,
    seed: int = 7,
    profile: EffectsProfile | None = None,
    encoder: EncoderProfile = ENCODER,
    progress: list[float] | None = None,
) -> list[tuple[Path, MediaInfo, effects.Variation]]:
    """probe → plan → one fan-out ffmpeg → verify, as the processor does it."""
    info = probe(source)
    plan = effects.plan_variations(profile or default_effects_profile(), count, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = [
        OutputSpec(
            path=out_dir / f"v{v.index}.mp4",
            video_graph=lambda a, b, p=v.params: effects.video_graph(
                p, picture(info), a, b, encoder.fps
            ),
            audio_chain=effects.audio_chain(v.params) if info.has_audio else None,
        )
        for v in plan
    ]
    expected = info.duration / min(v.speed for v in plan)
    with Runner().start(encode_args(input_url(source), info, specs, encoder)) as run:
        while not run.wait(0.1):
            if progress is not None:
                progress.append(min(99.0, 100 * run.progress.out_seconds / expected))
    if progress is not None:
        progress.append(100.0)
    return [
        (
            s.path,
            verify_output(
                s.path, expect_audio=info.has_audio, expected_seconds=info.duration / v.speed
            ),
            v,
        )
        for s, v in zip(specs, plan, strict=True)
    ]


# --- effects ---------------------------------------------------------------------


def test_plan_is_seeded_unique_and_spread() -> None:
    profile = default_effects_profile()
    plan = effects.plan_variations(profile, 8, base_seed=123)
    assert plan == effects.plan_variations(profile, 8, base_seed=123)
    assert [v.index for v in plan] == list(range(1, 9))
    for i, a in enumerate(plan):
        assert effects.params_for_seed(profile, a.seed) == a.params  # the seed re-renders it
        for b in plan[i + 1 :]:
            assert a.params != b.params
            assert effects.distance(profile, a.params, b.params) >= profile.min_distance


def test_default_profile_keeps_the_original_ranges() -> None:
    params = [effects.params_for_seed(default_effects_profile(), s) for s in range(1, 300)]
    assert all(0.001 <= abs(p["rotation"]) <= 0.01 for p in params)
    assert all(-0.05 <= p["brightness"] <= 0.05 for p in params)
    assert all(0.95 <= p["contrast"] <= 1.05 and 0.95 <= p["saturation"] <= 1.05 for p in params)
    assert not any(p.get("mirror") for p in params)  # off by default


def test_profile_that_cannot_give_enough_variations_fails_before_encoding() -> None:
    tiny = EffectsProfile(
        name="tiny", min_distance=0.5, effects=(EffectSpec("hue", 1.0, -1.0, 1.0),)
    )
    with pytest.raises(PlanError, match="cannot give 20 variations"):
        effects.plan_variations(tiny, 20, 1)
    flat = EffectsProfile(
        name="flat", min_distance=0.0, effects=(EffectSpec("hue", 1.0, 2.0, 2.0),)
    )
    with pytest.raises(PlanError):
        effects.plan_variations(flat, 2, 1)


# --- encoding the quirks users send ---------------------------------------------------


QUIRKS: dict[str, dict[str, Any]] = {
    "plain": {},
    "odd size": {"size": "161x121"},
    "no audio": {"audio": False},
    "non-square pixels": {"extra": ("-vf", "setsar=4/3")},
    "10-bit": {"extra": ("-pix_fmt", "yuv420p10le")},
    "4:4:4": {"extra": ("-pix_fmt", "yuv444p")},
    "variable frame rate": {
        "extra": ("-vf", "select='not(eq(mod(n\\,4)\\,1))'", "-fps_mode", "vfr")
    },
    "under a second": {"seconds": 0.4},
    "matroska": {"dest": "clip.mkv"},
}


@pytest.mark.parametrize("quirk", list(QUIRKS))
def test_outputs_have_the_contract_properties(
    quirk: str, clips: ClipFactory, tmp_path: Path
) -> None:
    opts = dict(QUIRKS[quirk])
    source = clips.make(tmp_path / opts.pop("dest", "clip.mp4"), **opts)
    source_info = probe(source)
    results = render(source, tmp_path / "out")
    hashes = {md5(source)}
    for path, info, variation in results:
        assert info.video_codec == "h264" and info.pix_fmt == "yuv420p"
        assert info.width % 2 == 0 and info.height % 2 == 0
        assert info.has_audio == source_info.has_audio
        assert abs(info.width - source_info.width) <= 2 and info.rotation == 0
        data = path.read_bytes()
        assert b"x264 - core" not in data and b"Lavf" not in data  # version tags stripped
        assert "creation_time" not in ffprobe_streams(path)  # source metadata stripped
        assert abs(info.duration - source_info.duration / variation.speed) < 0.5
        hashes.add(md5(path))
    assert len(hashes) == len(results) + 1  # pairwise different and different from the source


def test_a_group_is_verified_together_and_a_bad_output_named(
    clips: ClipFactory, tmp_path: Path
) -> None:
    good = clips.make(tmp_path / "good.mp4", seconds=2)
    silent = clips.make(tmp_path / "silent.mp4", seconds=2, audio=False)
    verify_outputs([(good, True, 2.0), (good, True, 2.0)])
    with pytest.raises(FfmpegError, match="audio is missing"):
        verify_outputs([(good, True, 2.0), (silent, True, 2.0)])
    with pytest.raises(FfmpegError, match=r"lasts 2\.0\d s where 6\.00 s was expected"):
        verify_outputs([(good, True, 6.0), (silent, True, 2.0)])  # the first in order


@pytest.mark.parametrize("degrees", [90, 270])
def test_rotation_metadata_keeps_display_orientation(
    degrees: int, clips: ClipFactory, tmp_path: Path
) -> None:
    source = clips.make(tmp_path / "phone.mp4", size="160x96")
    set_rotation(source, degrees)
    assert probe(source).rotation == degrees
    (_path, info, _v), *_ = render(source, tmp_path / "out", count=1)
    assert (info.width, info.height) == (96, 160)  # portrait, as the phone showed it
    assert info.rotation == 0


def test_cover_art_stream_is_ignored(clips: ClipFactory, tmp_path: Path) -> None:
    plain = clips.make(tmp_path / "plain.mp4")
    cover = clips.still(tmp_path / "cover.png", colour="red")
    source = tmp_path / "with cover.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(plain),
            "-i",
            str(cover),
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-c:v:1",
            "png",
            "-disposition:v:1",
            "attached_pic",
            str(source),
        ],
        check=True,
    )
    (_path, info, _v), *_ = render(source, tmp_path / "out", count=1)
    assert (info.width, info.height) == (160, 120)


def test_same_seed_gives_a_byte_identical_output(clips: ClipFactory, tmp_path: Path) -> None:
    source = clips.make(tmp_path / "clip.mp4")
    first = render(source, tmp_path / "a", count=2, seed=99)
    second = render(source, tmp_path / "b", count=2, seed=99)
    assert [md5(p) for p, _i, _v in first] == [md5(p) for p, _i, _v in second]


def test_progress_is_monotonic_and_reaches_100(clips: ClipFactory, tmp_path: Path) -> None:
    source = clips.make(tmp_path / "clip.mp4", seconds=3, size="320x240", rate=25)
    progress: list[float] = []
    render(source, tmp_path / "out", count=2, progress=progress)
    assert progress[-1] == 100.0
    assert progress == sorted(progress)
    assert all(0 <= p <= 100 for p in progress)


@pytest.mark.parametrize(
    "name",
    [
        "with space.mp4",
        'quote\'s "double".mp4',
        "$(touch pwned).mp4",
        "-leading-dash.mp4",
        "видео 動画.mp4",
        "semi;colon|pipe&amp.mp4",
    ],
)
def test_hostile_names_work_and_never_reach_a_shell(
    name: str, clips: ClipFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    source = clips.make(folder / name)
    results = render(source, folder / "-out $(x)", count=1)
    assert results[0][0].exists()
    assert not (folder / "pwned").exists() and not Path("pwned").exists()


# --- bad input: a clear message, never a raw dump ----------------------------------


def test_bad_inputs_get_plain_messages(clips: ClipFactory, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    audio = clips.audio_only(tmp_path / "song.mp4")
    image = clips.still(tmp_path / "photo.mp4")
    whole = clips.make(tmp_path / "whole.mp4", seconds=2)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    expected = {
        empty: "empty file (0 bytes)",
        text: "not a video ffmpeg can read",
        audio: "no video stream: this looks like an audio file",
        image: "this is a still image, not a video",
        truncated: "the file is truncated or corrupt",
        tmp_path / "gone.mp4": "the file is gone",
    }
    for path, message in expected.items():
        with pytest.raises(InputError) as info:
            probe(path)
        assert message in str(info.value), path.name
        assert "ffprobe" not in str(info.value) and "\n" not in str(info.value)


# --- the runner: stall, cancel ---------------------------------------------------------


def test_a_hanging_ffmpeg_is_killed_after_the_stall_time(tmp_path: Path) -> None:
    fake = tmp_path / "hanging-ffmpeg"
    fake.write_text("#!/bin/sh\nexec sleep 600\n")
    fake.chmod(0o755)
    with (
        pytest.raises(StalledError, match="no progress for 1 s"),
        Runner().start([str(fake)], stall_seconds=1, grace_seconds=1) as run,
    ):
        while not run.wait(0.2):
            pass
    assert not os.path.exists(f"/proc/{run.pid}")


def test_cancel_from_another_thread_leaves_no_process(tmp_path: Path) -> None:
    # A real ffmpeg encoding a live source that would run for a minute.
    args = [
        *("ffmpeg", "-nostdin", "-v", "error", "-progress", "pipe:1", "-re"),
        *("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=60"),
        # zerolatency: x264 outputs from the first frame, so progress shows at once
        *("-c:v", "libx264", "-tune", "zerolatency", "-f", "mp4", str(tmp_path / "long.mp4")),
    ]
    cancel = threading.Event()
    pids: list[int] = []
    progress: list[float] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with Runner().start(args, cancel=cancel, grace_seconds=2) as proc:
                pids.append(proc.pid)
                while not proc.wait(0.1):
                    progress.append(proc.progress.out_seconds)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    wait_for(lambda: any(progress), what="ffmpeg to report progress")
    cancel.set()
    thread.join(timeout=30)
    assert isinstance(errors[0], CancelledError)
    assert not os.path.exists(f"/proc/{pids[0]}")
    with pytest.raises(ProcessLookupError):
        os.killpg(pids[0], 0)


def test_ffmpeg_failure_keeps_the_tail_of_stderr(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.mp4")
    with pytest.raises(FfmpegError) as info:
        Runner().run(["ffmpeg", "-nostdin", "-v", "error", "-i", missing, "-f", "null", "-"])
    assert "exit code" in info.value.message
    assert "missing.mp4" in info.value.tail
