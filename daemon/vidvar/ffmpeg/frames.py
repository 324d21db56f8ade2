"""Raw frames the encode writes on the way (samples, thumbnails) and the preview sheet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vidvar.errors import FfmpegError
from vidvar.ffmpeg.commands import LEADING_FRAMES, SAMPLE_SIZE, THUMB_SIZE
from vidvar.ffmpeg.runner import capture
from vidvar.ffmpeg.stills import preview_args

THUMB_BYTES = THUMB_SIZE[0] * THUMB_SIZE[1] * 3 // 2  # one yuv420p thumbnail


def read_frames(path: Path, count: int, frame: int) -> list[bytes]:
    """The `count` moment frames of `frame` bytes a tap wrote, after its leading frame;
    a moment past the end repeats the last frame."""
    data = path.read_bytes()
    frames = [data[i * frame : (i + 1) * frame] for i in range(len(data) // frame)]
    if not frames:
        raise FfmpegError("no sample frames were written")
    if len(frames) > LEADING_FRAMES:
        frames = frames[LEADING_FRAMES:]  # a one-frame video has only the leading one
    return (frames + [frames[-1]] * count)[:count]


def read_samples(path: Path, count: int, size: int = SAMPLE_SIZE) -> list[bytes]:
    """Gray sample frames written by a Samples tap."""
    return read_frames(path, count, size * size)


def read_audition(
    path: Path, groups: int, count: int, size: int = SAMPLE_SIZE
) -> list[list[bytes]]:
    """The gray frames of an audition (commands.audition_args): `groups` runs of `count`
    frames, the source's first; a moment past the end repeats its group's last frame."""
    frame = size * size
    data = path.read_bytes()
    each = len(data) // frame // groups
    if each == 0:
        raise FfmpegError("the audition wrote no frames")
    frames = [data[i * frame : (i + 1) * frame] for i in range(each * groups)]
    runs = [frames[g * each : (g + 1) * each] for g in range(groups)]
    return [(run + [run[-1]] * count)[:count] for run in runs]


def read_thumbnails(path: Path, count: int) -> list[bytes]:
    """Colour thumbnails written by a Samples tap."""
    return read_frames(path, count, THUMB_BYTES)


@dataclass(frozen=True)
class PreviewCell:
    """One cell of a preview sheet: a THUMB_SIZE yuv420p picture (None: black) and a label."""

    picture: bytes | None
    label: str


def make_preview(cells: Sequence[PreviewCell], columns: int, out: Path) -> None:
    """Render the preview sheet to `out`; FfmpegError when ffmpeg cannot."""
    width, height = THUMB_SIZE
    black = bytes([16]) * (width * height) + bytes([128]) * (width * height // 2)
    data = b"".join(cell.picture or black for cell in cells)
    done = capture(preview_args([c.label for c in cells], columns, out), timeout=300, data=data)
    if done.returncode != 0:
        raise FfmpegError(
            "could not render the preview sheet", done.stderr.decode("utf-8", "replace")[-500:]
        )
