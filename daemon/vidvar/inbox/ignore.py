"""What in an inbox is never a job: junk from macOS, Windows and NAS, temp names, non-files."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable
from pathlib import Path

JUNK_NAMES = frozenset(
    name.lower()
    for name in (
        "@eaDir",
        "#recycle",
        "#snapshot",
        ".snapshot",
        "Thumbs.db",
        "desktop.ini",
        "$RECYCLE.BIN",
        "System Volume Information",
        "lost+found",
        ".DS_Store",
        ".AppleDouble",
        "ehthumbs.db",
    )
)
TEMP_PATTERNS = (
    "*.part",
    "*.partial",
    "*.tmp",
    "*.crdownload",
    "*.filepart",
    "~$*",
    "*.download",
    "*.!ut",
    "*.vidvar-tmp",
)


def is_junk_name(name: str) -> bool:
    """Dotfiles (AppleDouble `._*` too), NAS and Windows folders, temporary names."""
    low = name.lower()
    if name.startswith(".") or low in JUNK_NAMES:
        return True
    return any(fnmatch.fnmatch(low, pattern) for pattern in TEMP_PATTERNS)


def has_video_extension(name: str, extensions: Iterable[str]) -> bool:
    """Case-insensitive match of the extension against the configured list."""
    suffix = os.path.splitext(name)[1].lower().lstrip(".")
    return bool(suffix) and suffix in set(extensions)


def regular_file_inside(path: Path, inbox: Path) -> bool:
    """A regular file (never a FIFO, socket or device); a symlink must stay inside the inbox."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode):
        try:
            target = path.resolve(strict=True)
            real_inbox = inbox.resolve()
        except (OSError, RuntimeError):
            return False
        if real_inbox not in target.parents:
            return False
        try:
            st = os.stat(target)
        except OSError:
            return False
    return stat.S_ISREG(st.st_mode)


def is_video_candidate(path: Path, inbox: Path, extensions: Iterable[str]) -> bool:
    """True for a file that may become (part of) a job: the contract's ignore rules."""
    try:
        parts = path.relative_to(inbox).parts
    except ValueError:
        return False
    if not parts or any(is_junk_name(part) for part in parts):
        return False
    return has_video_extension(path.name, extensions) and regular_file_inside(path, inbox)


def videos_under(folder: Path, inbox: Path, extensions: Iterable[str]) -> list[Path]:
    """Every candidate video below a dropped folder, sorted; junk folders are not entered."""
    exts = set(extensions)
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not is_junk_name(d))
        for name in sorted(files):
            path = Path(root) / name
            if is_video_candidate(path, inbox, exts):
                found.append(path)
    return found
