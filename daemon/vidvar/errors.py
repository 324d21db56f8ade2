"""The errors vidvar raises, in one family.

Every error carries `.message`, plain words meant for a person (status.json,
`.error.txt`, the CLI), and `.detail`, the technical rest (ffmpeg's stderr tail,
an errno) that belongs in the log. What a caller does with an error follows from
its class:

- `FileProblem`: the file itself cannot be used (not a video, truncated, a name
  that cannot be represented). That file fails, with a note beside it.
- `EnvironmentProblem`: something around the file is wrong for now (a folder not
  writable, a disk full, a share gone, the database busy). The file waits and is
  tried again by the daemon itself once the cause clears.
- `Stopped`: the work was stopped on request (shutdown, cancel, a lost claim).
"""

from __future__ import annotations

import errno
import reprlib


class VidvarError(Exception):
    """Base of every vidvar error: a plain `.message` and a technical `.detail`."""

    def __init__(self, message: str, detail: str = "") -> None:
        self.message = message
        self.detail = detail
        # str() is the plain message: the technical detail goes to the log on purpose.
        super().__init__(message)


_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = 60
_BRIEF.maxlevel = 2
_BRIEF.maxlist = _BRIEF.maxdict = 4


def brief(value: object) -> str:
    """A value for a message, shortened: never the repr of an unbounded value (a YAML
    file can hold a structure that takes gigabytes to print)."""
    return _BRIEF.repr(value)


class ConfigError(VidvarError):
    """A configuration problem, located by file, key path and (when known) line and column."""

    def __init__(
        self, file: object, key: str, problem: str, *, line: int = 0, column: int = 0
    ) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        self.line = line
        self.column = column
        place = f"{self.file}:{line}:{column}" if line else self.file
        where = f"{place}: {key}: " if key else f"{place}: "
        super().__init__(where + problem)

    def at(self, line: int, column: int) -> ConfigError:
        """The same error, located at `line`:`column` of its file (1-based)."""
        return ConfigError(self.file, self.key, self.problem, line=line, column=column)


class ConfigErrors(ConfigError):
    """Several configuration problems found in one reading, so that one run lists them all."""

    errors: list[ConfigError]

    def __init__(self, errors: list[ConfigError]) -> None:
        flat = [
            e
            for error in errors
            for e in (error.errors if isinstance(error, ConfigErrors) else [error])
        ]
        self.errors = flat
        first = flat[0]
        VidvarError.__init__(self, "\n".join(e.message for e in flat))
        self.file, self.key, self.problem = first.file, first.key, first.problem
        self.line, self.column = first.line, first.column

    def at(self, line: int, column: int) -> ConfigError:
        """Unchanged: each of the errors is located on its own."""
        return self


def config_errors(errors: list[ConfigError]) -> ConfigError:
    """One error for a list of them: itself when there is one."""
    return errors[0] if len(errors) == 1 else ConfigErrors(errors)


class ToolMissing(ConfigError):
    """ffmpeg or ffprobe is missing or lacks what vidvar uses (exit 78, like a config error)."""

    def __init__(self, tool: str, problem: str) -> None:
        VidvarError.__init__(self, f"{tool}: {problem}")
        self.file, self.key, self.problem = tool, "", problem


class AlreadyRunning(VidvarError):
    """Another `vidvar run` uses this store (exit 78, like a configuration error)."""


class PortBusy(VidvarError):
    """The web page's address is taken by another program (exit 69, EX_UNAVAILABLE)."""


class FileProblem(VidvarError):
    """The source file cannot be made into variations; it fails with a note."""


class InputError(FileProblem):
    """ffprobe found the source unusable (empty, not a video, truncated…)."""


class PlanError(FileProblem):
    """The effects profile cannot give the requested number of distinct variations."""


class FfmpegError(FileProblem):
    """ffmpeg failed; `.detail` holds the tail of its stderr."""

    @property
    def tail(self) -> str:
        """The end of ffmpeg's stderr (the same as `.detail`)."""
        return self.detail


class StalledError(FfmpegError):
    """ffmpeg showed no sign of life for stall_seconds and was killed."""


class EnvironmentProblem(VidvarError):
    """A cause outside the file (permissions, disk space, a share, the database):
    the file waits and is retried once the cause clears. `retry_in` asks for a
    particular wait (None: the worker's back-off)."""

    def __init__(self, message: str, detail: str = "", *, retry_in: float | None = None) -> None:
        super().__init__(message, detail)
        self.retry_in = retry_in


class ShareGone(EnvironmentProblem):
    """A configured folder is no longer the filesystem it was at start (unmounted)."""


class StoreUnavailable(EnvironmentProblem):
    """The job store cannot be reached or stayed locked past the retries."""


class StoreCorrupt(VidvarError):
    """The database file is damaged, unreadable, or was replaced under the daemon."""


class Stopped(VidvarError):
    """Work stopped on request: shutdown, cancel or a lost claim."""


class CancelledError(Stopped):
    """An ffmpeg run was stopped on request."""


class LostClaim(Stopped):
    """The worker no longer owns the job (its lease was taken or the job was reset)."""


_PLAIN_ERRNO = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the folder is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENAMETOOLONG: "a name is too long",
    errno.EIO: "an input/output error (is the share still there?)",
    errno.ENOTCONN: "the share is not connected",
    errno.ESTALE: "the share went away",
    errno.ENOENT: "a folder is missing",
    errno.ELOOP: "a link stands where a folder should be (vidvar never writes or deletes "
    "through a link; remove the link and the job goes on by itself)",
}


def environment_problem(exc: OSError, what: str) -> EnvironmentProblem:
    """An OSError met while doing `what` ("write the outputs"), in plain words; the
    technical text (with its path) stays in `.detail`."""
    reason = _PLAIN_ERRNO.get(exc.errno or 0, exc.strerror or "an operating system error")
    return EnvironmentProblem(f"cannot {what}: {reason}", str(exc))
