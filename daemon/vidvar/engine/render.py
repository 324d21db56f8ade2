"""Rendering one file's variations: output specs, the ffmpeg runs, verification.

`Renderer.steps` is a generator: it yields what happens (an encode started, it
advanced, it finished, outputs are being verified) and finally the verified
temporary outputs. The caller pulls; nothing here calls back into it. The
pipeline, the re-plan loop, the tests and the bench all render through it.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vidvar import effects, machine
from vidvar.config import DistinctnessConfig, EncoderProfile, WorkerConfig
from vidvar.config.placement import Placement
from vidvar.effects import Variation
from vidvar.engine.placements import FormatPlan, format_plans
from vidvar.ffmpeg.commands import (
    OutputSpec,
    PlacedOutput,
    Samples,
    audition_args,
    common_size,
    encode_args,
)
from vidvar.ffmpeg.frames import read_audition
from vidvar.ffmpeg.placing import analysis_args, analysis_size, placement_chain, read_cuts
from vidvar.ffmpeg.probe import H264, HEVC_MAIN10, MediaInfo, verify_outputs
from vidvar.ffmpeg.runner import FfmpegRun, Runner
from vidvar.jobfolder import JobFolder
from vidvar.quality import figures as fig
from vidvar.quality import framing
from vidvar.quality.figures import sample_times
from vidvar.quality.preview import moments

PROGRESS_POLL_SECONDS = 0.25


def picture(info: MediaInfo) -> effects.Picture:
    """What each variation's filters get from the common chain (see effects.Picture)."""
    return effects.Picture(info.aspect, common_size(info))


@dataclass(frozen=True)
class Source:
    """What ffmpeg reads: an input URL and the descriptors it must inherit."""

    url: str
    pass_fds: tuple[int, ...] = ()


@dataclass(frozen=True)
class RenderJob:
    """One file's rendering: where from, where to, how."""

    source: Source
    info: MediaInfo
    folder: JobFolder
    file_id: int
    encoder: EncoderProfile
    distinctness: DistinctnessConfig
    placement: Placement = field(default_factory=Placement)
    subject: framing.SubjectTrack | None = None  # the framing analysis, when one ran

    @property
    def measuring(self) -> bool:
        return self.distinctness.enabled

    @property
    def previewing(self) -> bool:
        return self.distinctness.preview


@dataclass(frozen=True)
class Started:
    """An ffmpeg run began."""

    pid: int
    started_at: float | None
    outputs: int


@dataclass(frozen=True)
class Advanced:
    """The plan is `fraction` done (0–1, below 1 until verified); ffmpeg's speed."""

    fraction: float
    speed: float | None


@dataclass(frozen=True)
class Finished:
    """An ffmpeg run ended well."""

    outputs: int
    wall_seconds: float
    cpu_seconds: float | None


@dataclass(frozen=True)
class Verifying:
    """The outputs of a run are being checked."""


@dataclass
class Rendered:
    """Verified temporary outputs by (variation index, format key), each variation's
    formats, and the sample frames."""

    outputs: dict[tuple[int, str], Path] = field(default_factory=dict)
    formats: dict[int, list[FormatPlan]] = field(default_factory=dict)
    samples: dict[int, Path] = field(default_factory=dict)
    source_samples: Path | None = None
    cpu_seconds: float = 0.0


Step = Started | Advanced | Finished | Verifying | Rendered


@dataclass(frozen=True)
class Auditioned:
    """How candidates look at the sample moments, before any of them is encoded."""

    source: fig.Sampled
    candidates: dict[int, fig.Sampled]  # by variation index
    cpu_seconds: float


