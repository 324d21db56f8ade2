"""File operations that survive crashes, never overwrite and never follow a link:
atomic writes, safe moves."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from vidvar.names import fit_file_name

TEMP_SUFFIX = ".vidvar-tmp"


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, before threads.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()
FILE_MODE = 0o666 & ~UMASK  # what open() would give a new file under the process umask


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Temp file in the same folder, write, os.replace: readers see the old or the new
    content, never half of it. The folder must exist (a vanished share is not
    recreated). The file gets the process umask's mode (mkstemp alone gives 0600, which
    the team on the share could not read). `durable` also fsyncs file and folder."""
    name = fit_file_name(f".{path.name}", reserve=len(".xxxxxxxx" + TEMP_SUFFIX))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=name + ".", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """atomic_write_bytes for text (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_write_json(path: Path, data: Any, *, durable: bool = True) -> None:
    """Write JSON so readers see the old or the new document, never half of one."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text, durable=durable)


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
    path = path.with_name(fit_file_name(path.name))
    if not exists_or_link(path):
        return path
    n = 2
    while True:
        suffix = f" ({n})"
        stem, ext = os.path.splitext(fit_file_name(path.name, reserve=len(suffix)))
        candidate = path.with_name(f"{stem}{suffix}{ext}")
        if not exists_or_link(candidate):
            return candidate
        n += 1


def move_file(source: Path, destination: Path) -> Path:
    """Move `source` without overwriting anything and without following a link; returns
    where it went (`destination`, or a ` (2)` variant of it).

    A symlink is moved as a link; a regular file by hard link + unlink on one
    filesystem, else by a copy of what `source` itself holds (opened O_NOFOLLOW),
    fsynced, then unlinked. Anything else (a folder, a FIFO) is refused.
    """
    st = os.lstat(source)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise OSError(errno.EINVAL, "not a regular file or link", str(source))
    destination.parent.mkdir(parents=True, exist_ok=True)
    target = unique_destination(destination)
    try:
        # link + unlink refuses to overwrite, unlike rename; follow_symlinks=False links
        # a symlink itself, never its target.
        os.link(source, target, follow_symlinks=False)
        os.unlink(source)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            return move_file(source, destination)  # taken meanwhile: the next free name
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
            raise
        _copy_then_unlink(source, target, st)
    fsync_dir(target.parent)
    return target


def _copy_then_unlink(source: Path, target: Path, st: os.stat_result) -> None:
    tmp = target.with_name(fit_file_name("." + target.name, reserve=len(TEMP_SUFFIX)) + TEMP_SUFFIX)
    try:
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(source), tmp)
        else:
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as src:
                if (os.fstat(src.fileno()).st_ino, os.fstat(src.fileno()).st_dev) != (
                    st.st_ino,
                    st.st_dev,
                ):
                    raise OSError(errno.ESTALE, "the file was replaced while moving", str(source))
                with open(tmp, "xb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
                    dst.flush()
                    os.fsync(dst.fileno())
            shutil.copystat(source, tmp, follow_symlinks=False)
        if exists_or_link(target):
            raise FileExistsError(errno.EEXIST, "destination appeared", str(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.unlink(source)


def remove_empty_dirs(top: Path) -> None:
    """Remove `top` and folders under it that are empty (junk files keep their folder);
    never enters a link."""
    if not top.is_dir() or top.is_symlink():
        return
    for folder, _dirs, _files in sorted(os.walk(top), key=lambda t: -len(t[0])):
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def remove_quietly(path: Path) -> None:
    """Unlink a file that may already be gone."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
