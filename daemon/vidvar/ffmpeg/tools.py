"""Which ffmpeg and ffprobe binaries vidvar runs.

`VIDVAR_FFMPEG` and `VIDVAR_FFPROBE` name other binaries (a static build, or a
stand-in in tests); otherwise the ones on PATH.
"""

from __future__ import annotations

import os
from pathlib import Path


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
