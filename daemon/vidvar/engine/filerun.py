"""One file of a claimed job: open → probe → plan → render → measure / re-plan → publish.

Every way a file can end is decided here, and returned as a FileOutcome: completed
with verified outputs; failed with a plain reason (the file's own problem); back in
the queue for an environmental cause (the job then waits and is retried by itself)
or an unexpected error (counted against max_attempts); or halted on request. The
job run applies it (engine.jobrun).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidvar import effects
from vidvar.config.placement import Placement
from vidvar.effects import Variation
from vidvar.engine import audition
from vidvar.engine.context import Context, FileContext
from vidvar.engine.outcome import (
    Completed,
    Failed,
    FileOutcome,
    Halted,
    Requeue,
    StopReason,
)
from vidvar.engine.render import Rendered, RenderJob, Source
from vidvar.engine.reporting import EncodeReporter
from vidvar.engine.shaping import analyse_framing, format_notes, hdr_notes, joined
from vidvar.errors import (
    EnvironmentProblem,
    FileProblem,
    LostClaim,
    PlanError,
    Stopped,
    StoreUnavailable,
    environment_problem,
)
from vidvar.events import (
    FileFinished,
    FileStarted,
    OutputPublished,
)
from vidvar.ffmpeg.probe import MediaInfo, probe
from vidvar.inbox.sources import OpenSource, SourceChanged, SourceGone
from vidvar.log import get_logger
from vidvar.quality import figures as fig
from vidvar.quality.framing import SubjectTrack
from vidvar.quality.measure import measure, summarise
from vidvar.store import Claim, FileRecord, Job, OutputRecord, Phase


@dataclass(frozen=True)
class _Published:
    outputs: int
    size: int


class FileRun:
    """Processes one file of a claimed job to its end (see the module docstring)."""

    def __init__(self, file: FileContext, record: FileRecord) -> None:
        self.file, self.record = file, record  # the record changes when the file is found moved
        self.ctx, self.claim, self.job = file.ctx, file.claim, file.job
        self.stem, self.folder, self.tally = file.stem, file.folder, file.tally
        self.store = file.ctx.store
        self.log = get_logger(job_id=file.job.id, file_id=record.id, file=record.name)
        self.began = time.monotonic()
        self.report = EncodeReporter(file)
        self._unreachable: dict[int, str] = {}  # what the audition could not bring in bounds
        self.placement = Placement.from_dict(file.job.placement)
        self._subject: SubjectTrack | None = None  # the framing analysis, once it ran
        self._notes: list[str] = []  # what the file's warning says besides the figures
        self._figures: dict[int, dict[str, Any]] = {}

    # -- the whole file -------------------------------------------------------------

    def run(self) -> FileOutcome:
        """Process the file to its end and say how it ended; the job run applies it."""
        self.store.start_file(self.claim, self.record.id)
        self.ctx.bus.emit(FileStarted(self.job.id, self.record.id, self.record.name))
        try:
            try:
                info, published, summary, warning = self._process()
            except FileProblem:
                self._check_environment()  # ffmpeg fails too when a share goes away
                raise
        except FileProblem as problem:
            return Failed(problem.message, problem.detail)
        except SourceChanged as changed:
            return self._changed(changed)
        except StoreUnavailable:
            self.discard()
            raise  # the job goes back once the store answers (the worker sees to it)
        except EnvironmentProblem as problem:
            return Requeue(problem.message, problem.retry_in, detail=problem.detail)
        except LostClaim:
            return Halted(StopReason.LOST)
        except Stopped:  # an ffmpeg run stopped on request, or a stop met between stages
            return Halted(self.ctx.stop.reason or StopReason.SHUTDOWN)
        except Exception as exc:
            self.log.exception("unexpected error while processing a file")
            return unexpected(exc, self.record, self.ctx.config.worker.max_attempts)
        return Completed(
            warning=warning,
            figures=summary,
            outputs=published.outputs,
            output_bytes=published.size,
            cpu_seconds=self.report.cpu,
            media_seconds=info.duration,
        )

    def _process(self) -> tuple[MediaInfo, _Published, dict[str, Any] | None, str | None]:
        with self._open() as source:
            try:
                info, plan, rendered = self._encode(source)
                summary, warning, plan = self._measure(source, info, plan, rendered)
            except FileProblem:
                source.check_unchanged()  # a file rewritten meanwhile is not at fault
                raise
            source.check_unchanged()  # outputs of a rewritten file are never published
            return info, self._publish(plan, rendered), summary, warning

    def _check_environment(self) -> None:
        self.ctx.guard.check(self.folder.path)
        self.ctx.guard.check(Path(self.record.source_path))

    # -- stages ---------------------------------------------------------------------

    def _open(self) -> OpenSource:
        source, self.record = open_source(self.ctx, self.claim, self.job, self.record)
        return source

    def _render_job(self, source: OpenSource, info: MediaInfo) -> RenderJob:
        config = self.ctx.config
        return RenderJob(
            source=Source(source.url, source.pass_fds),
            info=info,
            folder=self.folder,
            file_id=self.record.id,
            encoder=config.encoder(self.job.encoder),
            distinctness=config.distinctness,
            placement=self.placement,
            subject=self._subject,
        )

    def _encode(self, source: OpenSource) -> tuple[MediaInfo, list[Variation], Rendered]:
        info = probe_source(source)
        self.store.set_file_duration(self.claim, self.record.id, info.duration)
        job = self._render_job(source, info)
        plan = self._plan(job)
        self._notes += hdr_notes(info, self.placement)
        if any(f.fit == "crop" for f in self.placement.placed):  # the crops follow the subject
            self._subject, cpu, note = analyse_framing(self.ctx, job, self.log)
            self.report.cpu += cpu
            self._notes += [note] if note else []
            job = self._render_job(source, info)
        rendered = self.report.render(job, plan, progress=True)
        self._notes += format_notes(rendered)
        return info, plan, rendered

    def _plan(self, job: RenderJob) -> list[Variation]:
        """The variations to encode: auditioned against the distinctness bounds first
        when they are set (vidvar.engine.audition), so that none is encoded twice."""
        profile = self.ctx.config.profile(self.job.profile)
        seed_parts = (self.job.id, self.record.name)
        if not audition.wanted(job.distinctness):
            return effects.plan_variations(
                profile, self.job.variations, effects.file_seed(*seed_parts)
            )
        self.report.emit_phase(Phase.MEASURING)
        began = time.monotonic()
        chosen = audition.cast(
            self.ctx.renderer, job, profile, self.job.variations, seed_parts, self.ctx.stop.event
        )
        self.report.cpu += chosen.cpu_seconds
        # What choosing cost before the encode could start, and how many it turned away.
        self.log.info(
            "variations auditioned",
            replaced=chosen.replaced,
            seconds=round(time.monotonic() - began, 3),
            cpu_seconds=round(chosen.cpu_seconds, 3),
        )
        if chosen.unreachable:
            self._unreachable = chosen.unreachable
            self.log.warning(
                "the effects profile cannot keep every variation within the distinctness "
                "bounds; encoding the closest plan found",
                reasons=list(chosen.unreachable.values()),
            )
        return chosen.plan

    def _measure(
        self, source: OpenSource, info: MediaInfo, plan: list[Variation], rendered: Rendered
    ) -> tuple[dict[str, Any] | None, str | None, list[Variation]]:
        """Figures for every variation, re-planning those out of bounds (bounded)."""
        bounds = self.ctx.config.distinctness
        if not bounds.enabled:
            return None, joined(None, self._notes), plan
        self.report.emit_phase(Phase.MEASURING)
        assert rendered.source_samples is not None
        source_frames = fig.load(rendered.source_samples, bounds.frames)
        samples = {v.index: fig.load(rendered.samples[v.index], bounds.frames) for v in plan}
        figures, bad = measure(plan, samples, source_frames, bounds)
        replans = 0
        profile = self.ctx.config.profile(self.job.profile)
        # The audition already tried to replace what it found out of bounds: only what
        # the encode measured differently (it seldom does) is worth encoding again.
        while (redo := sorted(set(bad) - set(self._unreachable))) and replans < bounds.replans:
            replans += 1
            try:
                plan, fresh = effects.replace_variations(
                    plan,
                    redo,
                    profile,
                    effects.file_seed(self.job.id, self.record.name, f"replan-{replans}"),
                )
            except PlanError:
                break  # the profile has nothing further to offer; the warning says so
            self.log.info(
                "re-planning variations out of bounds",
                reasons=[bad[i] for i in redo],
                attempt=replans,
            )
            again = self.report.render(self._render_job(source, info), fresh, progress=False)
            rendered.outputs.update(again.outputs)
            for v in fresh:
                samples[v.index] = fig.load(again.samples[v.index], bounds.frames)
            self.report.emit_phase(Phase.MEASURING)
            figures, bad = measure(plan, samples, source_frames, bounds)
        self._figures = figures
        summary, warning = summarise(figures, bad, replans)
        return summary, joined(warning, self._notes), plan

    def _publish(self, plan: list[Variation], rendered: Rendered) -> _Published:
        figures = self._figures
        total = count = 0
        for variation, fmt in ((v, f) for v in plan for f in rendered.formats.get(v.index, [])):
            try:
                final = self.folder.publish(self.record.id, self.stem, variation.index, fmt.key)
                size = final.stat().st_size
            except OSError as exc:
                raise environment_problem(exc, "write the outputs into the job folder") from None
            total += size
            count += 1
            output = OutputRecord(
                variation=variation.index,
                path=str(final.relative_to(self.folder.path)),
                size=size,
                effects=variation.params,
                seed=variation.seed,
                figures=figures.get(variation.index),
                format=fmt.format.aspect,
                placement=fmt.describe(),
            )
            self.store.add_output(self.claim, self.record.id, output)
            self.ctx.bus.emit(
                OutputPublished(
                    self.job.id,
                    self.record.id,
                    self.record.name,
                    variation.index,
                    output.path,
                    size,
                )
            )
        return _Published(count, total)

    # -- how a file ends otherwise ------------------------------------------------------

    def discard(self) -> None:
        """Remove this file's outputs (it starts over or failed)."""
        try:
            self.folder.remove_file_outputs(
                self.record.id, self.stem, self.job.variations, self.placement.keys
            )
        except OSError as exc:
            self.log.warning("could not remove partial outputs", error=str(exc))

    def finished(self, state: str, **details: Any) -> None:
        """Count the file as done and say how it ended."""
        self.tally.done += 1
        self.ctx.bus.emit(
            FileFinished(
                self.job.id,
                self.record.id,
                self.record.name,
                state,
                wall_seconds=time.monotonic() - self.began,
                **details,
            )
        )

    def _changed(self, changed: SourceChanged) -> FileOutcome:
        if self.record.changes >= 1:
            return Failed(
                "the file kept changing while it was processed; drop it again once it is "
                "complete (or run vidvar retry)"
            )
        self.store.note_source_changed(self.claim, self.record.id, changed.signature)
        watch = _watch_of(self.ctx, self.job)
        settle = watch.settle_seconds if watch is not None else 10.0
        return Requeue(
            f"{self.record.name} changed while it was processed; it is encoded again once it "
            "has stayed unchanged",
            delay=max(settle, 1.0),
        )


