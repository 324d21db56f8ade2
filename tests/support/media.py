"""Test-only helpers that shape generated clips into the quirks users send."""

from __future__ import annotations

import hashlib
import struct
import subprocess
from pathlib import Path


def set_rotation(path: Path, degrees: int) -> None:
    """Write a phone-style rotation matrix into the first track header (tkhd) of an MP4."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    version = data[at + 4]
    times = 8 + 8 + 4 + 4 + 8 if version == 1 else 4 + 4 + 4 + 4 + 4
    offset = at + 8 + times + 8 + 2 + 2 + 2 + 2
    one, w = 0x10000, 0x40000000
    # As ffprobe reports it: "rotation=90" is the matrix with -1 in the second row.
    matrix = {
        270: (0, one, 0, -one, 0, 0, 0, 0, w),
        180: (-one, 0, 0, 0, -one, 0, 0, 0, w),
        90: (0, -one, 0, one, 0, 0, 0, 0, w),
    }[degrees]
    data[offset : offset + 36] = struct.pack(">9i", *matrix)
    path.write_bytes(bytes(data))


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def ffprobe_streams(path: Path) -> str:
    return subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "file:" + str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
