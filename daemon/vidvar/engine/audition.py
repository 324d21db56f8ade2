"""Choosing a file's variations before any of them is encoded.

Candidates are planned from the profile, then auditioned: one short ffmpeg renders
how each looks at the sample moments (a few 64x64 gray frames, from those moments
alone) and they are measured exactly as the encode's own samples are. Candidates
out of bounds are replaced and only the newcomers auditioned again, so a re-plan
costs frames, not encodes; a profile that cannot reach the bounds is known, and
said, before the encode starts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from vidvar import effects
from vidvar.config import DistinctnessConfig
from vidvar.effects import EffectsProfile, Variation
from vidvar.engine.render import Renderer, RenderJob
from vidvar.errors import PlanError
from vidvar.quality.measure import measure

# Rounds of replacements before the plan is taken as the best the profile gives. Each
# round is one ffmpeg on a few frames; the default profile needs none nearly always.
AUDITION_ROUNDS = 8


@dataclass(frozen=True)
class Cast:
    """The variations to encode, and what their audition found."""

    plan: list[Variation]
    replaced: int  # candidates turned away for being out of bounds
    unreachable: dict[int, str]  # variation index → why it stays out of bounds
    cpu_seconds: float


def wanted(bounds: DistinctnessConfig) -> bool:
    """Whether the bounds call for an audition (measuring alone does not)."""
    return bounds.enabled and bool(bounds.min_sibling_distance or bounds.max_source_distance)


def cast(
    renderer: Renderer,
    job: RenderJob,
    profile: EffectsProfile,
    count: int,
    seed_parts: tuple[str, ...],
    cancel: threading.Event | None = None,
) -> Cast:
    """`count` variations within the distinctness bounds, or the closest the profile gets.

    Raises PlanError when the profile cannot even give `count` distinct parameter
    sets, and what Renderer.audition raises.
    """
    bounds = job.distinctness
    plan = effects.plan_variations(profile, count, effects.file_seed(*seed_parts))
    heard = renderer.audition(job, plan, cancel)
    source, samples, cpu = heard.source, dict(heard.candidates), heard.cpu_seconds
    _figures, bad = measure(plan, samples, source, bounds)
    tried = [v.params for v in plan]
    replaced = 0
    for round_number in range(1, AUDITION_ROUNDS + 1):
        if not bad:
            break
        try:
            plan, fresh = effects.replace_variations(
                plan,
                sorted(bad),
                profile,
                effects.file_seed(*seed_parts, f"audition-{round_number}"),
                tried,
            )
        except PlanError:
            break  # nothing further in the profile: keep the best plan found
        tried += [v.params for v in fresh]
        replaced += len(fresh)
        heard = renderer.audition(job, fresh, cancel)
        samples.update(heard.candidates)
        cpu += heard.cpu_seconds
        _figures, bad = measure(plan, samples, source, bounds)
    return Cast(plan=plan, replaced=replaced, unreachable=bad, cpu_seconds=cpu)
