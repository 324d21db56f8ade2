"""One job: per-file isolation, fan-out encoding, progress, outputs, source disposal."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidvar import effects
from vidvar.config import Config, WatchConfig, default_effects_profile
from vidvar.disposition import dispose_failure, dispose_success
from vidvar.errors import CancelledError, FfmpegError, InputError, PlanError
from vidvar.ffmpeg.commands import OutputSpec, Samples, encode_args
from vidvar.ffmpeg.probe import MediaInfo, probe, verify_outputs
from vidvar.ffmpeg.runner import Runner
from vidvar.ffmpeg.tools import input_url
from vidvar.figures import sample_times
from vidvar.fsutil import TEMP_SUFFIX, remove_empty_dirs, remove_quietly
from vidvar.log import get_logger
from vidvar.measure import Measurement
from vidvar.preview import moments, remove_thumbs, thumbs_path, write_preview
from vidvar.status import write_status
from vidvar.store import Claim, FileRecord, Job, JobStore, LostClaim, OutputRecord

PROGRESS_STEP = 2  # write progress only when it moved this many points
CANCEL_CHECK_EVERY = 1.0


@dataclass
class Rendered:
    """Verified temporary outputs by variation index, and where sample frames went."""

    samples: Samples | None
    outputs: dict[int, OutputSpec] = field(default_factory=dict)


class Interrupted(Exception):
    """The daemon is stopping: the job goes back to the queue."""


class JobCancelled(Exception):
    """Someone asked to cancel the job."""


@dataclass
class StopSignal:
    """Why the current encode must stop: set by shutdown, cancel or a lost claim."""

    event: threading.Event
    reason: str = ""

    def set(self, reason: str) -> None:
        """Stop the running ffmpeg for `reason` (shutdown, cancel, lost)."""
        if not self.event.is_set():
            self.reason = reason
            self.event.set()


def output_stems(files: Iterable[FileRecord]) -> dict[int, str]:
    """The output name stem of each file, relative to the job folder.

    `clip.mp4` → `clip`; in a batch `sub/clip.mp4` → `sub/clip`. Two sources that
    would share a stem (`a.mp4`, `a.mov`) keep their extension in it.
    """
    items = list(files)
    if all(f.stem for f in items):
        return {f.id: str(f.stem) for f in items}
    plain = {f.id: str(Path(f.name).with_suffix("")) for f in items}
    clashes = {stem for stem in plain.values() if list(plain.values()).count(stem) > 1}
    return {
        f.id: (
            plain[f.id] + "_" + Path(f.name).suffix.lstrip(".").lower()
            if plain[f.id] in clashes
            else plain[f.id]
        )
        for f in items
    }


def output_name(stem: str, variation: int) -> str:
    """`clip` → `clip_var01.mp4`."""
    return f"{stem}_var{variation:02d}.mp4"


def _frames_path(job_dir: Path, stem: str, variation: int) -> Path:
    return job_dir / f"{output_name(stem, variation)}.frames{TEMP_SUFFIX}"


def _source_frames_path(job_dir: Path, stem: str) -> Path:
    return (job_dir / stem).parent / f".{Path(stem).name}.source.frames{TEMP_SUFFIX}"


def remove_file_outputs(job_dir: Path, file_id: int, stem: str, variations: int) -> None:
    """Remove every output (final or temporary) a file may have left: all-or-nothing."""
    for index in range(1, variations + 1):
        final = job_dir / output_name(stem, index)
        remove_quietly(final)
        remove_quietly(final.with_name(final.name + TEMP_SUFFIX))
        remove_quietly(_frames_path(job_dir, stem, index))
    remove_quietly(_source_frames_path(job_dir, stem))
    remove_thumbs(job_dir, file_id, variations)


def remove_temp_files(job_dir: Path) -> int:
    """Remove half-written files left in a job folder; returns how many."""
    removed = 0
    if job_dir.is_dir():
        for tmp in job_dir.rglob("*" + TEMP_SUFFIX):
            remove_quietly(tmp)
            removed += 1
    return removed


class Processor:
    """Runs one claimed job to an end: completed, failed, cancelled or interrupted."""

    def __init__(
        self,
        runner: Runner,
        store: JobStore,
        config: Config,
        stop: StopSignal,
        pulse: Callable[[], None] | None = None,
    ) -> None:
        self.runner = runner
        self.store = store
        self.pulse = pulse or (lambda: None)
        self.config = config
        self.stop = stop
        self._last_heartbeat = 0.0
        self._last_cancel_check = 0.0

    # -- public -----------------------------------------------------------------

    def process(self, claim: Claim) -> str:
        """Process the claimed job; returns its final state ('queued' when interrupted)."""
        job = self.store.get_job(claim.job_id)
        assert job is not None
        log = get_logger(job_id=job.id, watch=job.watch)
        job_dir = Path(job.job_dir)
        job_dir.mkdir(parents=True, exist_ok=True)
        remove_temp_files(job_dir)
        files = self.store.files(job.id)
        stems = output_stems(files)
        self._write_status(job.id)
        log.info("job started", files=len(files), variations=job.variations)
        try:
            for record in files:
                if record.state not in ("queued", "processing"):
                    continue
                self._check_stop(claim)
                self._process_file(claim, job, record, stems[record.id], len(files))
        except Interrupted:
            self.store.release_job(claim)
            self._write_status(job.id)
            log.info("job interrupted; it goes back to the queue")
            return "queued"
        except (LostClaim, CancelledError):
            # Another worker owns the job now: touch nothing of it.
            log.warning("lost the claim on this job; leaving it to its new owner")
            return "lost"
        except JobCancelled:
            for record in self.store.files(job.id, with_outputs=False):
                if record.state in ("queued", "processing"):
                    self.store.finish_file(claim, record.id, "cancelled", "cancelled by request")
            self.store.finish_job(claim, "cancelled", "cancelled by request")
            remove_thumbs(Path(job.job_dir))
            self._write_status(job.id)
            log.info("job cancelled")
            return "cancelled"
        return self._finish(claim, job, log)

    # -- one file -------------------------------------------------------------

    def _process_file(
        self, claim: Claim, job: Job, record: FileRecord, stem: str, file_count: int
    ) -> None:
        log = get_logger(job_id=job.id, file_id=record.id, file=record.name)
        job_dir = Path(job.job_dir)
        self.store.start_file(claim, record.id)
        self._write_status(job.id)
        log.info("file started")
        started = time.monotonic()
        try:
            info = probe(record.source_path)
            self.store.set_file_duration(claim, record.id, info.duration)
            profile = self.config.profiles.get(job.profile) or default_effects_profile()
            plan = effects.plan_variations(
                profile, job.variations, effects.file_seed(job.id, record.name)
            )
            summary, warning = self._encode(claim, job, record, stem, info, plan, file_count)
        except (InputError, PlanError, FfmpegError) as exc:
            message = exc.message
            remove_file_outputs(job_dir, record.id, stem, job.variations)
            self.store.finish_file(claim, record.id, "failed", message)
            self._write_status(job.id)
            log.warning("file failed", error=message, ffmpeg_tail=getattr(exc, "tail", "") or None)
            return
        except CancelledError:
            remove_file_outputs(job_dir, record.id, stem, job.variations)
            if self.stop.reason == "cancel":
                self.store.finish_file(claim, record.id, "cancelled", "cancelled by request")
                raise JobCancelled() from None
            if self.stop.reason == "lost":
                raise
            self.store.requeue_file(claim, record.id)
            raise Interrupted() from None
        except BaseException:
            remove_file_outputs(job_dir, record.id, stem, job.variations)
            raise
        self.store.finish_file(claim, record.id, "completed", warning=warning, figures=summary)
        self._write_status(job.id)
        log.info(
            "file completed",
            seconds=round(time.monotonic() - started, 2),
            warning=warning,
            figures=summary,
        )

    def _encode(
        self,
        claim: Claim,
        job: Job,
        record: FileRecord,
        stem: str,
        info: MediaInfo,
        plan: list[effects.Variation],
        file_count: int,
    ) -> tuple[dict[str, Any] | None, str | None]:
        """Encode, measure, re-plan what is out of bounds, then publish; (summary, warning)."""
        job_dir = Path(job.job_dir)
        total = len(plan)
        last_written = [-PROGRESS_STEP]

        def on_progress(done_variations: float) -> None:
            file_pct = int(done_variations * 100 / total)
            if file_pct - last_written[0] >= PROGRESS_STEP or file_pct == 100:
                last_written[0] = file_pct
                job_pct = self._job_progress(claim.job_id, record.id, file_pct, file_count)
                self.store.set_progress(claim, record.id, file_pct, job_pct)
                self._write_status(claim.job_id)

        rendered = self.render(claim, job, record, stem, info, plan, on_progress)
        summary: dict[str, Any] | None = None
        warning: str | None = None
        per_output: dict[int, dict[str, Any]] = {}
        if self.config.distinctness.enabled:
            measured = Measurement(self, claim, job, record, stem, info)
            plan, per_output, summary, warning = measured.enforce(plan, rendered)
        for variation in plan:
            final = job_dir / output_name(stem, variation.index)
            rendered.outputs[variation.index].path.replace(final)  # verified: final name
            frames = rendered.outputs[variation.index].sample_path
            if frames is not None:
                remove_quietly(frames)
            self.store.add_output(
                claim,
                record.id,
                OutputRecord(
                    variation=variation.index,
                    path=str(final.relative_to(job_dir)),
                    size=final.stat().st_size,
                    effects=variation.params,
                    seed=variation.seed,
                    figures=per_output.get(variation.index),
                ),
            )
        if rendered.samples is not None and rendered.samples.source_path is not None:
            remove_quietly(rendered.samples.source_path)
        return summary, warning

    def render(
        self,
        claim: Claim,
        job: Job,
        record: FileRecord,
        stem: str,
        info: MediaInfo,
        plan: list[effects.Variation],
        on_progress: Callable[[float], None] | None = None,
    ) -> Rendered:
        """Encode `plan` in fan-out groups to verified temporary files, with gray sample
        frames when distinctness is measured and thumbnails when a preview is wanted."""
        job_dir = Path(job.job_dir)
        encoder = self.config.encoders.get(job.encoder) or self.config.encoders["default"]
        fanout = self.config.worker.group_size(info.width, info.height)
        measuring = self.config.distinctness.enabled
        previewing = self.config.distinctness.preview
        samples = (
            Samples(
                times=tuple(sample_times(info.duration, self.config.distinctness.frames))
                if measuring
                else (),
                source_path=_source_frames_path(job_dir, stem) if measuring else None,
                thumb_times=moments(info.duration) if previewing else (),
                thumb_source_path=thumbs_path(job_dir, record.id, None) if previewing else None,
            )
            if measuring or previewing
            else None
        )
        if previewing:
            thumbs_path(job_dir, record.id, None).parent.mkdir(parents=True, exist_ok=True)
        rendered = Rendered(samples=samples)
        for start in range(0, len(plan), fanout):
            group = plan[start : start + fanout]
            specs = []
            for v in group:
                temp = job_dir / (output_name(stem, v.index) + TEMP_SUFFIX)
                temp.parent.mkdir(parents=True, exist_ok=True)
                specs.append(
                    OutputSpec(
                        path=temp,
                        video_graph=_video_graph(v.params, info.aspect, encoder.fps),
                        audio_chain=effects.audio_chain(v.params) if info.has_audio else None,
                        sample_path=_frames_path(job_dir, stem, v.index) if measuring else None,
                        thumb_path=thumbs_path(job_dir, record.id, v.index) if previewing else None,
                    )
                )
            progress = (
                functools.partial(_group_progress, on_progress, start, len(group))
                if on_progress
                else None
            )
            began = time.monotonic()
            with self.runner.start(
                encode_args(input_url(record.source_path), info, specs, encoder, samples),
                cancel=self.stop.event,
                stall_seconds=self.config.worker.stall_seconds,
                grace_seconds=min(self.config.worker.stop_grace_seconds, 5.0),
            ) as run:
                self._ffmpeg_started(claim, record, len(group), run.pid, run.started_at)
                expected = info.duration / min(v.speed for v in group)
                reported = -1.0
                while not run.wait(0.25):
                    pct = min(99.0, 100.0 * run.progress.out_seconds / expected)
                    if progress and pct > reported:
                        reported = pct
                        progress(pct)
                    self._tick(claim)
                if progress:
                    progress(100.0)
            # The encode's own wall time: what the job took beyond it is orchestration.
            get_logger(job_id=claim.job_id, file_id=record.id, file=record.name).info(
                "ffmpeg finished", outputs=len(group), seconds=round(time.monotonic() - began, 3)
            )
            self.store.set_ffmpeg(claim, record.id, None, None)
            verify_outputs(
                [
                    (spec.path, info.has_audio, info.duration / variation.speed)
                    for variation, spec in zip(group, specs, strict=True)
                ]
            )
            for variation, spec in zip(group, specs, strict=True):
                rendered.outputs[variation.index] = spec
        return rendered

    def _ffmpeg_started(
        self, claim: Claim, record: FileRecord, outputs: int, pid: int, started: float | None
    ) -> None:
        self.store.set_ffmpeg(claim, record.id, pid, started)
        get_logger(job_id=claim.job_id, file_id=record.id, file=record.name).info(
            "ffmpeg started", pid=pid, outputs=outputs
        )

    def _job_progress(self, job_id: str, file_id: int, file_pct: int, file_count: int) -> int:
        total = 0
        for f in self.store.files(job_id, with_outputs=False):
            if f.id == file_id:
                total += file_pct
            elif f.state in ("completed", "failed", "cancelled"):
                total += 100
        return int(total / max(file_count, 1))

    # -- heartbeats and stop checks -------------------------------------------

    def _tick(self, claim: Claim) -> None:
        """Between ffmpeg waits: renew the lease and look for a cancel request."""
        self.pulse()
        now = time.monotonic()
        try:
            if now - self._last_heartbeat >= self.config.worker.heartbeat_seconds:
                self._last_heartbeat = now
                self.store.heartbeat(claim.worker_id)
            if now - self._last_cancel_check >= CANCEL_CHECK_EVERY:
                self._last_cancel_check = now
                if self.store.is_cancel_requested(claim):
                    self.stop.set("cancel")
        except LostClaim:
            self.stop.set("lost")

    def _check_stop(self, claim: Claim) -> None:
        if self.stop.event.is_set() and self.stop.reason == "shutdown":
            raise Interrupted()
        if self.store.is_cancel_requested(claim):
            self.stop.set("cancel")
            raise JobCancelled()

    # -- end of job -------------------------------------------------------------

    def _finish(self, claim: Claim, job: Job, log: Any) -> str:
        watch = _watch_or_none(self.config, job.watch)
        files = self.store.files(job.id, with_outputs=False)
        if self.config.distinctness.preview:
            # From the thumbnails the encodes left; the sources are not read again.
            write_preview(job, self.store.files(job.id), log)
        remove_thumbs(Path(job.job_dir))
        if job.origin == "inbox" and watch is not None:
            for record in files:
                if record.disposed_to is None and record.state in ("completed", "failed"):
                    self._dispose(claim, job, record, watch, log)
            if job.kind == "batch":
                remove_empty_dirs(Path(job.source_path))
        completed = sum(1 for f in files if f.state == "completed")
        if completed:
            state, error = "completed", None
        else:
            state = "failed"
            errors = {f.error for f in files if f.error}
            error = errors.pop() if len(errors) == 1 else f"all {len(files)} files failed"
        self.store.finish_job(claim, state, error)
        self._write_status(job.id)
        log.info("job finished", state=state, completed_files=completed, files=len(files))
        return state

    def _dispose(
        self, claim: Claim, job: Job, record: FileRecord, watch: WatchConfig, log: Any
    ) -> None:
        source = Path(record.source_path)
        if not source.exists():
            self.store.mark_disposed(claim, record.id, "", "missing")
            return
        try:
            if record.state == "completed":
                where = dispose_success(source, watch)
            else:
                where = dispose_failure(source, watch, job.id, record.error or "unknown error")
        except OSError as exc:
            # The source stays where it is: nothing is lost, the next run may move it.
            log.error("could not move the source", file=record.name, error=str(exc))
            return
        kind = (
            {"archive": "archived", "delete": "deleted", "keep": "kept"}[watch.on_success]
            if record.state == "completed"
            else ("failed" if watch.on_failure == "move" else "kept")
        )
        self.store.mark_disposed(claim, record.id, where, kind)
        log.info("source disposed", file=record.name, to=where or "deleted")

    def _write_status(self, job_id: str) -> None:
        job = self.store.get_job(job_id)
        if job is not None:
            with contextlib.suppress(OSError):
                write_status(job, self.store.files(job_id))


def _group_progress(report: Callable[[float], None], done: int, size: int, percent: float) -> None:
    """ffmpeg's percent of one group → variations done so far, as a fraction."""
    report(done + size * percent / 100.0)


def _video_graph(params: dict[str, Any], aspect: float, fps: float | None) -> Any:
    return functools.partial(effects.video_graph, params, aspect, fps=fps)


def _watch_or_none(config: Config, name: str) -> WatchConfig | None:
    try:
        return config.watch(name)
    except KeyError:
        return None
