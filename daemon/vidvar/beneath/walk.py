"""Reaching a path from a configured root without following a link: descriptors of
folders opened one component at a time, entries looked at, trees walked, free names."""

from __future__ import annotations

import contextlib
import errno
import os
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


def split_entry(relative: str | os.PathLike[str] | tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """(the folders on the way, the entry's name) of a path below a root."""
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
    parents, name = split_entry(relative)
    with open_folder(root, parents) as folder:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)


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


def walk_files(
    root: Path, relative: str | os.PathLike[str] | tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """The regular files and links under `root/relative`, as components below `root`;
    never enters a link. Folders that vanish or are links are skipped."""
    base = relative if isinstance(relative, tuple) else parts_of(relative)
    for name, st in entries_of(root, base):
        if stat.S_ISDIR(st.st_mode):
            yield from walk_files(root, (*base, name))
        elif stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
            yield (*base, name)


def entries_of(root: Path, base: tuple[str, ...]) -> list[tuple[str, os.stat_result]]:
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
