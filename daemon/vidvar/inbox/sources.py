"""Opening a source safely: no link followed, the very file that settled, unchanged.

The worker opens the source itself (O_NOFOLLOW) and hands ffmpeg that open file
as `/proc/self/fd/N`, so a file swapped for a link (or another file) after it
settled cannot redirect what is read. The signature is checked again after the
encode: outputs of a file rewritten meanwhile are never published.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from types import TracebackType

from vidvar.errors import EnvironmentProblem, FileProblem


def identity_of(st: os.stat_result) -> str:
    """`device:inode`: which file this is, whatever its name."""
    return f"{st.st_dev}:{st.st_ino}"


def signature_of(st: os.stat_result) -> str:
    """`size:mtime_ns`: whether its content may have changed."""
    return f"{st.st_size}:{st.st_mtime_ns}"


class SourceReplaced(FileProblem):
    """Another file (or a link) stands where the settled source was."""


class SourceChanged(EnvironmentProblem):
    """The source was rewritten after it settled: it is tried again once it is still."""

    def __init__(self, message: str, signature: str) -> None:
        super().__init__(message)
        self.signature = signature


class SourceGone(EnvironmentProblem):
    """Nothing stands at the source's path (moved, deleted, or its share is away)."""


class OpenSource:
    """A source file opened for ffmpeg; use as a context manager."""

    def __init__(self, path: str | Path, identity: str | None, signature: str | None) -> None:
        self.path = Path(path)
        try:
            self.fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            raise _open_problem(exc) from None
        try:
            st = os.fstat(self.fd)
            if not stat.S_ISREG(st.st_mode):
                raise SourceReplaced("the file is not a regular file any more")
            if identity is not None and identity_of(st) != identity:
                raise SourceReplaced(
                    "another file took this file's place after it arrived; the new file "
                    "is queued on its own"
                )
            self.identity = identity_of(st)
            self.signature = signature_of(st)
            if signature is not None and self.signature != signature:
                raise SourceChanged("the file changed after it arrived", self.signature)
            os.set_blocking(self.fd, True)
            self.size = st.st_size
        except BaseException:
            os.close(self.fd)
            raise

    @property
    def url(self) -> str:
        """What ffmpeg reads: this open file, inherited under the same number."""
        return f"file:/proc/self/fd/{self.fd}"

    @property
    def pass_fds(self) -> tuple[int, ...]:
        """The descriptor a child process must inherit to read `url`."""
        return (self.fd,)

    def head(self, size: int = 12) -> bytes:
        """The first bytes (for telling a misnamed file from a truncated one)."""
        return os.pread(self.fd, size, 0)

    def check_unchanged(self) -> None:
        """SourceChanged when the content changed since it was opened (rewritten in place)."""
        now = signature_of(os.fstat(self.fd))
        if now != self.signature:
            raise SourceChanged("the file changed while it was being processed", now)

    def close(self) -> None:
        """Close the descriptor."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OpenSource:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _open_problem(exc: OSError) -> Exception:
    if exc.errno == errno.ELOOP:
        return SourceReplaced(
            "the file was replaced by a link after it arrived; links are not followed"
        )
    if exc.errno == errno.ENOENT:
        return SourceGone("the file is gone (it was moved or deleted before processing)")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return EnvironmentProblem("the file cannot be read (permission denied)")
    if exc.errno == errno.ENAMETOOLONG:
        return FileProblem("the file's name is too long for this system to open")
    return EnvironmentProblem(f"the file cannot be read ({exc.strerror})")
