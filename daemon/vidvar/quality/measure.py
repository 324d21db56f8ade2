"""Measuring a file's variations: a pure function of the plan, its samples and the bounds.

`measure` returns each variation's figures and the variations to re-plan: those
further than `max_source_distance` from the source, and the later of every pair
closer than `min_sibling_distance` to each other. The pipeline re-plans and
renders again; nothing here encodes.
"""

from __future__ import annotations

from typing import Any

from vidvar.config import DistinctnessConfig
from vidvar.effects import Variation
from vidvar.quality import figures as fig


def measure(
    plan: list[Variation],
    samples: dict[int, fig.Sampled],
    source: fig.Sampled,
    bounds: DistinctnessConfig,
) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """(figures by variation index, {variation index: why it must be re-planned})."""
    figures = {
        v.index: fig.output_figures(
            source, samples[v.index], [samples[o.index] for o in plan if o is not v]
        )
        for v in plan
    }
    bad: dict[int, str] = {}
    limit = bounds.max_source_distance
    for v in plan:
        far = figures[v.index]["source_distance"]
        if limit and far > limit:
            bad[v.index] = (
                f"variation {v.index} is {far:g} from the source (max_source_distance {limit:g})"
            )
    minimum = bounds.min_sibling_distance
    for i, a in enumerate(plan):
        for b in plan[i + 1 :]:
            gap = fig.distance(samples[a.index], samples[b.index])
            if minimum and gap < minimum and b.index not in bad:
                bad[b.index] = (
                    f"variation {b.index} is {gap:g} from variation {a.index} "
                    f"(min_sibling_distance {minimum:g})"
                )
    return figures, bad


def summarise(
    figures: dict[int, dict[str, Any]], bad: dict[int, str], replans: int
) -> tuple[dict[str, Any], str | None]:
    """The file's summary figures and a warning when some variation stayed out of bounds."""
    summary = fig.file_summary(list(figures.values()))
    summary["replans"] = replans
    warning = None
    if bad:
        # Without re-plans the audition found, before encoding, that the profile has
        # nothing closer to offer.
        head = (
            f"after {replans} re-plan(s) "
            if replans
            else "the effects profile offers none closer: "
        )
        warning = (
            head + "some variations are out of bounds: " + "; ".join(bad[i] for i in sorted(bad))
        )
    return summary, warning
