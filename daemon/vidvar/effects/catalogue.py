"""The effects catalogue: one object per effect, declaring everything about it.

Each effect knows its default range and probability, the limits a profile may
set, how it draws its parameters from a seeded generator, how they map to the
normalised space where variations are kept apart, which filter fragment it
adds, and how it is described in a label. Adding an effect means adding one
class here and listing it in CATALOGUE.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, ClassVar

SEED_LIMIT = 2**31 - 1
Params = dict[str, Any]


@dataclass(frozen=True)
class EffectSpec:
    """One effect of a profile: how often it applies and the range it draws from."""

    name: str
    probability: float
    low: float
    high: float


@dataclass(frozen=True)
class EffectsProfile:
    """A named set of effects; variations of one file stay `min_distance` apart
    (RMS over parameters normalised to their ranges, 0–1)."""

    name: str
    min_distance: float
    effects: tuple[EffectSpec, ...]


@dataclass(frozen=True)
class Draw:
    """The random values drawn for one effect of one variation, always all of them,
    so that toggling one effect's probability does not reshuffle the others."""

    applies: bool
    value: float  # uniform in [low, high]
    x: float  # uniform in [0, 1)
    y: float  # uniform in [0, 1)
    sign: int  # -1 or 1
    seed: int  # a seed of its own (noise)

    @classmethod
    def take(cls, rng: random.Random, spec: EffectSpec) -> Draw:
        """Draw in a fixed order: seeds recorded by earlier releases still reproduce."""
        applies = rng.random() < spec.probability
        value = rng.uniform(spec.low, spec.high)
        extra = (rng.random(), rng.random(), rng.choice((-1, 1)), rng.randrange(1, SEED_LIMIT))
        return cls(applies, value, extra[0], extra[1], extra[2], extra[3])


def _norm(value: float, low: float, high: float) -> float:
    return 0.0 if high <= low else (value - low) / (high - low)


class Effect:
    """A scalar effect: one parameter named after the effect, drawn from its range."""

    name: ClassVar[str]
    default_range: ClassVar[tuple[float, float]]
    limits: ClassVar[tuple[float, float]]  # what a profile may set the range to
    neutral: ClassVar[float]  # the value that changes nothing
    default_probability: ClassVar[float] = 1.0
    profile_probability: ClassVar[float] = 1.0  # when a profile lists it without one
    has_range: ClassVar[bool] = True
    stage: ClassVar[str] = ""  # where its filter goes in the chain (see effects.graph)
    note: ClassVar[str] = ""  # unit or caveat, for the documentation

    def draw(self, d: Draw) -> Params:
        """The parameters of one variation (empty when the effect does not apply)."""
        return {self.name: round(d.value, 4)}

    def vector(self, params: Params, spec: EffectSpec) -> list[float]:
        """Its parameters normalised to [0, 1] over the profile's range."""
        return [_norm(float(params.get(self.name, self.neutral)), spec.low, spec.high)]

    def filter(self, params: Params) -> str | None:
        """Its fragment for `stage`, or None when it does not apply."""
        return None

    def audio(self, params: Params) -> str | None:
        """Its audio filter, or None."""
        return None

    def describe(self, params: Params) -> str | None:
        """A short label for previews and logs, or None when not worth showing."""
        return None

    def default_spec(self) -> EffectSpec:
        """The spec of the built-in `default` profile."""
        low, high = self.default_range
        return EffectSpec(self.name, self.default_probability, low, high)


class _Eq(Effect):
    """brightness, contrast, saturation, gamma: one `eq` filter together."""

    stage = "eq"
    default_range = (0.95, 1.05)
    neutral = 1.0

    def filter(self, params: Params) -> str | None:
        return f"{self.name}={number(params[self.name])}" if self.name in params else None


class Brightness(_Eq):
    name = "brightness"
    default_range = (-0.05, 0.05)
    limits = (-0.5, 0.5)
    neutral = 0.0


class Contrast(_Eq):
    name = "contrast"
    limits = (0.5, 1.5)


class Saturation(_Eq):
    name = "saturation"
    limits = (0.0, 2.0)


class Gamma(_Eq):
    name = "gamma"
    limits = (0.5, 2.0)


class Hue(Effect):
    name = "hue"
    default_range = (-6.0, 6.0)
    limits = (-90.0, 90.0)
    neutral = 0.0
    stage = "hue"
    note = "degrees"

    def filter(self, params: Params) -> str | None:
        return f"h={number(params['hue'])}" if "hue" in params else None

    def describe(self, params: Params) -> str | None:
        return f"hue {params['hue']:+.1f}" if "hue" in params else None


