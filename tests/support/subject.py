"""A clip whose subject's place is known: a real face (scikit-image's bundled astronaut
photo) moving over a textured background, with a cut in the middle. The subject's
tile has a magenta strip down its left edge and a cyan one down its right, so a frame
of an output shows whether the whole subject is in it (both strips) or not."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vidvar.ffmpeg.tools import ffmpeg, input_url

STRIP = 8  # pixels of each coloured strip, at the source's size
MAGENTA = (255, 0, 255)
CYAN = (0, 255, 255)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class SubjectClip:
    """The clip and where its subject is at any moment (a box in source pixels)."""

    path: Path
    size: tuple[int, int]
    seconds: float
    cut: float
    box_at: Callable[[float], Box]


def _tile(side: int) -> npt.NDArray[np.uint8]:
    from skimage import data, transform

    head = data.astronaut()[20:280, 95:355]  # type: ignore[no-untyped-call]  # the face centred
    photo = transform.resize(head, (side, side - 2 * STRIP), anti_aliasing=True)  # type: ignore[no-untyped-call]
    tile = np.zeros((side, side, 3), np.uint8)
    tile[:, STRIP:-STRIP] = (photo * 255).astype(np.uint8)
    tile[:, :STRIP] = MAGENTA
    tile[:, -STRIP:] = CYAN
    return tile


def _background(size: tuple[int, int], seed: int, level: int) -> npt.NDArray[np.uint8]:
    """Gray blotches: texture for the encoder and the saliency, no strip colours."""
    width, height = size
    rng = np.random.default_rng(seed)
    coarse = rng.integers(level - 50, level + 50, (height // 8 + 1, width // 8 + 1))
    gray = np.kron(coarse, np.ones((8, 8)))[:height, :width].astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def make_subject_clip(
    dest: Path, size: tuple[int, int] = (640, 360), seconds: float = 4.0, rate: int = 25
) -> SubjectClip:
    """Shot one: the subject crosses from left to right; shot two (after a cut to another
    background): it drifts back to the left, slower."""
    width, height = size
    side = int(height * 0.42)
    cut = seconds / 2
    tile = _tile(side)

    def box_at(t: float) -> Box:
        if t < cut:
            x = 0.03 * width + (0.73 * width - 0.03 * width) * t / cut
            y = 0.28 * height
        else:
            x = 0.72 * width - 0.4 * width * (t - cut) / (seconds - cut)
            y = 0.33 * height
        return (x, y, x + side, y + side)

    backgrounds = (_background(size, 1, 110), _background(size, 2, 150))
    args = [ffmpeg(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    args += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", f"{width}x{height}"]
    args += ["-framerate", str(rate), "-i", "pipe:0"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "10", "-pix_fmt", "yuv420p"]
    args.append(input_url(dest))
    with subprocess.Popen(args, stdin=subprocess.PIPE) as encoder:
        assert encoder.stdin is not None
        for n in range(int(seconds * rate)):
            t = n / rate
            frame = backgrounds[0 if t < cut else 1].copy()
            x0, y0, _x1, _y1 = (round(v) for v in box_at(t))
            frame[y0 : y0 + side, x0 : x0 + side] = tile
            encoder.stdin.write(frame.tobytes())
        encoder.stdin.close()
    if encoder.returncode:
        raise RuntimeError("ffmpeg could not encode the subject clip")
    return SubjectClip(dest, size, seconds, cut, box_at)


def read_rgb_frames(path: Path, fps: float) -> tuple[list[npt.NDArray[np.uint8]], float]:
    """Frames of a clip at `fps` (rgb24), and the frame's height."""
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    width, height = (int(v) for v in probe.stdout.strip().split(","))
    raw = subprocess.run(
        [
            ffmpeg(),
            "-v",
            "error",
            "-i",
            input_url(path),
            "-vf",
            f"fps={fps}",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "pipe:1",
        ],
        capture_output=True,
        check=True,
    ).stdout
    frame = width * height * 3
    frames = [
        np.frombuffer(raw[k : k + frame], np.uint8).reshape(height, width, 3)
        for k in range(0, len(raw) - frame + 1, frame)
    ]
    return frames, float(height)


def whole_subject_in(frame: npt.NDArray[np.uint8], strip_pixels: float) -> bool:
    """Both strips are in the frame (each at least half of its expected pixels)."""
    r, g, b = (frame[:, :, k].astype(np.int16) for k in range(3))
    magenta = int(((r > 150) & (b > 150) & (g < 110)).sum())
    cyan = int(((g > 150) & (b > 150) & (r < 110)).sum())
    return magenta >= strip_pixels / 2 and cyan >= strip_pixels / 2
