"""The folders of all hot folders must not coincide, nest or chain into each other.

An archive_dir at the share root would hold the inbox and the outputs, and
retention would then delete them; one watch's output as another's inbox feeds
finished outputs back in as sources. Folders of different roles (inbox, output,
archive, failed) must therefore be disjoint trees, and no inbox may hold or sit
in another. Hot folders may share one output, archive or failed folder.
"""

from __future__ import annotations

from pathlib import Path

from vidvar.config.schema import WatchConfig
from vidvar.errors import ConfigError


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


def check_topology(file: Path, watches: tuple[WatchConfig, ...]) -> None:
    """ConfigError naming both keys when two folders coincide, nest or chain harmfully."""
    entries = [
        (f"watch[{i}].{key}", key, folder)
        for i, watch in enumerate(watches)
        for key, folder in folders_in_use(watch)
    ]
    for n, (key_a, role_a, a) in enumerate(entries):
        for key_b, role_b, b in entries[n + 1 :]:
            if role_a == role_b and role_a != "inbox":
                if a != b and (_inside(a, b) or _inside(b, a)):
                    raise ConfigError(file, key_b, _nested(key_a, a, key_b, b))
                continue  # hot folders may share an output, archive or failed folder
            if a == b:
                raise ConfigError(
                    file, key_b, f"must not be the same folder as {key_a} (both are {a})"
                )
            if _inside(a, b) or _inside(b, a):
                raise ConfigError(file, key_b, _nested(key_a, a, key_b, b))


def _nested(key_a: str, a: Path, key_b: str, b: Path) -> str:
    inner, outer = (key_a, key_b) if _inside(a, b) else (key_b, key_a)
    return (
        f"must not contain or sit inside another configured folder: {inner} is inside "
        f"{outer} ({a if inner == key_a else b} in {b if inner == key_a else a}); "
        "use separate folders side by side"
    )