class Renderer:
    """Encodes plans in fan-out groups with one supervised ffmpeg per group."""

    def __init__(self, runner: Runner, worker: WorkerConfig) -> None:
        self.runner = runner
        self.worker = worker
        # Files encoded at once share the CPUs this process may use (a cgroup quota
        # counts, which x264's own count does not see); each run's encoders get its share.
        self.cores = max(1, machine.cores() // worker.files_at_once())

    def steps(
        self, job: RenderJob, plan: list[Variation], cancel: threading.Event | None = None
    ) -> Iterator[Step]:
        """Render `plan`: yields progress steps, then the Rendered outputs last.

        Raises CancelledError when `cancel` is set, StalledError/FfmpegError when
        ffmpeg fails, FfmpegError when an output fails verification.
        """
        info = job.info
        fanout = self.worker.group_size(*self._pixels_per_variation(job))
        samples = self._samples(job)
        rendered = Rendered(source_samples=samples.source_path if samples else None)
        total = len(plan)
        for start in range(0, total, fanout):
            group = plan[start : start + fanout]
            formats = {v.index: format_plans(v, info, job.placement, job.subject) for v in group}
            specs = [self._spec(job, v, formats[v.index]) for v in group]
            expected = info.duration / min(v.speed for v in group)
            args = encode_args(
                job.source.url,
                info,
                specs,
                job.encoder,
                samples,
                cores=self.cores,
                hdr_keep=job.placement.hdr == "keep",
            )
            with self._start(job, args, cancel) as run:
                yield Started(run.pid, run.started_at, len(group))
                last = -1.0
                while not run.wait(PROGRESS_POLL_SECONDS):
                    done = min(0.99, run.progress.out_seconds / expected) if expected else 0.0
                    fraction = min(0.99, (start + len(group) * done) / total)
                    if fraction > last:
                        last = fraction
                        yield Advanced(fraction, run.progress.speed)
                assert run.finished is not None
                yield Finished(len(group), run.finished.wall_seconds, run.finished.cpu_seconds)
                rendered.cpu_seconds += run.finished.cpu_seconds or 0.0
            yield Verifying()
            verify_outputs(
                [
                    (path, info.has_audio, info.duration / v.speed)
                    for v, spec in zip(group, specs, strict=True)
                    for _chain, path in spec.targets()
                ],
                HEVC_MAIN10 if job.placement.hdr == "keep" and info.hdr else H264,
            )
            for v, spec in zip(group, specs, strict=True):
                rendered.formats[v.index] = formats[v.index]
                for f in formats[v.index]:
                    path = job.folder.temp_output(job.file_id, v.index, f.key)
                    rendered.outputs[(v.index, f.key)] = path
                if spec.sample_path is not None:
                    rendered.samples[v.index] = spec.sample_path
            yield Advanced(min(0.99, (start + len(group)) / total), None)
        yield rendered

    def render(
        self, job: RenderJob, plan: list[Variation], cancel: threading.Event | None = None
    ) -> Rendered:
        """`steps` run to the end; the Rendered outputs."""
        result: Rendered | None = None
        for step in self.steps(job, plan, cancel):
            if isinstance(step, Rendered):
                result = step
        assert result is not None
        return result

    def audition(
        self, job: RenderJob, plan: list[Variation], cancel: threading.Event | None = None
    ) -> Auditioned:
        """The sample frames the encode would take of the source and of each planned
        variation, rendered from those moments alone (commands.audition_args)."""
        info, count = job.info, job.distinctness.frames
        out = job.folder.audition(job.file_id)
        frame = picture(info)
        args = audition_args(
            job.source.url,
            info,
            sample_times(info.duration, count),
            [effects.look_filters(v.params, frame) for v in plan],
            out,
        )
        try:
            cpu = self._run_to_end(job, args, cancel)
            groups = read_audition(out, len(plan) + 1, count)
        finally:
            out.unlink(missing_ok=True)
        return Auditioned(
            source=fig.sampled(groups[0]),
            candidates={v.index: fig.sampled(g) for v, g in zip(plan, groups[1:], strict=True)},
            cpu_seconds=cpu,
        )

    def analyse(
        self, job: RenderJob, cancel: threading.Event | None = None
    ) -> tuple[framing.SubjectTrack, float]:
        """The subject track of the source (quality.framing), from one low-resolution
        decode, and the CPU seconds it took."""
        frames_path, cuts_path = job.folder.analysis(job.file_id)
        args = analysis_args(job.source.url, job.info, frames_path, cuts_path)
        try:
            cpu = self._run_to_end(job, args, cancel)
            frames = framing.load_frames(frames_path, analysis_size(job.info))
            cuts = read_cuts(cuts_path.read_text(encoding="utf-8"))
        finally:
            frames_path.unlink(missing_ok=True)
            cuts_path.unlink(missing_ok=True)
        began = _thread_cpu()
        subject = framing.track(frames, cuts, job.info.duration)
        return subject, cpu + _thread_cpu() - began

    def _pixels_per_variation(self, job: RenderJob) -> tuple[int, int]:
        """A frame size whose pixels are those of one variation in all its formats (the
        fan-out's memory grows with them)."""
        info = job.info
        pixels = sum(
            f.width * f.height if not f.is_source else info.width * info.height
            for f in job.placement.formats
        )
        return max(1, pixels), 1

    def _run_to_end(self, job: RenderJob, args: list[str], cancel: threading.Event | None) -> float:
        """Run a supervised ffmpeg to its end; its CPU seconds."""
        with self._start(job, args, cancel) as run:
            while not run.wait(PROGRESS_POLL_SECONDS):
                pass
            assert run.finished is not None
            return run.finished.cpu_seconds or 0.0

    def _start(self, job: RenderJob, args: list[str], cancel: threading.Event | None) -> FfmpegRun:
        """A supervised ffmpeg reading the job's source."""
        return self.runner.start(
            args,
            cancel=cancel,
            stall_seconds=self.worker.stall_seconds,
            grace_seconds=min(self.worker.stop_grace_seconds, 5.0),
            pass_fds=job.source.pass_fds,
        )

    def _samples(self, job: RenderJob) -> Samples | None:
        if not (job.measuring or job.previewing):
            return None
        folder, info = job.folder, job.info
        return Samples(
            times=tuple(sample_times(info.duration, job.distinctness.frames))
            if job.measuring
            else (),
            source_path=folder.samples(job.file_id, None) if job.measuring else None,
            thumb_times=moments(info.duration) if job.previewing else (),
            thumb_source_path=folder.thumbs(job.file_id, None) if job.previewing else None,
        )

    def _spec(self, job: RenderJob, v: Variation, formats: list[FormatPlan]) -> OutputSpec:
        folder = job.folder
        own = any(f.filter is None for f in formats)
        placed = tuple(
            PlacedOutput(
                path=folder.temp_output(job.file_id, v.index, f.key),
                chain=placement_chain(f.filter, f"v{v.index}_{f.key}"),
                thumb_path=folder.thumbs(job.file_id, v.index, f.key) if job.previewing else None,
                thumb_times=tuple(t / v.speed for t in moments(job.info.duration))
                if job.previewing
                else (),
            )
            for f in formats
            if f.filter is not None
        )
        return OutputSpec(
            path=folder.temp_output(job.file_id, v.index) if own else None,
            placed=placed,
            video_graph=functools.partial(
                effects.video_graph, v.params, picture(job.info), fps=job.encoder.fps
            ),
            audio_chain=effects.audio_chain(v.params) if job.info.has_audio else None,
            sample_path=folder.samples(job.file_id, v.index) if job.measuring else None,
            thumb_path=folder.thumbs(job.file_id, v.index) if job.previewing and own else None,
        )


def _thread_cpu() -> float:
    return time.thread_time()
