"""ffmpeg's side of placement formats: the framing analysis's decode, and the filters
that turn one variation's picture into one format (a moving crop, or the whole
picture over a blurred fill of itself)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vidvar.ffmpeg.probe import MediaInfo
from vidvar.ffmpeg.tools import ffmpeg, input_url

ANALYSIS_BOX = 384  # the analysis frames fit in this square: a face of 1/10 is ~38 pixels
ANALYSIS_FPS = 5.0  # subject positions per second; the camera path is eased between them
CUT_SIZE = 64  # scdet's frames: small enough to cost nothing, big enough to see a cut
CUT_THRESHOLD = 10.0  # scdet's score (0-100) from which a frame starts a new shot
# How long the commands of one moving crop may be, in the filter graph's one argument
# (Linux takes at most 128 KiB per argument); a longer path is simplified until it fits.
MAX_COMMAND_BYTES = 12_000


def analysis_size(info: MediaInfo) -> tuple[int, int]:
    """The analysis frames' size: the display picture fitted in ANALYSIS_BOX, even."""
    scale = ANALYSIS_BOX / max(info.width, info.height, 1)
    scale = min(scale, 1.0)
    return max(2, round(info.width * scale / 2) * 2), max(2, round(info.height * scale / 2) * 2)


def analysis_args(source: str, info: MediaInfo, frames: Path, cuts: Path) -> list[str]:
    """One low-resolution decode for framing: gray frames at ANALYSIS_FPS into `frames`
    (raw, analysis_size), and scdet's shot cuts as a framecrc list into `cuts` (one line
    per frame that starts a shot, with its timestamp).

    The picture is scaled down first and stays in the source's colour: the analysis
    needs where things are, not their exact tone, and a tone map at full size would cost
    more than the rest of it.
    """
    width, height = analysis_size(info)
    scale = f"scale={width}:{height}:flags=area"
    graph = (
        f"[0:v:0]{scale},setsar=1,format=gray,split=2[a][c];"
        # round=up: frame n is the one shown at n / fps (round=down gave one 0.16 s later)
        f"[a]fps={ANALYSIS_FPS:g}:round=up[frames];"
        f"[c]scale={CUT_SIZE}:{CUT_SIZE},format=yuv420p,"
        f"scdet=threshold={CUT_THRESHOLD:g}:sc_pass=1[cuts]"
    )
    return [
        *(ffmpeg(), "-hide_banner", "-nostdin", "-y", "-nostats", "-loglevel", "error"),
        *("-progress", "pipe:1", "-an", "-sn", "-dn", "-i", source),
        *("-filter_complex", graph),
        *("-map", "[frames]", "-fps_mode", "passthrough", "-f", "rawvideo"),
        *("-pix_fmt", "gray", input_url(frames)),
        *("-map", "[cuts]", "-fps_mode", "passthrough", "-c:v", "rawvideo", "-f", "framecrc"),
        input_url(cuts),
    ]


def read_cuts(text: str) -> list[float]:
    """The shot cuts (seconds) of analysis_args's framecrc list."""
    timebase = 0.0
    cuts = []
    for line in text.splitlines():
        if line.startswith("#tb 0:"):
            num, den = line.split(":", 1)[1].strip().split("/")
            timebase = int(num) / int(den)
        elif line and not line.startswith("#") and timebase:
            fields = [f.strip() for f in line.split(",")]
            cuts.append(int(fields[2]) * timebase)  # stream, dts, pts, duration, size, crc
    return cuts


@dataclass(frozen=True)
class Segment:
    """The crop window's left or top edge moving linearly from `start` to `end` pixels
    between two moments (seconds of the variation's own timeline)."""

    at: float
    until: float
    start: float
    end: float


@dataclass(frozen=True)
class PlacementFilter:
    """How one variation's picture becomes one format."""

    width: int  # the output size
    height: int
    fit: str  # crop or pad
    crop: tuple[int, int] = (0, 0)  # the crop window's size (fit crop)
    x: Sequence[Segment] = ()  # the window's left edge over time; empty: centred
    y: Sequence[Segment] = ()  # its top edge over time; empty: centred


def placement_chain(place: PlacementFilter, name: str) -> str:
    """The filters from a variation's picture to one format; `name` tells this crop
    apart from the others of the graph (its commands are sent to it by name)."""
    if place.fit == "pad":
        return _pad_chain(place, name)
    crop_w, crop_h = place.crop
    commands = _commands(place, f"crop@{name}")
    head = f"sendcmd=c='{commands}'," if commands else ""
    x = _start(place.x, "(iw-ow)/2")
    y = _start(place.y, "(ih-oh)/2")
    return (
        f"{head}crop@{name}=w={crop_w}:h={crop_h}:x={x}:y={y},"
        f"scale={place.width}:{place.height}:flags=bicubic,setsar=1"
    )


def _start(segments: Sequence[Segment], centred: str) -> str:
    return f"{segments[0].start:.1f}" if segments else centred


def _commands(place: PlacementFilter, target: str) -> str:
    """sendcmd's list: at each segment's start, the edge's expression for that stretch
    (a line in t, the variation's time), so the window glides between path points."""
    parts = []
    for axis, segments in (("x", place.x), ("y", place.y)):
        for seg in segments:
            span = seg.until - seg.at
            slope = (seg.end - seg.start) / span if span > 0 else 0.0
            if abs(slope) < 1e-6:
                expr = f"{seg.start:.1f}"
            else:
                expr = f"{seg.start - slope * seg.at:.2f}{slope:+.3f}*t"
            parts.append(f"{seg.at:.3f} {target} {axis} {expr}")
    return ";".join(parts)


def _pad_chain(place: PlacementFilter, name: str) -> str:
    """The whole picture fitted in the format, over itself enlarged to fill it, blurred
    and darkened. The fill is blurred at an eighth of the size, where it is cheap."""
    w, h = place.width, place.height
    small_w, small_h = max(2, w // 8 // 2 * 2), max(2, h // 8 // 2 * 2)
    return (
        f"split=2[{name}bg][{name}fg];"
        f"[{name}bg]scale={small_w}:{small_h}:force_original_aspect_ratio=increase:flags=fast_bilinear,"
        f"crop={small_w}:{small_h},boxblur=4:2,eq=brightness=-0.12:saturation=0.8,"
        f"scale={w}:{h}:flags=bilinear[{name}fill];"
        f"[{name}fg]scale={w}:{h}:force_original_aspect_ratio=decrease:flags=bicubic,"
        f"scale=trunc(iw/2)*2:trunc(ih/2)*2[{name}pic];"
        f"[{name}fill][{name}pic]overlay=(W-w)/2:(H-h)/2,setsar=1"
    )
