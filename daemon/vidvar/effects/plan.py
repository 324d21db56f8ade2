"""Seeded, unique variation parameters.

A variation is fully described by its seed and its profile: the same seed gives
the same parameters, the same filter chain and so a byte-identical output.
Uniqueness is planned, not hoped for: candidates closer than the profile's
`min_distance` (RMS over normalised parameters) to an accepted one are rejected.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any

from vidvar.effects.catalogue import CATALOGUE, SEED_LIMIT, Draw, EffectsProfile, Params
from vidvar.errors import PlanError

MAX_CANDIDATES = 5000


@dataclass(frozen=True)
class Variation:
    """One planned variation: its 1-based index, its seed and its parameters."""

    index: int
    seed: int
    params: dict[str, Any]

    @property
    def speed(self) -> float:
        """Playback speed factor (output duration = source duration / speed)."""
        return float(self.params.get("speed", 1.0))


def params_for_seed(profile: EffectsProfile, seed: int) -> Params:
    """The parameters a seed gives under a profile; effects not drawn are left out."""
    rng = random.Random(seed)
    params: Params = {}
    for spec in profile.effects:
        draw = Draw.take(rng, spec)
        if draw.applies:
            params.update(CATALOGUE[spec.name].draw(draw))
    return params


def _vector(profile: EffectsProfile, params: Params) -> list[float]:
    """Each parameter mapped to [0, 1] over its range (neutral when not applied)."""
    vec: list[float] = []
    for spec in profile.effects:
        vec += CATALOGUE[spec.name].vector(params, spec)
    return vec


def distance(profile: EffectsProfile, a: Params, b: Params) -> float:
    """RMS distance of two parameter sets in the profile's normalised space (0…1)."""
    va, vb = _vector(profile, a), _vector(profile, b)
    if not va:
        return 0.0
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(va, vb, strict=True)) / len(va))


def file_seed(*parts: str) -> int:
    """A stable base seed from the job id, the file name and a salt."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:4], "big") % SEED_LIMIT


def plan_variations(
    profile: EffectsProfile, count: int, base_seed: int, avoid: list[Params] | None = None
) -> list[Variation]:
    """`count` parameter sets, pairwise at least `profile.min_distance` apart.

    `avoid` lists parameter sets already used (kept variations when re-planning).
    Raises PlanError before any encoding when the profile cannot give that many.
    """
    rng = random.Random(base_seed)
    taken = list(avoid or [])
    chosen: list[Variation] = []
    for _ in range(MAX_CANDIDATES):
        if len(chosen) == count:
            break
        seed = rng.randrange(1, SEED_LIMIT)
        params = params_for_seed(profile, seed)
        if any(
            params == other or distance(profile, params, other) < profile.min_distance
            for other in taken
        ):
            continue
        taken.append(params)
        chosen.append(Variation(index=len(chosen) + 1, seed=seed, params=params))
    if len(chosen) < count:
        raise PlanError(
            f"effects profile {profile.name!r} cannot give {count} variations that differ by "
            f"at least {profile.min_distance:g} (found {len(chosen)}); widen its ranges, enable "
            "more effects, lower min_distance or ask for fewer variations"
        )
    return chosen


def replace_variations(
    plan: list[Variation],
    indices: list[int],
    profile: EffectsProfile,
    base_seed: int,
    tried: list[Params] | None = None,
) -> tuple[list[Variation], list[Variation]]:
    """`plan` with the variations at `indices` drawn anew, apart from every one in it
    and in `tried`; returns (the new plan, the newcomers).

    Raises PlanError when the profile has nothing further to offer.
    """
    avoid = [v.params for v in plan] + list(tried or [])
    fresh = plan_variations(profile, len(indices), base_seed, avoid=avoid)
    newcomers = [
        Variation(index=i, seed=v.seed, params=v.params)
        for i, v in zip(indices, fresh, strict=True)
    ]
    by_index = {v.index: v for v in newcomers}
    return [by_index.get(v.index, v) for v in plan], newcomers
