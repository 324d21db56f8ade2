"""The ffmpeg filter chain of one variation, composed from the catalogue's fragments.

Stages run in a fixed order: mirror, geometry (rotation and off-centre zoom in
one `perspective` pass), eq (brightness, contrast, saturation, gamma), hue,
grain; then the tap for samples and thumbnails, then speed and frame rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from vidvar.effects.catalogue import CATALOGUE, LABEL_ORDER, Params, number


def _stage(params: Params, stage: str) -> list[str]:
    return [f for e in CATALOGUE.values() if e.stage == stage if (f := e.filter(params))]


def _window(params: Params, aspect: float) -> str | None:
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
    cos_a, sin_a, inv = number(math.cos(angle)), number(math.sin(angle)), number(1.0 / zoom)
    cx = f"(W/2+(W-W*{inv})*{number(fx)})"
    cy = f"(H/2+(H-H*{inv})*{number(fy)})"
    hw, hh = f"(W*{inv}/2)", f"(H*{inv}/2)"
    points = []
    for index, (sx, sy) in enumerate(((-1, -1), (1, -1), (-1, 1), (1, 1))):
        dx = f"{'-' if sx < 0 else ''}{hw}"
        dy = f"{'-' if sy < 0 else ''}{hh}"
        points.append(f"x{index}='{cx}+({dx})*{cos_a}-({dy})*{sin_a}'")
        points.append(f"y{index}='{cy}+({dx})*{sin_a}+({dy})*{cos_a}'")
    return "perspective=" + ":".join(points) + ":interpolation=linear:sense=source"


def video_graph(
    params: Params,
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
    filters = _stage(params, "mirror")
    window = _window(params, aspect)
    if window:
        filters.append(window)
    eq = _stage(params, "eq")
    if eq:
        filters.append("eq=" + ":".join(eq))
    filters += [f"hue={h}" for h in _stage(params, "hue")]
    filters += _stage(params, "grain")
    head = ""
    if tap:
        filters.append(f"split=2[{dst}e][{dst}t];{tap(dst + 't')}")
        head = f"[{dst}e]"
        graph = f"[{src}]{','.join(filters)};"
        filters = []
    else:
        graph = f"[{src}]"
    filters += _stage(params, "speed")
    if fps:
        filters.append(f"fps={number(fps)}")
    filters.append("setsar=1,format=yuv420p")
    return f"{graph}{head}{','.join(filters)}[{dst}]"


def audio_chain(params: Params) -> str:
    """The per-variation audio filters: tempo matching the video speed, then volume."""
    filters = [f for e in CATALOGUE.values() if (f := e.audio(params))]
    return ",".join(filters) or "anull"


def describe(params: Params) -> str:
    """A short human label of the strongest effects (for logs and previews)."""
    parts = [label for name in LABEL_ORDER if (label := CATALOGUE[name].describe(params))]
    return ", ".join(parts) or "no effect"
