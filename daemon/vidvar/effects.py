"""Seeded, unique variation parameters and the ffmpeg filter chain of each.

A variation is fully described by its seed and its profile: the same seed gives
the same parameters, the same filter chain and so a byte-identical output.
Uniqueness is planned, not hoped for: candidates closer than the profile's
`min_distance` (RMS over normalised parameters) to an accepted one are rejected.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vidvar.config import EFFECT_DEFAULTS, EffectSpec, EffectsProfile
from vidvar.errors import PlanError

__all__ = ["PlanError"]

MAX_CANDIDATES = 5000
SEED_LIMIT = 2**31 - 1


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


def _neutral(name: str) -> float:
    return EFFECT_DEFAULTS[name][2]


def params_for_seed(profile: EffectsProfile, seed: int) -> dict[str, Any]:
    """The parameters a seed gives under a profile; effects not drawn are left out."""
    rng = random.Random(seed)
    params: dict[str, Any] = {}
    for spec in profile.effects:
        # Draw every value whether or not the effect applies, so that toggling one
        # effect's probability does not reshuffle the others.
        applies = rng.random() < spec.probability
        value = rng.uniform(spec.low, spec.high)
        extra = (rng.random(), rng.random(), rng.choice((-1, 1)), rng.randrange(1, SEED_LIMIT))
        if not applies:
            continue
        if spec.name == "mirror":
            params["mirror"] = True
        elif spec.name == "rotation":
            params["rotation"] = round(value * extra[2], 6)
        elif spec.name == "zoom":
            params["zoom"] = round(value, 4)
            params["zoom_x"] = round(extra[0], 4)
            params["zoom_y"] = round(extra[1], 4)
        elif spec.name == "grain":
            params["grain"] = round(value)
            params["grain_seed"] = extra[3]
        else:
            params[spec.name] = round(value, 4)
    return params


def _vector(profile: EffectsProfile, params: dict[str, Any]) -> list[float]:
    """Each parameter mapped to [0, 1] over its range (neutral when not applied)."""
    vec: list[float] = []

    def norm(spec: EffectSpec, value: float, low: float, high: float) -> float:
        return 0.0 if high <= low else (value - low) / (high - low)

    for spec in profile.effects:
        if spec.name == "mirror":
            vec.append(1.0 if params.get("mirror") else 0.0)
        elif spec.name == "rotation":
            vec.append(norm(spec, float(params.get("rotation", 0.0)), -spec.high, spec.high))
        elif spec.name == "zoom":
            vec.append(norm(spec, float(params.get("zoom", _neutral("zoom"))), spec.low, spec.high))
            vec.append(float(params.get("zoom_x", 0.5)))
            vec.append(float(params.get("zoom_y", 0.5)))
        else:
            vec.append(
                norm(spec, float(params.get(spec.name, _neutral(spec.name))), spec.low, spec.high)
            )
    return vec


def distance(profile: EffectsProfile, a: dict[str, Any], b: dict[str, Any]) -> float:
    """RMS distance of two parameter sets in the profile's normalised space (0…1)."""
    va, vb = _vector(profile, a), _vector(profile, b)
    if not va:
        return 0.0
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(va, vb, strict=True)) / len(va))


