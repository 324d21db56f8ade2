"""Paths reached from a configured root, never through a link.

Every folder vidvar writes into or deletes from is reached by walking from a
configured root (an inbox, output, archive or failed folder) one component at a
time, each opened with O_DIRECTORY | O_NOFOLLOW relative to the one before. A
component that is a link is refused with `LinkInPath`, wherever it sits: a job
folder swapped for a link, a batch subfolder linked elsewhere, an archive
folder an admin moved away and replaced by a link. The root itself is the
admin's choice and is followed (config/topology.py compares roots by their
real path).

The final entry of a path is never followed either: a link there is moved or
unlinked as a link, and files are created with O_EXCL | O_NOFOLLOW.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from vidvar.names import fit_file_name

TEMP_SUFFIX = ".vidvar-tmp"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class LinkInPath(OSError):
    """A component below a configured root is a link (or not a folder at all)."""


def _read_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, before threads.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()
FILE_MODE = 0o666 & ~UMASK  # what open() would give a new file under the process umask


def parts_of(relative: str | os.PathLike[str]) -> tuple[str, ...]:
    """The components of a path relative to a root; ValueError for `..` or an
    absolute path (a stored path that would climb out of its root)."""
    path = PurePosixPath(os.fspath(relative))
    if path.is_absolute():
        raise ValueError(f"{relative}: expected a path relative to a folder")
    parts = tuple(p for p in path.parts if p not in ("", "."))
    if ".." in parts:
        raise ValueError(f"{relative}: a path must not climb out of its folder")
    return parts


def relative_to(path: str | os.PathLike[str], root: Path) -> tuple[str, ...] | None:
    """The components of `path` below `root`, or None when it does not lie below it."""
    try:
        return parts_of(Path(path).relative_to(root))
    except ValueError:
        return None


def _open_child(parent: int, name: str, *, create: bool, where: str) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            message = "a link or file stands where a folder is expected"
            raise LinkInPath(errno.ELOOP, message, where) from None
        raise
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, dir_fd=parent)
    return _open_child(parent, name, create=False, where=where)


def open_fd(
    root: Path, relative: str | os.PathLike[str] | tuple[str, ...] = (), *, create: bool = False
) -> int:
    """A descriptor of `root/relative` (the caller closes it), every component below
    `root` opened without following a link (`create` makes missing folders, never
    the root itself)."""
    parts = relative if isinstance(relative, tuple) else parts_of(relative)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        where = root
        for name in parts:
            where = where / name
            child = _open_child(fd, name, create=create, where=str(where))
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def open_folder(
    root: Path, relative: str | os.PathLike[str] | tuple[str, ...] = (), *, create: bool = False
) -> Iterator[int]:
    """open_fd as a context: the descriptor is closed at its end."""
    fd = open_fd(root, relative, create=create)
    try:
        yield fd
    finally:
        os.close(fd)


def held_path(fd: int) -> Path | None:
    """A path that reaches the folder open as `fd` itself, for this process and its
    children alike (ffmpeg writes by path): `/proc/<pid>/fd/<fd>`. A link put where
    the folder was cannot redirect it. None where /proc does not offer it."""
    path = Path(f"/proc/{os.getpid()}/fd/{fd}")
    try:
        held, seen = os.stat(path), os.fstat(fd)
    except OSError:
        return None
    return path if (held.st_dev, held.st_ino) == (seen.st_dev, seen.st_ino) else None


def _split(relative: str | os.PathLike[str] | tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    parts = relative if isinstance(relative, tuple) else parts_of(relative)
    if not parts:
        raise ValueError("expected a path to an entry below the folder")
    return parts[:-1], parts[-1]


def lstat_in(folder: int, name: str) -> os.stat_result | None:
    """The entry `name` in an open folder, not followed; None when nothing is there."""
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None


def entry_stat(root: Path, relative: str | os.PathLike[str] | tuple[str, ...]) -> os.stat_result:
    """lstat of `root/relative` reached without following a link below `root`."""
    parents, name = _split(relative)
    with open_folder(root, parents) as folder:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)


def unlink(root: Path, relative: str | os.PathLike[str] | tuple[str, ...]) -> bool:
    """Remove a file, or a link as a link, at `root/relative`; folders are left. True
    when something was removed; a missing entry or folder on the way is no error."""
    parents, name = _split(relative)
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
    parents, name = _split(relative)
    try:
        with open_folder(root, parents) as folder:
            st = lstat_in(folder, name)
            if st is None:
                return
            if not stat.S_ISDIR(st.st_mode):
                os.unlink(name, dir_fd=folder)
                return
            import shutil  # rmtree with dir_fd walks by descriptors, refusing links

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


def free_name(name: str, taken: Callable[[str], bool]) -> str:
    """`name`, or `name (2).ext`, `name (3).ext`… while `taken` says one is in use;
    each fits in 255 bytes."""
    name = fit_file_name(name)
    if not taken(name):
        return name
    n = 2
    while True:
        suffix = f" ({n})"
        stem, ext = os.path.splitext(fit_file_name(name, reserve=len(suffix)))
        candidate = f"{stem}{suffix}{ext}"
        if not taken(candidate):
            return candidate
        n += 1


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
    parents, name = _split(relative)
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
    src_parents, src_name = _split(source)
    dst_parents, dst_name = _split(destination)
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
    src_parents, src_name = _split(source)
    dst_parents, dst_name = _split(destination)
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


def walk_files(
    root: Path, relative: str | os.PathLike[str] | tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """The regular files and links under `root/relative`, as components below `root`;
    never enters a link. Folders that vanish or are links are skipped."""
    base = relative if isinstance(relative, tuple) else parts_of(relative)
    for name, st in _entries(root, base):
        if stat.S_ISDIR(st.st_mode):
            yield from walk_files(root, (*base, name))
        elif stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
            yield (*base, name)


def _entries(root: Path, base: tuple[str, ...]) -> list[tuple[str, os.stat_result]]:
    """(name, lstat) of each entry of a folder; empty when it cannot be opened."""
    found = []
    try:
        with open_folder(root, base) as folder:
            # Stat while the folder is open: a scandir of a descriptor stats through it.
            for name in os.listdir(folder):
                with contextlib.suppress(OSError):
                    found.append((name, os.stat(name, dir_fd=folder, follow_symlinks=False)))
    except OSError:
        return []
    return found


def remove_empty_tree(root: Path, relative: str | os.PathLike[str] | tuple[str, ...]) -> None:
    """Remove the folder `root/relative` and every folder under it that is empty,
    deepest first (a folder that still holds a file stays); never enters a link."""
    base = relative if isinstance(relative, tuple) else parts_of(relative)
    for name, st in _entries(root, base):
        if stat.S_ISDIR(st.st_mode):
            remove_empty_tree(root, (*base, name))
    remove_empty_folders(root, base, keep=len(base) - 1)


def exists_or_link(path: Path) -> bool:
    """True when anything stands at `path`, a dangling link included."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    return True


def unique_destination(path: Path) -> Path:
    """`path`, or `name (2).ext`, `name (3).ext`… when something already stands there
    (for a folder vidvar made itself, such as an upload's); every candidate fits in
    255 bytes."""
    return path.with_name(free_name(path.name, lambda name: exists_or_link(path.with_name(name))))
