"""Free names for files placed into a folder vidvar created itself (an upload's
temporary folder, the inbox). Moves and deletes inside the configured folders go
through vidvar.beneath, which never follows a link."""

from __future__ import annotations

import os
from pathlib import Path

from vidvar.beneath import FILE_MODE, free_name

__all__ = ["FILE_MODE", "exists_or_link", "unique_destination"]


def exists_or_link(path: Path) -> bool:
    """True when anything stands at `path`, a dangling link included."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    return True


def unique_destination(path: Path) -> Path:
    """`path`, or `name (2).ext`, `name (3).ext`… when something already stands there;
    every candidate fits in 255 bytes."""
    return path.with_name(free_name(path.name, lambda name: exists_or_link(path.with_name(name))))