def file_seed(*parts: str) -> int:
    """A stable base seed from the job id, the file name and a salt."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % SEED_LIMIT


def plan_variations(
    profile: EffectsProfile, count: int, base_seed: int, avoid: list[dict[str, Any]] | None = None
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


def _f(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def _window(params: dict[str, Any], aspect: float) -> str | None:
    """One `perspective` pass for rotation + off-centre zoom, or None when neither applies.

    The source quadrilateral is the crop window (1/zoom of the frame, shifted off
    centre) turned by the rotation angle; perspective maps it onto the whole output
    frame, so rotation, crop and scale-back cost one interpolation instead of three,
    and the output keeps the input's exact size. Sizes are expressions of W/H, never
    probed numbers; `aspect` (display width/height) only bounds the zoom that keeps
    the turned window inside the picture (no black corners).
    """
    angle = float(params.get("rotation", 0.0))
    ratio = max(aspect, 1.0 / aspect) if aspect > 0 else 2.4
    needed = math.cos(abs(angle)) + math.sin(abs(angle)) * ratio if angle else 1.0
    zoom = max(float(params.get("zoom", 1.0)), needed)
    if zoom <= 1.0 and not angle:
        return None
    # Room left after the rotation's corners decides how far off centre we may go.
    room = 0.0 if zoom <= needed else min(1.0, (zoom - needed) / (zoom - 1.0)) * 0.95
    fx = (float(params.get("zoom_x", 0.5)) - 0.5) * room
    fy = (float(params.get("zoom_y", 0.5)) - 0.5) * room
    cos_a, sin_a, inv = _f(math.cos(angle)), _f(math.sin(angle)), _f(1.0 / zoom)
    cx = f"(W/2+(W-W*{inv})*{_f(fx)})"
    cy = f"(H/2+(H-H*{inv})*{_f(fy)})"
    hw, hh = f"(W*{inv}/2)", f"(H*{inv}/2)"
    points = []
    for index, (sx, sy) in enumerate(((-1, -1), (1, -1), (-1, 1), (1, 1))):
        dx = f"{'-' if sx < 0 else ''}{hw}"
        dy = f"{'-' if sy < 0 else ''}{hh}"
        points.append(f"x{index}='{cx}+({dx})*{cos_a}-({dy})*{sin_a}'")
        points.append(f"y{index}='{cy}+({dx})*{sin_a}+({dy})*{cos_a}'")
    return "perspective=" + ":".join(points) + ":interpolation=linear:sense=source"


def video_graph(
    params: dict[str, Any],
    aspect: float,
    src: str,
    dst: str,
    fps: float | None = None,
    tap: Callable[[str], str] | None = None,
) -> str:
    """The per-variation video filter graph from label `src` to label `dst`.

    The input is already even-sized, square-pixel yuv420p, and every filter here
    keeps its size, so the output has the source's display size. `tap` (input label
    → graph segment) branches the finished picture off before retiming, so that
    samples are taken at the source's moments.
    """
    filters: list[str] = []
    if params.get("mirror"):
        filters.append("hflip")
    window = _window(params, aspect)
    if window:
        filters.append(window)
    eq = [
        f"{key}={_f(float(params[key]))}"
        for key in ("brightness", "contrast", "saturation", "gamma")
        if key in params
    ]
    if eq:
        filters.append("eq=" + ":".join(eq))
    if "hue" in params:
        filters.append(f"hue=h={_f(float(params['hue']))}")
    if params.get("grain"):
        filters.append(
            f"noise=alls={int(params['grain'])}:allf=t:all_seed={int(params['grain_seed'])}"
        )
    head = ""
    if tap:
        filters.append(f"split=2[{dst}e][{dst}t];{tap(dst + 't')}")
        head = f"[{dst}e]"
        graph = f"[{src}]{','.join(filters)};"
        filters = []
    else:
        graph = f"[{src}]"
    speed = float(params.get("speed", 1.0))
    if speed != 1.0:
        filters.append(f"setpts=PTS/{_f(speed)}")
    if fps:
        filters.append(f"fps={_f(fps)}")
    filters.append("setsar=1,format=yuv420p")
    return f"{graph}{head}{','.join(filters)}[{dst}]"


def audio_chain(params: dict[str, Any]) -> str:
    """The per-variation audio filters: tempo matching the video speed, then volume."""
    filters = []
    speed = float(params.get("speed", 1.0))
    if speed != 1.0:
        filters.append(f"atempo={_f(speed)}")
    if "volume" in params:
        filters.append(f"volume={_f(float(params['volume']))}")
    return ",".join(filters) or "anull"


def describe(params: dict[str, Any]) -> str:
    """A short human label of the strongest effects (for logs and previews)."""
    parts = []
    if params.get("mirror"):
        parts.append("mirror")
    if "zoom" in params:
        parts.append(f"zoom {params['zoom']:.2f}")
    if "rotation" in params:
        parts.append(f"rot {math.degrees(params['rotation']):+.2f}°")
    if "speed" in params:
        parts.append(f"speed {params['speed']:.3f}")
    if "hue" in params:
        parts.append(f"hue {params['hue']:+.1f}")
    return ", ".join(parts) or "no effect"
