"""File operations that survive crashes and never overwrite: atomic writes, safe moves."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".vidvar-tmp"


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """Temp file in the same folder, write, os.replace: readers see the old or the new
    text, never half of it. `durable` also fsyncs the file and the folder, so the new
    text survives a power cut (each fsync also flushes what ffmpeg has written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def atomic_write_json(path: Path, data: Any, *, durable: bool = True) -> None:
    """Write JSON so readers see the old or the new document, never half of one."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", durable=durable)


def unique_destination(path: Path) -> Path:
    """`path`, or `name (2).ext`, `name (3).ext`… when something already stands there."""
    if not path.exists() and not path.is_symlink():
        return path
    stem, suffix = path.stem, path.suffix
    n = 2
    while True:
        candidate = path.with_name(f"{stem} ({n}){suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
        n += 1


def move_file(source: Path, destination: Path) -> Path:
    """Move without overwriting; copy + fsync + unlink across filesystems. Returns where it went."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    target = unique_destination(destination)
    try:
        # link + unlink refuses to overwrite, unlike rename.
        os.link(source, target)
        os.unlink(source)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK, errno.EEXIST):
            raise
        if exc.errno == errno.EEXIST:
            return move_file(source, destination)
        tmp = target.with_name("." + target.name + TEMP_SUFFIX)
        shutil.copy2(source, tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        os.unlink(source)
    fsync_dir(target.parent)
    return target


def remove_empty_dirs(top: Path) -> None:
    """Remove `top` and folders under it that are empty (junk files keep their folder)."""
    if not top.is_dir() or top.is_symlink():
        return
    for folder, _dirs, _files in sorted(os.walk(top), key=lambda t: -len(t[0])):
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def remove_quietly(path: Path) -> None:
    """Unlink a file that may already be gone."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
