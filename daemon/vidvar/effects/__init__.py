"""Variation effects: the catalogue, seeded planning and the filter chain of each.

- `catalogue`: one object per effect (draw, normalise, filter, describe)
- `plan`: seeded parameter sets kept apart in normalised space
- `graph`: the ffmpeg filter chain of one variation
"""

from vidvar.effects.catalogue import (
    CATALOGUE,
    EffectSpec,
    EffectsProfile,
    default_effects_profile,
)
from vidvar.effects.graph import (
    Picture,
    audio_chain,
    describe,
    look_filters,
    video_graph,
    warp,
)
from vidvar.effects.plan import (
    Variation,
    distance,
    file_seed,
    params_for_seed,
    plan_variations,
    replace_variations,
)

__all__ = [
    "CATALOGUE",
    "EffectSpec",
    "EffectsProfile",
    "Picture",
    "Variation",
    "audio_chain",
    "default_effects_profile",
    "describe",
    "distance",
    "file_seed",
    "look_filters",
    "params_for_seed",
    "plan_variations",
    "replace_variations",
    "video_graph",
    "warp",
]
