"""Measure every variation of a file and re-plan those outside the configured bounds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidvar import effects
from vidvar import figures as fig
from vidvar.config import default_effects_profile
from vidvar.errors import PlanError
from vidvar.ffmpeg.probe import MediaInfo
from vidvar.log import get_logger

if TYPE_CHECKING:
    from vidvar.processor import Processor, Rendered
    from vidvar.store import Claim, FileRecord, Job


class Measurement:
    """Figures for one file's variations (pHash distance, SSIM), with bounded re-planning."""

    def __init__(
        self,
        processor: Processor,
        claim: Claim,
        job: Job,
        record: FileRecord,
        stem: str,
        info: MediaInfo,
    ) -> None:
        self.processor = processor
        self.claim = claim
        self.job = job
        self.record = record
        self.stem = stem
        self.info = info
        self.config = processor.config.distinctness
        self.log = get_logger(job_id=job.id, file_id=record.id, file=record.name)

    def _load(self, path: Path | None) -> fig.Sampled:
        assert path is not None
        return fig.load(path, self.config.frames)

    def _figures(
        self, plan: list[effects.Variation], samples: dict[int, fig.Sampled], source: fig.Sampled
    ) -> dict[int, dict[str, Any]]:
        return {
            v.index: fig.output_figures(
                source, samples[v.index], [samples[o.index] for o in plan if o is not v]
            )
            for v in plan
        }

    def _out_of_bounds(
        self,
        plan: list[effects.Variation],
        samples: dict[int, fig.Sampled],
        figures: dict[int, dict[str, Any]],
    ) -> dict[int, str]:
        """Variation index → why it must be re-planned (the later of a too-close pair)."""
        bad: dict[int, str] = {}
        limit = self.config.max_source_distance
        for v in plan:
            if limit and figures[v.index]["source_distance"] > limit:
                bad[v.index] = (
                    f"variation {v.index} is {figures[v.index]['source_distance']:g} "
                    f"from the source (max_source_distance {limit:g})"
                )
        minimum = self.config.min_sibling_distance
        for i, a in enumerate(plan):
            for b in plan[i + 1 :]:
                gap = fig.distance(samples[a.index], samples[b.index])
                if minimum and gap < minimum and b.index not in bad:
                    bad[b.index] = (
                        f"variation {b.index} is {gap:g} from variation {a.index} "
                        f"(min_sibling_distance {minimum:g})"
                    )
        return bad

    def enforce(
        self, plan: list[effects.Variation], rendered: Rendered
    ) -> tuple[list[effects.Variation], dict[int, dict[str, Any]], dict[str, Any], str | None]:
        """Measure; re-plan what is out of bounds up to `replans` times.

        Returns the final plan, figures per variation, the file summary and a warning
        (None when every variation is within bounds).
        """
        assert rendered.samples is not None
        source = self._load(rendered.samples.source_path)
        samples = {v.index: self._load(rendered.outputs[v.index].sample_path) for v in plan}
        profile = self.processor.config.profiles.get(self.job.profile) or default_effects_profile()
        replans = 0
        while True:
            figures = self._figures(plan, samples, source)
            bad = self._out_of_bounds(plan, samples, figures)
            if not bad or replans >= self.config.replans:
                break
            replans += 1
            try:
                fresh = effects.plan_variations(
                    profile,
                    len(bad),
                    effects.file_seed(self.job.id, self.record.name, f"replan-{replans}"),
                    avoid=[v.params for v in plan],
                )
            except PlanError:
                break  # the profile has nothing further to offer; warn below
            fresh = [
                effects.Variation(index=i, seed=v.seed, params=v.params)
                for i, v in zip(sorted(bad), fresh, strict=True)
            ]
            self.log.info(
                "re-planning variations out of bounds", reasons=list(bad.values()), attempt=replans
            )
            again = self.processor.render(
                self.claim, self.job, self.record, self.stem, self.info, fresh
            )
            rendered.outputs.update(again.outputs)
            for v in fresh:
                samples[v.index] = self._load(again.outputs[v.index].sample_path)
            by_index = {v.index: v for v in fresh}
            plan = [by_index.get(v.index, v) for v in plan]
        summary = fig.file_summary(list(figures.values()))
        summary["replans"] = replans
        warning = None
        if bad:
            warning = f"after {replans} re-plan(s) some variations are out of bounds: " + "; ".join(
                bad[i] for i in sorted(bad)
            )
        return plan, figures, summary, warning
