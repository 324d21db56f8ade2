"""Writes, moves and removals below a configured root, every one through the
descriptors of vidvar.beneath.walk: never through a link, never overwriting what
is not vidvar's to replace."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from pathlib import Path

from vidvar.beneath.walk import (
    FILE_MODE,
    TEMP_SUFFIX,
    entries_of,
    free_name,
    lstat_in,
    open_folder,
    parts_of,
    split_entry,
)
from vidvar.names import fit_file_name


def unlink(root: Path, relative: str | os.PathLike[str] | tuple[str, ...]) -> bool:
    """Remove a file, or a link as a link, at `root/relative`; folders are left. True
    when something was removed; a missing entry or folder on the way is no error."""
    parents, name = split_entry(relative)
    try:
        with open_folder(root, parents) as folder:
            st = lstat_in(folder, name)
            if st is None or stat.S_ISDIR(st.st_mode):
                return False
            os.unlink(name, dir_fd=folder)
            return True
    except FileNotFoundError:
        return False


def remove_tree(root: Path, relative: str | os.PathLike[str] | tuple[str, ...]) -> None:
    """Remove the folder `root/relative` and all in it, never entering a link (a link
    there is removed as a link); missing is no error."""
    parents, name = split_entry(relative)
    try:
        with open_folder(root, parents) as folder:
            st = lstat_in(folder, name)
            if st is None:
                return
            if not stat.S_ISDIR(st.st_mode):
                os.unlink(name, dir_fd=folder)
                return
            # rmtree with dir_fd walks by descriptors, refusing links
            shutil.rmtree(name, dir_fd=folder)
    except FileNotFoundError:
        return


def remove_empty_folders(
    root: Path, relative: str | os.PathLike[str] | tuple[str, ...], *, keep: int = 0
) -> None:
    """Remove `root/relative` and then each parent while empty, stopping at the first
    that is not (anything a person added stays), at `root`, or `keep` levels below it."""
    parts = relative if isinstance(relative, tuple) else parts_of(relative)
    while len(parts) > keep:
        try:
            with open_folder(root, parts[:-1]) as folder:
                st = lstat_in(folder, parts[-1])
                if st is None or not stat.S_ISDIR(st.st_mode):
                    return
                os.rmdir(parts[-1], dir_fd=folder)
        except OSError:
            return
        parts = parts[:-1]


def _free_name(folder: int, name: str) -> str:
    return free_name(name, lambda candidate: lstat_in(folder, candidate) is not None)


def _temp_name(name: str) -> str:
    tag = "." + secrets.token_hex(4)
    return fit_file_name("." + name, reserve=len(tag + TEMP_SUFFIX)) + tag + TEMP_SUFFIX


def write_file(
    root: Path,
    relative: str | os.PathLike[str] | tuple[str, ...],
    data: bytes,
    *,
    durable: bool = True,
    create_folders: bool = False,
) -> None:
    """Replace `root/relative` atomically: readers see the old or the new content.
    The temp file is created beside it (O_EXCL, never through a link) with the
    process umask's mode; a link standing at the name is replaced, not followed."""
    parents, name = split_entry(relative)
    with open_folder(root, parents, create=create_folders) as folder:
        write_in(folder, name, data, durable=durable)


def write_in(folder: int, name: str, data: bytes, *, durable: bool = True) -> None:
    """write_file into an already open folder."""
    tmp = _temp_name(name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o600, dir_fd=folder)
    try:
        os.fchmod(fd, FILE_MODE)  # what open() would give, not mkstemp's 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.rename(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise
    if durable:
        with contextlib.suppress(OSError):
            os.fsync(folder)


def rename(
    root: Path,
    source: str | os.PathLike[str] | tuple[str, ...],
    destination: str | os.PathLike[str] | tuple[str, ...],
) -> None:
    """Rename within one root, replacing what stands at `destination` (as
    os.replace); folders on the way to the destination are made, never followed."""
    src_parents, src_name = split_entry(source)
    dst_parents, dst_name = split_entry(destination)
    with (
        open_folder(root, src_parents) as src,
        open_folder(root, dst_parents, create=True) as dst,
    ):
        os.rename(src_name, dst_name, src_dir_fd=src, dst_dir_fd=dst)


