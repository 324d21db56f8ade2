"""Turning a render's steps into store writes and job events: the ffmpeg pid for
recovery, the phase, progress with speed and ETA, each encode's own wall time."""

from __future__ import annotations

import time

from vidvar.effects import Variation
from vidvar.engine.context import FileContext
from vidvar.engine.render import Advanced, Finished, Rendered, RenderJob, Started
from vidvar.engine.render import Verifying as VerifyingStep
from vidvar.events import EncodeFinished, EncodeStarted, PhaseChanged, Progress
from vidvar.store import Phase


class EncodeReporter:
    """Drives the renderer for one file and reports what it does."""

    def __init__(self, file: FileContext) -> None:
        self.file = file
        self.ctx, self.claim, self.job, self.tally = file.ctx, file.claim, file.job, file.tally
        self.store = file.ctx.store
        self.began = time.monotonic()
        self.cpu = 0.0
        self._last_progress = (-1, 0.0)

    def emit_phase(self, phase: str) -> None:
        self.store.set_phase(self.claim, phase)
        self.ctx.bus.emit(PhaseChanged(self.job.id, phase, self.file.name))

    def render(self, job: RenderJob, plan: list[Variation], *, progress: bool) -> Rendered:
        """Drive the renderer, turning its steps into store writes and events."""
        result: Rendered | None = None
        for step in self.ctx.renderer.steps(job, plan, self.ctx.stop.event):
            if isinstance(step, Started):
                self.store.set_ffmpeg(self.claim, self.file.file_id, step.pid, step.started_at)
                self.emit_phase(Phase.ENCODING)
                self.ctx.bus.emit(
                    EncodeStarted(
                        self.job.id, self.file.file_id, self.file.name, step.pid, step.outputs
                    )
                )
            elif isinstance(step, Advanced) and progress:
                self._progress(step)
            elif isinstance(step, Finished):
                self.store.set_ffmpeg(self.claim, self.file.file_id, None, None)
                self.cpu += step.cpu_seconds or 0.0
                self.ctx.bus.emit(
                    EncodeFinished(
                        self.job.id,
                        self.file.file_id,
                        self.file.name,
                        step.outputs,
                        step.wall_seconds,
                        step.cpu_seconds,
                    )
                )
            elif isinstance(step, VerifyingStep):
                self.emit_phase(Phase.VERIFYING)
            elif isinstance(step, Rendered):
                result = step
        assert result is not None
        return result

    def _progress(self, step: Advanced) -> None:
        percent = min(99, int(step.fraction * 100))
        now = time.monotonic()
        last_percent, last_time = self._last_progress
        if percent <= last_percent and now - last_time < 5.0:
            return
        self._last_progress = (percent, now)
        elapsed = now - self.began
        eta = elapsed * (1 - step.fraction) / step.fraction if step.fraction > 0.01 else None
        job_percent = self.tally.percent(percent)
        self.store.set_progress(
            self.claim, self.file.file_id, percent, job_percent, speed=step.speed, eta_seconds=eta
        )
        self.ctx.bus.emit(
            Progress(
                self.job.id,
                self.file.file_id,
                self.file.name,
                percent,
                job_percent,
                step.speed,
                eta,
                None,
            )
        )