def probe_source(source: OpenSource) -> MediaInfo:
    """What the opened source holds (read through its descriptor, as ffmpeg reads it)."""
    return probe(
        source.path,
        url=source.url,
        pass_fds=source.pass_fds,
        size=source.size,
        head=source.head(),
    )


def unexpected(exc: Exception, record: FileRecord, max_attempts: int) -> FileOutcome:
    """An error no stage expected: back to the queue with an attempt counted, or failed
    with a note once `max_attempts` is reached (one poisonous file cannot loop)."""
    attempts = record.attempts + 1
    kind = type(exc).__name__
    if attempts >= max_attempts:
        return Failed(
            f"an internal error ({kind}) stopped this file {attempts} times; giving up "
            "(details in the log)",
            str(exc),
        )
    return Requeue(
        f"an internal error ({kind}) interrupted {record.name}; it is tried again "
        f"(attempt {attempts + 1} of {max_attempts}, details in the log)",
        delay=None,
        count_attempt=True,
    )


def open_source(
    ctx: Context, claim: Claim, job: Job, record: FileRecord
) -> tuple[OpenSource, FileRecord]:
    """The source opened safely, and its record (with the new path when the file was
    found renamed or moved within the inbox); FileProblem when it is not to be read."""
    watch = _watch_of(ctx, job)
    path = Path(record.source_path)
    if job.origin == "inbox" and watch is not None:
        homes = (watch.inbox, watch.failed_dir)
        if not any(home in path.parents for home in homes):
            raise FileProblem("the file is outside its hot folder's inbox; it is not read")
    try:
        source = OpenSource(path, record.source_identity, record.source_sig)
    except SourceGone:
        ctx.guard.check(path)  # a share that is away: wait, do not fail
        from vidvar.inbox.disposition import locate

        if watch is None:
            raise FileProblem("the file is gone (moved or deleted before processing)") from None
        found, _lost = locate(record, watch, ctx.guard)
        if found is None:
            raise FileProblem(
                "the file is gone (it was moved or deleted before processing)"
            ) from None
        ctx.store.set_source_path(claim, record.id, str(found))
        record = _with(record, source_path=str(found))
        source = OpenSource(found, record.source_identity, record.source_sig)
    if record.source_identity is None:
        ctx.store.adopt_identity(claim, record.id, source.identity, source.signature)
    return source, record


def _watch_of(ctx: Context, job: Job) -> Any:
    try:
        return ctx.config.watch(job.watch)
    except KeyError:
        return None


def _with(record: FileRecord, **changes: Any) -> FileRecord:
    from dataclasses import replace

    return replace(record, **changes)
