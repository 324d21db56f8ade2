"""The folders of all hot folders must not coincide, nest or chain into each other.

An archive_dir at the share root would hold the inbox and the outputs, and
retention would then delete them; one watch's output as another's inbox feeds
finished outputs back in as sources. Folders of different roles (inbox, output,
archive, failed) must therefore be disjoint trees, and no inbox may hold or sit
in another. Hot folders may share one output, archive or failed folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from vidvar.config.schema import WatchConfig
from vidvar.errors import ConfigError
from vidvar.log import get_logger

if TYPE_CHECKING:
    from vidvar.config.schema import Config


def folders_in_use(watch: WatchConfig) -> list[tuple[str, Path]]:
    """(key, folder) of every folder the hot folder reads or writes."""
    used = [("inbox", watch.inbox), ("output", watch.output)]
    if watch.on_success == "archive":
        used.append(("archive_dir", watch.archive_dir))
    if watch.on_failure == "move":
        used.append(("failed_dir", watch.failed_dir))
    return used


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def real_folder(folder: Path) -> tuple[Path, tuple[int, int] | None]:
    """Where `folder` really is: its path with every link resolved, and its (device,
    inode) when it exists (a bind mount shows one folder under two real paths)."""
    real = Path(os.path.realpath(folder))
    try:
        st = os.stat(real)
    except OSError:
        return real, None
    return real, (st.st_dev, st.st_ino)


def check_topology(file: Path, watches: tuple[WatchConfig, ...]) -> None:
    """ConfigError naming both keys when two folders coincide, nest or chain harmfully.

    Folders are compared where they really are, with links resolved: an output
    folder that is a link to the inbox is the inbox. Checked at load, at reload
    and before each job (a link can be made at any time)."""
    entries = [
        (f"watch[{i}].{key}", key, folder, *real_folder(folder))
        for i, watch in enumerate(watches)
        for key, folder in folders_in_use(watch)
    ]
    for n, (key_a, role_a, a, real_a, id_a) in enumerate(entries):
        for key_b, role_b, b, real_b, id_b in entries[n + 1 :]:
            same = real_a == real_b or (id_a is not None and id_a == id_b)
            if role_a == role_b and role_a != "inbox":
                if not same and (_inside(real_a, real_b) or _inside(real_b, real_a)):
                    raise ConfigError(file, key_b, _nested(key_a, a, real_a, key_b, b, real_b))
                continue  # hot folders may share an output, archive or failed folder
            if same:
                raise ConfigError(
                    file,
                    key_b,
                    f"must not be the same folder as {key_a} "
                    f"({_shown(a, real_a)} and {_shown(b, real_b)})",
                )
            if _inside(real_a, real_b) or _inside(real_b, real_a):
                raise ConfigError(file, key_b, _nested(key_a, a, real_a, key_b, b, real_b))


def _shown(folder: Path, real: Path) -> str:
    """The folder as configured, and where it really is when a link leads elsewhere."""
    return str(folder) if folder == real else f"{folder}, a link to {real}"


def _nested(key_a: str, a: Path, real_a: Path, key_b: str, b: Path, real_b: Path) -> str:
    a_inner = _inside(real_a, real_b)
    inner, outer = (key_a, key_b) if a_inner else (key_b, key_a)
    shown_a, shown_b = _shown(a, real_a), _shown(b, real_b)
    return (
        f"must not contain or sit inside another configured folder: {inner} is inside "
        f"{outer} ({shown_a if a_inner else shown_b} in {shown_b if a_inner else shown_a}); "
        "use separate folders side by side"
    )


class TopologyGate:
    """The folders checked again before each job starts: a link made after the config
    was loaded can turn an output folder into the inbox. While they overlap, no
    new job starts and `problem` says why (shown by `vidvar status`)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.problem: str | None = None
        self.log = get_logger(component="folders")

    def room(self) -> bool:
        """False while two configured folders are one. Checked at every claim: it
        costs a few realpath calls, and a cached answer would let a job through."""
        try:
            check_topology(self.config.path, self.config.watches)
            problem = None
        except ConfigError as exc:
            problem = f"the configured folders overlap: {exc}; no new job starts"
        if problem != self.problem:
            if problem:
                self.log.error("pausing new jobs", reason=problem)
            else:
                self.log.info("the folders are apart again; resuming")
        self.problem = problem
        return problem is None