def move(
    source_root: Path,
    source: str | os.PathLike[str] | tuple[str, ...],
    destination_root: Path,
    destination: str | os.PathLike[str] | tuple[str, ...],
    *,
    expect: os.stat_result | None = None,
) -> Path:
    """Move an entry between roots without overwriting anything and without following
    a link anywhere; returns where it went (`destination`, or a ` (2)` variant).

    A link is moved as a link; a regular file by hard link + unlink on one
    filesystem, else by a copy of what the entry itself holds, fsynced, then
    unlinked. Anything else (a folder, a FIFO) is refused. With `expect`, an entry
    that is not that very file (device and inode) is refused.
    """
    src_parents, src_name = split_entry(source)
    dst_parents, dst_name = split_entry(destination)
    with open_folder(source_root, src_parents) as src:
        st = os.stat(src_name, dir_fd=src, follow_symlinks=False)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            raise OSError(errno.EINVAL, "not a regular file or link", src_name)
        if expect is not None and (st.st_dev, st.st_ino) != (expect.st_dev, expect.st_ino):
            raise OSError(errno.ESTALE, "the file was replaced", src_name)
        destination_root.mkdir(parents=True, exist_ok=True)  # the configured folder
        with open_folder(destination_root, dst_parents, create=True) as dst:
            target = _link_or_copy(src, src_name, st, dst, dst_name)
            with contextlib.suppress(OSError):
                os.fsync(dst)
    return destination_root.joinpath(*dst_parents, target)


def _link_or_copy(src: int, name: str, st: os.stat_result, dst: int, wanted: str) -> str:
    while True:
        target = _free_name(dst, wanted)
        try:
            # link + unlink refuses to overwrite, unlike rename; linkat without
            # AT_SYMLINK_FOLLOW links a symlink itself, never its target.
            os.link(name, target, src_dir_fd=src, dst_dir_fd=dst, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                continue  # taken meanwhile: the next free name
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                raise
            _copy(src, name, st, dst, target)
        os.unlink(name, dir_fd=src)
        return target


def _copy(src: int, name: str, st: os.stat_result, dst: int, target: str) -> None:
    tmp = _temp_name(target)
    try:
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(name, dir_fd=src), tmp, dir_fd=dst)
        else:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=src)
            with os.fdopen(fd, "rb") as reader:
                now = os.fstat(reader.fileno())
                if (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev):
                    raise OSError(errno.ESTALE, "the file was replaced while moving", name)
                out = os.open(
                    tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                    0o600, dir_fd=dst,
                )  # fmt: skip
                with os.fdopen(out, "wb") as writer:
                    while chunk := reader.read(1024 * 1024):
                        writer.write(chunk)
                    writer.flush()
                    os.fchmod(writer.fileno(), stat.S_IMODE(st.st_mode))
                    os.utime(writer.fileno(), ns=(st.st_atime_ns, st.st_mtime_ns))
                    os.fsync(writer.fileno())
        # link, not rename: a name taken meanwhile is never overwritten
        os.link(tmp, target, src_dir_fd=dst, dst_dir_fd=dst, follow_symlinks=False)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dst)


def remove_empty_tree(root: Path, relative: str | os.PathLike[str] | tuple[str, ...]) -> None:
    """Remove the folder `root/relative` and every folder under it that is empty,
    deepest first (a folder that still holds a file stays); never enters a link."""
    base = relative if isinstance(relative, tuple) else parts_of(relative)
    for name, st in entries_of(root, base):
        if stat.S_ISDIR(st.st_mode):
            remove_empty_tree(root, (*base, name))
    remove_empty_folders(root, base, keep=len(base) - 1)
