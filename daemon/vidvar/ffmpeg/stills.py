"""ffmpeg argument lists for stills: the preview sheet (labelled thumbnails tiled into
one JPEG) and the page's posters (one frame of an output)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vidvar.ffmpeg.commands import THUMB_SIZE
from vidvar.ffmpeg.tools import ffmpeg, input_url


def _drawtext_text(text: str) -> str:
    """`text` as a drawtext option value inside a -vf chain: escaped once for the option
    parser, then once more for the filtergraph parser (ffmpeg-filters, "Quoting and
    escaping"), so names with quotes, colons or commas are drawn as they are."""
    for char in "\\':":
        text = text.replace(char, "\\" + char)
    for char in "\\'[],;":
        text = text.replace(char, "\\" + char)
    return text


def preview_args(labels: Sequence[str], columns: int, out: Path) -> list[str]:
    """Raw thumbnails on stdin, one per cell in reading order → a labelled grid as one JPEG."""
    width, height = THUMB_SIZE
    rows = -(-len(labels) // columns)
    chain = [
        f"drawtext=enable='eq(n\\,{i})':text={_drawtext_text(label)}:expansion=none:"
        "x=6:y=h-th-6:fontsize=13:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=3"
        for i, label in enumerate(labels)
    ]
    chain.append(f"tile={columns}x{rows}")
    return [
        *(ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y"),
        *("-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", f"{width}x{height}"),
        *("-framerate", "25", "-i", "pipe:0", "-vf", ",".join(chain)),
        *("-frames:v", "1", "-q:v", "5", "-f", "image2", "-c:v", "mjpeg", input_url(out)),
    ]


def thumbnail_args(url: str, at: float, width: int = 320) -> list[str]:
    """One frame at `at` seconds, `width` wide, as a JPEG on stdout (the page's posters)."""
    return [
        *(ffmpeg(), "-hide_banner", "-nostdin", "-v", "error"),
        *("-ss", f"{max(0.0, at):.3f}", "-i", url, "-frames:v", "1"),
        *("-vf", f"scale={width}:-2", "-q:v", "5", "-f", "image2", "-c:v", "mjpeg", "pipe:1"),
    ]
