"""The ffmpeg filter chain of one variation, composed from the catalogue's fragments.

Stages run in a fixed order: mirror, geometry (rotation and off-centre zoom in
one `perspective` pass; a zoom alone as crop + scale), eq (brightness,
contrast, saturation, gamma), hue, grain; then the tap for samples and
thumbnails, then speed and frame rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from vidvar.effects.catalogue import CATALOGUE, LABEL_ORDER, Params, number


def _stage(params: Params, stage: str) -> list[str]:
    return [f for e in CATALOGUE.values() if e.stage == stage if (f := e.filter(params))]


@dataclass(frozen=True)
class Picture:
    """What a variation's filters receive: its display aspect (width / height), and its
    exact size in pixels when known (ffmpeg.commands.common_size), else None."""

    aspect: float
    size: tuple[int, int] | None = None


# A turn that moves no corner of the frame by this many pixels is not drawn: nobody
# sees it, and leaving it out lets a zoom take the cheap path (see _geometry).
ROTATION_VISIBLE_PIXELS = 0.5
# How far off centre the zoom window may go, as a share of the room it has.
OFF_CENTRE = 0.95


def visible_rotation(params: Params, size: tuple[int, int] | None) -> float:
    """The variation's rotation, or 0.0 when it would move no corner by half a pixel
    (always the rotation when the size is not known)."""
    angle = float(params.get("rotation", 0.0))
    if size is None:
        return angle
    half_diagonal = math.hypot(*size) / 2
    return angle if abs(angle) * half_diagonal >= ROTATION_VISIBLE_PIXELS else 0.0


def _geometry(params: Params, picture: Picture) -> str | None:
    """The geometry stage: perspective for a turn, crop + scale for a zoom alone.

    `perspective` resamples every pixel through a per-pixel map in plain C: at 720p it
    costs about as much as the x264 encode itself. A zoom without a turn is a crop and
    a scale-back, which swscale does with SIMD for a fraction of that (python -m bench
    effects); the picture is the same but for the crop window landing on whole, even
    pixels (a sub-pixel shift of a randomly placed window). Crop + scale needs the
    exact size; without it (non-square source pixels) perspective does the zoom too.
    """
    angle = visible_rotation(params, picture.size)
    if angle or picture.size is None:
        return _window({**params, "rotation": angle}, picture.aspect)
    width, height = picture.size
    zoom = float(params.get("zoom", 1.0))
    crop_w, crop_h = max(2, _even(width / zoom)), max(2, _even(height / zoom))
    if zoom <= 1.0 or (crop_w, crop_h) == (width, height):
        return None
    left = _offset(width, crop_w, float(params.get("zoom_x", 0.5)))
    top = _offset(height, crop_h, float(params.get("zoom_y", 0.5)))
    return f"crop={crop_w}:{crop_h}:{left}:{top},scale={width}:{height}:flags=bilinear"


def _even(value: float) -> int:
    """The nearest even whole number (4:2:0 chroma: crops start and end on even pixels)."""
    return round(value / 2) * 2


def _offset(full: int, window: int, where: float) -> int:
    """The window's left (top) edge, placed as _window places it without a turn."""
    centre = full / 2 + (full - window) * (where - 0.5) * OFF_CENTRE
    return min(full - window, max(0, _even(centre - window / 2)))


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
    room = 0.0 if zoom <= needed else min(1.0, (zoom - needed) / (zoom - 1.0)) * OFF_CENTRE
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


Point = tuple[float, float]


def warp(params: Params, picture: Picture) -> Callable[[Point], Point]:
    """Where a point of the source picture (pixels of `picture`) lands in the variation's
    picture: the mirror and the geometry stage, as look_filters draws them. A placement
    crop follows the subject through it (quality.framing)."""
    width, height = picture.size or (picture.aspect * 1000.0, 1000.0)
    mirrored = bool(params.get("mirror"))
    angle = visible_rotation(params, picture.size)
    zoom = float(params.get("zoom", 1.0))
    if not angle and picture.size is not None:
        cheap = _geometry(params, picture)
        if cheap is None:
            zoom, left, top, scale_x, scale_y = 1.0, 0.0, 0.0, 1.0, 1.0
        else:
            crop_w, crop_h = max(2, _even(width / zoom)), max(2, _even(height / zoom))
            left = _offset(int(width), crop_w, float(params.get("zoom_x", 0.5)))
            top = _offset(int(height), crop_h, float(params.get("zoom_y", 0.5)))
            scale_x, scale_y = width / crop_w, height / crop_h

        def through_crop(point: Point) -> Point:
            x, y = point
            x = width - x if mirrored else x
            return (x - left) * scale_x, (y - top) * scale_y

        return through_crop
    turned = {**params, "rotation": angle}
    centre_x, centre_y, half_w, half_h, cos_a, sin_a = _window_frame(turned, picture.aspect)

    def through_window(point: Point) -> Point:
        x, y = point
        x = width - x if mirrored else x
        dx, dy = x - centre_x * width, y - centre_y * height
        a = (dx * cos_a + dy * sin_a) / (half_w * width)  # -1…1 across the output
        b = (-dx * sin_a + dy * cos_a) / (half_h * height)
        return (a + 1) / 2 * width, (b + 1) / 2 * height

    return through_window


def _window_frame(params: Params, aspect: float) -> tuple[float, float, float, float, float, float]:
    """_window's source window: its centre and half sizes (shares of the frame), and the
    cosine and sine of its turn."""
    angle = float(params.get("rotation", 0.0))
    ratio = max(aspect, 1.0 / aspect) if aspect > 0 else 2.4
    needed = math.cos(abs(angle)) + math.sin(abs(angle)) * ratio if angle else 1.0
    zoom = max(float(params.get("zoom", 1.0)), needed)
    if zoom <= 1.0 and not angle:
        return 0.5, 0.5, 0.5, 0.5, 1.0, 0.0
    room = 0.0 if zoom <= needed else min(1.0, (zoom - needed) / (zoom - 1.0)) * OFF_CENTRE
    fx = (float(params.get("zoom_x", 0.5)) - 0.5) * room
    fy = (float(params.get("zoom_y", 0.5)) - 0.5) * room
    inv = 1.0 / zoom
    return (
        0.5 + (1 - inv) * fx,
        0.5 + (1 - inv) * fy,
        inv / 2,
        inv / 2,
        math.cos(angle),
        math.sin(angle),
    )


def look_filters(params: Params, picture: Picture) -> list[str]:
    """The filters that change how a frame looks (everything but timing), in stage order:
    what the samples see, and what an audition renders (vidvar.engine.audition)."""
    filters = _stage(params, "mirror")
    geometry = _geometry(params, picture)
    if geometry:
        filters.append(geometry)
    eq = _stage(params, "eq")
    if eq:
        filters.append("eq=" + ":".join(eq))
    filters += [f"hue={h}" for h in _stage(params, "hue")]
    filters += _stage(params, "grain")
    return filters


def video_graph(
    params: Params,
    picture: Picture,
    src: str,
    dst: str,
    fps: float | None = None,
    tap: Callable[[str], str] | None = None,
) -> str:
    """The per-variation video filter graph from label `src` to label `dst`.

    The input is already even-sized, square-pixel yuv420p (`picture`), and every
    filter here keeps its size, so the output has the source's display size. `tap` (input label
    → graph segment) branches the finished picture off before retiming, so that
    samples are taken at the source's moments.
    """
    filters = look_filters(params, picture)
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
