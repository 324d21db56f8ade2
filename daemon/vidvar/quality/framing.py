"""Framing on the subject: where the subject is in each analysed moment, and the path of
a placement format's crop window that keeps it in view.

The analysis reads small gray frames of the source (ffmpeg.placing.analysis_args)
and scdet's shot cuts. In each frame the subject is the faces (OpenCV's Haar
cascade, shipped inside opencv-python-headless), else what moves (frame
differences), else what stands out (spectral-residual saliency). The camera path
works like AutoFlip's modes: per shot, a stationary window when one window holds
the subject throughout, else a window that follows it through a dead zone, eased,
and never lets its box out while the box fits; every cut starts afresh. A file
with nothing salient gets a centre crop, and says so.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vidvar.ffmpeg.placing import ANALYSIS_FPS, Segment

Box = tuple[float, float, float, float]  # left, top, right, bottom: shares of the picture
Point = tuple[float, float]
Frames = npt.NDArray[np.uint8]  # (count, height, width) gray

MOTION_LEVEL = 24  # a pixel moved when its gray level changed by this much
MOTION_SHARE = 0.002  # and something moved when this share of the picture did
SALIENCY_PEAK = 15.0  # a salient spot is this many times the map's mean (a gradient peaks
# at 3, a texture at 11, an object on either and a photo at 20-40: measured on test images)
MIN_DETAIL = 1.0  # a picture with less gray-level curvature than this shows no object
SALIENT_AREA = 0.4  # and covers at most this share of the picture
DEAD_ZONE = 0.1  # of the window: the subject may wander this far before the window moves
EASE_SECONDS = 0.4  # the easing's spread (a Gaussian's sigma) along the path
FACE_MARGIN = (1.0, 0.5, 1.0, 1.6)  # a face's box grown by these shares of it: head, shoulders


@dataclass(frozen=True)
class SubjectTrack:
    """The subject's box at each analysed moment (None where nothing was found), the
    shot cuts, and how it was found."""

    times: tuple[float, ...]
    boxes: tuple[Box | None, ...]
    cuts: tuple[float, ...]
    duration: float
    faces: int = 0  # moments with a face

    @property
    def found(self) -> bool:
        return any(b is not None for b in self.boxes)


@functools.cache
def _face_detector() -> object:
    import cv2

    # The cascades ship inside the wheel (cv2/data): nothing is fetched at run time.
    path = Path(cv2.__file__).parent / "data" / "haarcascade_frontalface_default.xml"
    return cv2.CascadeClassifier(str(path))


def faces(frame: Frames) -> list[Box]:
    """The faces in one gray frame, as boxes grown to head and shoulders."""
    height, width = frame.shape
    smallest = max(16, min(width, height) // 16)
    found = _face_detector().detectMultiScale(  # type: ignore[attr-defined]
        frame, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest)
    )
    boxes = []
    for x, y, w, h in found:
        left, up, right, down = FACE_MARGIN
        boxes.append(
            (
                max(0.0, (x - left * w) / width),
                max(0.0, (y - up * h) / height),
                min(1.0, (x + w + right * w) / width),
                min(1.0, (y + h + down * h) / height),
            )
        )
    if not boxes:
        return []
    largest = max((b[2] - b[0]) * (b[3] - b[1]) for b in boxes)
    # A far smaller "face" beside a real one is most often the cascade's mistake.
    return [b for b in boxes if (b[2] - b[0]) * (b[3] - b[1]) >= largest / 4]


def motion(previous: Frames, frame: Frames) -> Box | None:
    """Where the picture changed since the previous moment (the bulk of it)."""
    moved = np.abs(frame.astype(np.int16) - previous.astype(np.int16)) > MOTION_LEVEL
    if moved.mean() < MOTION_SHARE:
        return None
    return _bulk(moved)


def saliency(frame: Frames) -> Box | None:
    """What stands out (Hou and Zhang's spectral residual), when something clearly does."""
    small: npt.NDArray[np.float64] = frame[
        :: max(1, frame.shape[0] // 64), :: max(1, frame.shape[1] // 64)
    ].astype(np.float64)
    detail = np.abs(np.diff(small, 2, axis=0)).mean() + np.abs(np.diff(small, 2, axis=1)).mean()
    if detail < MIN_DETAIL:
        return None  # smooth all over (a gradient, a wall): its "peaks" are rounding noise
    small -= float(small.mean())
    # A Hann window: the transform sees the picture repeated, and the seam between
    # its left and right edges (a gradient's, say) would stand out more than anything.
    small *= np.outer(np.hanning(small.shape[0]), np.hanning(small.shape[1]))
    spectrum = np.fft.fft2(small)
    log_amplitude = np.log(np.abs(spectrum) + 1e-6)
    kernel = np.ones((3, 3), np.float32) / 9
    residual = log_amplitude - _filter(log_amplitude, kernel)
    smap = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    smap = _filter(smap, np.ones((5, 5), np.float32) / 25)
    # The transform wraps the picture round: its edges look salient to it, so they do
    # not count (a plain gradient would otherwise "stand out" at its borders).
    rim_y, rim_x = max(1, smap.shape[0] // 10), max(1, smap.shape[1] // 10)
    smap[:rim_y], smap[-rim_y:], smap[:, :rim_x], smap[:, -rim_x:] = 0, 0, 0, 0
    mean = float(smap.mean())
    if mean <= 0 or float(smap.max()) < SALIENCY_PEAK * mean:
        return None
    box = _bulk(smap > SALIENCY_PEAK * mean / 2)
    if box is None or (box[2] - box[0]) * (box[3] - box[1]) > SALIENT_AREA:
        return None  # spread over the picture: nothing in particular stands out
    return box


def _filter(image: npt.NDArray[Any], kernel: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    import cv2

    filtered = cv2.filter2D(
        image.astype(np.float32), -1, kernel.astype(np.float32), borderType=cv2.BORDER_REFLECT
    )
    return np.asarray(filtered, dtype=np.float32)


def _bulk(mask: npt.NDArray[np.bool_]) -> Box | None:
    """The box holding the middle 90 % of a mask's pixels, as shares of the picture."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    height, width = mask.shape
    x0, x1 = np.percentile(xs, (5, 95))
    y0, y1 = np.percentile(ys, (5, 95))
    return (x0 / width, y0 / height, (x1 + 1) / width, (y1 + 1) / height)


def track(frames: Frames, cuts: Sequence[float], duration: float) -> SubjectTrack:
    """The subject at each analysed frame (the n-th at n / ANALYSIS_FPS seconds)."""
    times, boxes, with_faces = [], [], 0
    cut_frames = {int(c * ANALYSIS_FPS + 0.999) for c in cuts}
    for n, frame in enumerate(frames):
        found = faces(frame)
        box: Box | None
        if found:
            with_faces += 1
            box = _union(found)
        else:
            same_shot = n > 0 and n not in cut_frames
            box = motion(frames[n - 1], frame) if same_shot else None
            box = box or saliency(frame)
        times.append(n / ANALYSIS_FPS)
        boxes.append(box)
    return SubjectTrack(tuple(times), tuple(boxes), tuple(cuts), duration, with_faces)


def _union(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def load_frames(path: Path, size: tuple[int, int]) -> Frames:
    """The raw gray analysis frames of `path`, as (count, height, width)."""
    width, height = size
    data = np.fromfile(path, dtype=np.uint8)
    count = data.size // (width * height)
    return data[: count * width * height].reshape(count, height, width)


# -- the camera path ------------------------------------------------------------------


@dataclass(frozen=True)
class CameraPath:
    """A crop window's edges over the variation's timeline, and how it was framed."""

    x: tuple[Segment, ...]
    y: tuple[Segment, ...]
    framing: str  # "tracked" or "centre"
    fits: bool = True  # False: the subject was at times wider (taller) than the window


def camera_path(
    subject: SubjectTrack,
    warp: Callable[[Point], Point],
    picture: tuple[int, int],
    window: tuple[int, int],
    speed: float = 1.0,
) -> CameraPath:
    """The path of a `window`-sized crop over a variation's `picture` (its size) that
    keeps the subject in view; `warp` maps a source pixel into the variation's picture
    (effects.warp) and `speed` its time (the variation runs 1 / speed as long)."""
    if not subject.found:
        return CameraPath((), (), "centre")
    width, height = picture
    mapped = [_mapped(box, warp, width, height) for box in subject.boxes]
    shots = _shots(subject)
    starts = _shot_starts(subject, shots)
    ends = [*starts[1:], subject.duration]
    x_axis, fits_x = _axis(subject.times, shots, [_span(b, 0) for b in mapped], window[0], width)
    y_axis, fits_y = _axis(subject.times, shots, [_span(b, 1) for b in mapped], window[1], height)
    scale = 1.0 / speed
    return CameraPath(
        tuple(_segments(subject.times, x_axis, shots, (starts, ends), scale, width - window[0]))
        if window[0] < width
        else (),
        tuple(_segments(subject.times, y_axis, shots, (starts, ends), scale, height - window[1]))
        if window[1] < height
        else (),
        "tracked",
        fits_x and fits_y,
    )


def _mapped(box: Box | None, warp: Callable[[Point], Point], width: int, height: int) -> Box | None:
    """A source box through the variation's warp: the box around its mapped corners."""
    if box is None:
        return None
    corners = [warp((box[i] * width, box[j] * height)) for i, j in ((0, 1), (2, 1), (0, 3), (2, 3))]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (max(0.0, min(xs)), max(0.0, min(ys)), min(width, max(xs)), min(height, max(ys)))


def _span(box: Box | None, axis: int) -> tuple[float, float] | None:
    return None if box is None else (box[axis], box[axis + 2])


def _shots(subject: SubjectTrack) -> list[range]:
    """The analysed moments of each shot, as index ranges."""
    edges = [0]
    for cut in sorted(subject.cuts):
        index = next((i for i, t in enumerate(subject.times) if t >= cut), len(subject.times))
        if edges[-1] < index < len(subject.times):
            edges.append(index)
    edges.append(len(subject.times))
    return [range(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _shot_starts(subject: SubjectTrack, shots: list[range]) -> list[float]:
    """When each shot begins: 0, then the cut that opened it (not its first analysed
    moment, which can come up to 1 / ANALYSIS_FPS later)."""
    starts = []
    for shot in shots:
        first = subject.times[shot.start]
        cut = max((c for c in subject.cuts if c <= first), default=0.0)
        starts.append(cut if shot.start else 0.0)
    return starts


def _axis(
    times: Sequence[float],
    shots: list[range],
    spans: list[tuple[float, float] | None],
    window: int,
    full: int,
) -> tuple[list[float], bool]:
    """The window's low edge at each moment along one axis, and whether the subject
    always fitted in it."""
    if window >= full:
        return [0.0] * len(times), True
    edges: list[float] = [0.0] * len(times)
    fits = True
    for shot in shots:
        known = [s for i in shot if (s := spans[i]) is not None]
        if not known:
            edges[shot.start : shot.stop] = [(full - window) / 2] * len(shot)
            continue
        held = _held(spans, shot)
        low = min(s[0] for s in known)
        high = max(s[1] for s in known)
        if high - low <= window:  # stationary: one window holds it all
            place = min(max((low + high - window) / 2, 0.0), full - window)
            edges[shot.start : shot.stop] = [place] * len(shot)
            continue
        centres = _follow([(s[0] + s[1]) / 2 for s in held], window * DEAD_ZONE)
        eased = _ease(centres, [times[i] for i in shot])
        for k, i in enumerate(shot):
            lo, hi = held[k]
            fits = fits and hi - lo <= window
            edge = eased[k] - window / 2
            if hi - lo <= window:  # the subject's box stays whole while it fits
                edge = min(max(edge, hi - window), lo)
            edges[i] = min(max(edge, 0.0), full - window)
    return edges, fits


def _held(spans: list[tuple[float, float] | None], shot: range) -> list[tuple[float, float]]:
    """Each moment's span, a moment without one holding the nearest known."""
    known = [(i, s) for i in shot if (s := spans[i]) is not None]
    return [min(known, key=lambda k: abs(k[0] - i))[1] for i in shot]


def _follow(centres: list[float], dead_zone: float) -> list[float]:
    """The window's centre dragged by the subject's once it leaves the dead zone."""
    position = centres[0]
    path = []
    for centre in centres:
        if centre > position + dead_zone:
            position = centre - dead_zone
        elif centre < position - dead_zone:
            position = centre + dead_zone
        path.append(position)
    return path


def _ease(values: list[float], times: list[float]) -> list[float]:
    """A Gaussian-weighted mean along the path: starts and stops glide."""
    t = np.asarray(times)
    v = np.asarray(values)
    weights = np.exp(-(((t[:, None] - t[None, :]) / EASE_SECONDS) ** 2) / 2)
    return list((weights @ v) / weights.sum(axis=1))


def _segments(
    times: Sequence[float],
    edges: list[float],
    shots: list[range],
    bounds: tuple[list[float], list[float]],
    scale: float,
    room: float,
) -> list[Segment]:
    """The edge as straight pieces between moments (times scaled to the variation's),
    jumping at each cut, with pieces that add nothing merged. Each shot's last move
    runs on to the shot's end (the subject keeps going after its last analysed moment),
    within the picture (`room`: how far the edge may go), then holds still."""
    pieces: list[Segment] = []
    for shot, start, end in zip(shots, *bounds, strict=True):
        points = [(times[i] * scale, edges[i]) for i in shot]
        if start * scale < points[0][0]:
            points.insert(0, (start * scale, points[0][1]))
        if len(points) > 1 and end * scale > points[-1][0]:
            (t0, e0), (t1, e1) = points[-2], points[-1]
            onward = e1 + (e1 - e0) / (t1 - t0) * (end * scale - t1) if t1 > t0 else e1
            points.append((end * scale, min(max(onward, 0.0), room)))
        for (t0, e0), (t1, e1) in itertools.pairwise(points):
            last = pieces[-1] if pieces else None
            if last is not None and last.until == t0 and _continues(last, t1, e1):
                pieces[-1] = Segment(last.at, t1, last.start, e1)
            else:
                pieces.append(Segment(t0, t1, e0, e1))
        end, edge = points[-1]
        pieces.append(Segment(end, end, edge, edge))  # hold: no piece runs on past the shot
    return pieces


def _continues(last: Segment, t: float, edge: float, tolerance: float = 0.75) -> bool:
    """True when extending `last` to (t, edge) strays from the path by under `tolerance`
    pixels at the joint."""
    span = t - last.at
    if span <= 0 or last.until <= last.at:
        return False
    at_joint = last.start + (edge - last.start) * (last.until - last.at) / span
    return abs(at_joint - last.end) < tolerance


def largest_pan(path: CameraPath, full: int) -> float:
    """The path's fastest move, in picture widths (heights) per second."""
    speeds = [
        abs(s.end - s.start) / (s.until - s.at) / full for s in (*path.x, *path.y) if s.until > s.at
    ]
    return max(speeds, default=0.0)
