"""Which ffmpeg and ffprobe binaries vidvar runs, and whether they can do its work.

`VIDVAR_FFMPEG` and `VIDVAR_FFPROBE` name other binaries (a static build, or a
stand-in in tests); otherwise the ones on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vidvar.errors import ToolMissing

INSTALL_HINT = "install it (Debian/Ubuntu: sudo apt-get install ffmpeg) or set {var} to its path"
# What the encode, the taps, verification and the preview sheet use.
FILTERS = (
    *("split", "asplit", "scale", "setsar", "format", "perspective", "eq", "hue", "noise"),
    *("hflip", "setpts", "fps", "select", "pad", "atempo", "volume", "anull"),
    *("drawtext", "tile"),
)
ENCODERS = ("libx264", "aac", "mjpeg", "rawvideo")


def ffmpeg() -> str:
    """The ffmpeg binary: $VIDVAR_FFMPEG, else `ffmpeg` from PATH."""
    return os.environ.get("VIDVAR_FFMPEG", "ffmpeg")


def ffprobe() -> str:
    """The ffprobe binary: $VIDVAR_FFPROBE, else `ffprobe` from PATH."""
    return os.environ.get("VIDVAR_FFPROBE", "ffprobe")


def input_url(path: str | Path) -> str:
    """A path as an ffmpeg URL (`file:` + absolute path): never read as an option
    (`-x.mp4`) or another protocol (`a:b.mp4`)."""
    return "file:" + os.path.abspath(path)


@dataclass(frozen=True)
class Tools:
    """The binaries found and their version lines."""

    ffmpeg: str
    ffmpeg_version: str
    ffprobe: str
    ffprobe_version: str


def _run(binary: str, var: str, *args: str) -> str:
    found = shutil.which(binary)
    if found is None:
        raise ToolMissing(
            Path(binary).name,
            f"not found (looked for {binary!r}); " + INSTALL_HINT.format(var=var),
        )
    try:
        done = subprocess.run(
            [found, "-hide_banner", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolMissing(Path(binary).name, f"cannot be run ({exc})") from None
    if done.returncode != 0:
        raise ToolMissing(Path(binary).name, f"does not work: {done.stderr.strip()[-300:]}")
    return done.stdout


@cache
def check_tools() -> Tools:
    """ffmpeg and ffprobe are there and have every filter and encoder vidvar uses;
    ToolMissing (exit 78) saying what is not, with the line that installs it."""
    ffmpeg_version = _run(ffmpeg(), "VIDVAR_FFMPEG", "-version").splitlines()[0]
    ffprobe_version = _run(ffprobe(), "VIDVAR_FFPROBE", "-version").splitlines()[0]
    filters = {
        line.split()[1]
        for line in _run(ffmpeg(), "VIDVAR_FFMPEG", "-filters").splitlines()
        if len(line.split()) > 2
    }
    encoders = {
        line.split()[1]
        for line in _run(ffmpeg(), "VIDVAR_FFMPEG", "-encoders").splitlines()
        if len(line.split()) > 2
    }
    missing = [f"filter {f}" for f in FILTERS if f not in filters]
    missing += [f"encoder {e}" for e in ENCODERS if e not in encoders]
    if missing:
        raise ToolMissing(
            "ffmpeg",
            f"{ffmpeg_version} lacks {', '.join(missing)}; use a full build (Debian's "
            "ffmpeg package has all of them)",
        )
    return Tools(ffmpeg(), ffmpeg_version, ffprobe(), ffprobe_version)