class Rotation(Effect):
    """A small turn, either way; drawn as a magnitude and a sign."""

    name = "rotation"
    default_range = (0.001, 0.01)
    limits = (0.0, 0.2)
    neutral = 0.0
    stage = "geometry"
    note = "radians, random sign"

    def draw(self, d: Draw) -> Params:
        return {"rotation": round(d.value * d.sign, 6)}

    def vector(self, params: Params, spec: EffectSpec) -> list[float]:
        return [_norm(float(params.get("rotation", 0.0)), -spec.high, spec.high)]

    def describe(self, params: Params) -> str | None:
        return f"rot {math.degrees(params['rotation']):+.2f}°" if "rotation" in params else None


class Zoom(Effect):
    """An off-centre crop window of 1/zoom of the frame, scaled back to full size."""

    name = "zoom"
    default_range = (1.03, 1.08)
    limits = (1.0, 1.5)
    neutral = 1.0
    stage = "geometry"
    note = "crop 1/zoom of the frame, off centre, scaled back"

    def draw(self, d: Draw) -> Params:
        return {"zoom": round(d.value, 4), "zoom_x": round(d.x, 4), "zoom_y": round(d.y, 4)}

    def vector(self, params: Params, spec: EffectSpec) -> list[float]:
        return [
            _norm(float(params.get("zoom", self.neutral)), spec.low, spec.high),
            float(params.get("zoom_x", 0.5)),
            float(params.get("zoom_y", 0.5)),
        ]

    def describe(self, params: Params) -> str | None:
        return f"zoom {params['zoom']:.2f}" if "zoom" in params else None


class Speed(Effect):
    """Video and audio tempo together."""

    name = "speed"
    default_range = (0.97, 1.03)
    limits = (0.5, 2.0)
    neutral = 1.0
    stage = "speed"
    note = "video and audio tempo together"

    def filter(self, params: Params) -> str | None:
        speed = float(params.get("speed", 1.0))
        return f"setpts=PTS/{number(speed)}" if speed != 1.0 else None

    def audio(self, params: Params) -> str | None:
        speed = float(params.get("speed", 1.0))
        return f"atempo={number(speed)}" if speed != 1.0 else None

    def describe(self, params: Params) -> str | None:
        return f"speed {params['speed']:.3f}" if "speed" in params else None


class Grain(Effect):
    """Grain with a seed of its own, laid down as a still pattern.

    Moving grain (new noise every frame) made x264 spend up to 1.2x the CPU of the same
    variation without grain and then smoothed most of it away. A still pattern of half
    the amplitude (rounded down) leaves about as much grain in the output, for no
    extra encoding CPU: at strength 4, SSIM to the grainless encode 0.991 against the
    moving grain's 0.992, CPU 0.92x against 1.13x (python -m bench grain). Strengths
    keep their meaning: what a viewer gets at 4 is what moving noise of 4 left.
    """

    name = "grain"
    default_range = (2.0, 5.0)
    limits = (0.0, 40.0)
    neutral = 0.0
    stage = "grain"
    note = "noise strength, seeded per variation"

    def draw(self, d: Draw) -> Params:
        return {"grain": round(d.value), "grain_seed": d.seed}

    def filter(self, params: Params) -> str | None:
        if not params.get("grain"):
            return None
        amplitude = max(1, int(params["grain"]) // 2)
        return f"noise=alls={amplitude}:all_seed={int(params['grain_seed'])}"


class Volume(Effect):
    name = "volume"
    default_range = (0.9, 1.1)
    limits = (0.0, 2.0)
    neutral = 1.0

    def audio(self, params: Params) -> str | None:
        return f"volume={number(params['volume'])}" if "volume" in params else None


class Mirror(Effect):
    """A horizontal flip: off by default, since it breaks text and logos."""

    name = "mirror"
    default_range = (0.0, 1.0)
    limits = (0.0, 1.0)
    neutral = 0.0
    default_probability = 0.0
    profile_probability = 0.5
    has_range = False
    stage = "mirror"
    note = "horizontal flip; breaks text and logos"

    def draw(self, d: Draw) -> Params:
        return {"mirror": True}

    def vector(self, params: Params, spec: EffectSpec) -> list[float]:
        return [1.0 if params.get("mirror") else 0.0]

    def filter(self, params: Params) -> str | None:
        return "hflip" if params.get("mirror") else None

    def describe(self, params: Params) -> str | None:
        return "mirror" if params.get("mirror") else None


# The order of the built-in profile, and so of the draws: keep it.
CATALOGUE: dict[str, Effect] = {
    e.name: e
    for e in (
        Rotation(),
        Brightness(),
        Contrast(),
        Saturation(),
        Hue(),
        Gamma(),
        Zoom(),
        Speed(),
        Grain(),
        Volume(),
        Mirror(),
    )
}
# Labels list the strongest effects first.
LABEL_ORDER = ("mirror", "zoom", "rotation", "speed", "hue")


def default_effects_profile() -> EffectsProfile:
    """The built-in profile: every natural-looking effect, mirror off."""
    specs = tuple(effect.default_spec() for effect in CATALOGUE.values())
    return EffectsProfile(name="default", min_distance=0.15, effects=specs)


def number(value: float) -> str:
    """A filter argument: up to six decimals, no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"
