"""Variations chosen before they are encoded: the audition sees the very frames the
encode samples, replaces candidates out of bounds, and knows unreachable bounds early."""

from __future__ import annotations

from pathlib import Path

from tests.support import ClipFactory
from vidvar import effects
from vidvar.config import DistinctnessConfig, EncoderProfile, WorkerConfig, default_effects_profile
from vidvar.effects import EffectSpec, EffectsProfile
from vidvar.engine import audition
from vidvar.engine.render import Renderer, RenderJob, Source
from vidvar.ffmpeg.probe import probe
from vidvar.ffmpeg.runner import Runner
from vidvar.ffmpeg.tools import input_url
from vidvar.jobfolder import JobFolder
from vidvar.quality import figures as fig
from vidvar.quality.measure import measure

ENCODER = EncoderProfile(name="test", preset="ultrafast", crf=30)


# -- the audition -------------------------------------------------------------------------


def render_job(source: Path, folder: Path, bounds: DistinctnessConfig) -> RenderJob:
    jobs = JobFolder(folder)
    jobs.prepare()
    return RenderJob(
        source=Source(input_url(source)),
        info=probe(source),
        folder=jobs,
        file_id=1,
        encoder=ENCODER,
        distinctness=bounds,
    )


def test_the_audition_sees_exactly_the_frames_the_encode_samples(
    clips: ClipFactory, tmp_path: Path
) -> None:
    # Keyframes far apart: the audition seeks and decodes up to each moment itself.
    source = clips.make(tmp_path / "clip.mp4", seconds=6, size="320x240", extra=("-g", "250"))
    job = render_job(source, tmp_path / "job", DistinctnessConfig(frames=5, preview=False))
    plan = effects.plan_variations(default_effects_profile(), 4, 11)
    renderer = Renderer(Runner(), WorkerConfig())
    heard = renderer.audition(job, plan)
    rendered = renderer.render(job, plan)
    assert rendered.source_samples is not None
    assert heard.source.frames == fig.load(rendered.source_samples, 5).frames
    for v in plan:
        assert heard.candidates[v.index].frames == fig.load(rendered.samples[v.index], 5).frames
    assert heard.cpu_seconds > 0
    assert not job.folder.audition(1).exists()


def test_candidates_out_of_bounds_are_replaced_before_anything_is_encoded(
    clips: ClipFactory, tmp_path: Path
) -> None:
    source = clips.make(tmp_path / "clip.mp4", seconds=3, size="320x240")
    profile = EffectsProfile(
        "zooms", 0.05, (EffectSpec("zoom", 1.0, 1.02, 1.3), EffectSpec("hue", 1.0, -40, 40))
    )
    seed_parts = ("job", "clip.mp4")
    loose = DistinctnessConfig(min_sibling_distance=0, max_source_distance=0, preview=False)
    job = render_job(source, tmp_path / "job", loose)
    renderer = Renderer(Runner(), WorkerConfig())
    first = effects.plan_variations(profile, 4, effects.file_seed(*seed_parts))
    heard = renderer.audition(job, first)
    gaps = sorted(
        fig.distance(heard.candidates[a.index], heard.candidates[b.index])
        for i, a in enumerate(first)
        for b in first[i + 1 :]
    )
    # A bound the first plan misses (its closest pair is under it) but the profile can meet.
    bounds = DistinctnessConfig(min_sibling_distance=gaps[1], max_source_distance=0, preview=False)
    job = render_job(source, tmp_path / "job", bounds)
    chosen = audition.cast(renderer, job, profile, 4, seed_parts)
    assert chosen.replaced > 0 and not chosen.unreachable
    assert [v.index for v in chosen.plan] == [1, 2, 3, 4]
    # The one encode of the chosen plan measures within the bound.
    rendered = renderer.render(job, chosen.plan)
    assert rendered.source_samples is not None
    source_frames = fig.load(rendered.source_samples, bounds.frames)
    samples = {v.index: fig.load(rendered.samples[v.index], bounds.frames) for v in chosen.plan}
    _figures, bad = measure(chosen.plan, samples, source_frames, bounds)
    assert bad == {}


def test_bounds_the_profile_cannot_reach_are_known_before_the_encode(
    clips: ClipFactory, tmp_path: Path
) -> None:
    source = clips.make(tmp_path / "clip.mp4", seconds=2, size="320x240")
    tiny = EffectsProfile("tiny", 0.05, (EffectSpec("brightness", 1.0, 0.0, 0.004),))
    bounds = DistinctnessConfig(min_sibling_distance=40, preview=False)
    job = render_job(source, tmp_path / "job", bounds)
    chosen = audition.cast(Renderer(Runner(), WorkerConfig()), job, tiny, 2, ("job", "c"))
    assert chosen.unreachable and "min_sibling_distance 40" in chosen.unreachable[2]
    assert not list(job.folder.work_dir.glob("*.mp4"))  # nothing was encoded
