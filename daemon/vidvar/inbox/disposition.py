"""Where a source goes after its job: archive, delete or keep; failed_dir with a note.

Only the very file that was processed is ever moved or deleted (same device and
inode as when it settled), links are moved as links, and a failure to move is
an environmental problem (the job waits and tries again), never a loss.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vidvar import beneath
from vidvar.config import WatchConfig
from vidvar.errors import environment_problem
from vidvar.inbox.sources import identity_of
from vidvar.mounts import FolderGuard
from vidvar.names import fit_file_name
from vidvar.store import State
from vidvar.store.models import FileRecord

ERROR_NOTE_SUFFIX = ".error.txt"


@dataclass(frozen=True)
class Disposal:
    """What became of a source: `kind` is archived, deleted, kept, failed, missing or
    replaced; `where` the path it is at now ('' when it no longer exists)."""

    kind: str
    where: str


def note_name(source_name: str) -> str:
    """`<name>.error.txt`, the note beside a source, within 255 bytes."""
    return fit_file_name(source_name, reserve=len(ERROR_NOTE_SUFFIX)) + ERROR_NOTE_SUFFIX


def note_path(source: Path) -> Path:
    """`<name>.error.txt` beside a source."""
    return source.with_name(note_name(source.name))


def error_note(name: str, job_id: str, error: str) -> str:
    """The plain-words note left beside a failed source."""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        f"vidvar could not make variations of {name}.\n\n"
        f"Why: {error}\n\n"
        f"Job: {job_id}\nWhen: {when}\n\n"
        "The source is kept here unchanged. Fix it and drop it into the inbox again,\n"
        f"or run: vidvar retry {job_id}\n"
    )


def _place(path: Path, *roots: Path) -> tuple[Path, tuple[str, ...]] | None:
    """(root, components below it) for the first configured root that holds `path`."""
    for root in roots:
        parts = beneath.relative_to(path, root)
        if parts:
            return root, parts
    return None


def _find_renamed(record: FileRecord, watch: WatchConfig) -> Path | None:
    """The same file under another name or folder in the inbox (renamed or moved while
    queued or encoding), found by its identity; links are never entered."""
    if not record.source_identity:
        return None
    for parts in beneath.walk_files(watch.inbox):
        try:
            st = beneath.entry_stat(watch.inbox, parts)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and identity_of(st) == record.source_identity:
            return watch.inbox.joinpath(*parts)
    return None


def _already_moved(record: FileRecord, watch: WatchConfig) -> Disposal | None:
    """The source found where disposal puts it: moved before a crash kept the store
    from recording it. Found by identity at its destination or a ` (N)` variant of it."""
    if not record.source_identity:
        return None
    place = _place(Path(record.source_path), watch.inbox, watch.failed_dir)
    below = place[1] if place else (Path(record.source_path).name,)
    for kind, folder in (("archived", watch.archive_dir), ("failed", watch.failed_dir)):
        stem, ext = os.path.splitext(below[-1])
        names = [below[-1]] + [f"{stem} ({n}){ext}" for n in range(2, 50)]
        for name in names:
            try:
                st = beneath.entry_stat(folder, (*below[:-1], name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and identity_of(st) == record.source_identity:
                return Disposal(kind, str(folder.joinpath(*below[:-1], name)))
    return None


def locate(
    record: FileRecord, watch: WatchConfig, guard: FolderGuard | None = None
) -> tuple[Path | None, str]:
    """Where the processed file is now: (path, '') or (None, 'missing'/'replaced').

    A file renamed or moved within the inbox is found by its identity. A path that
    is missing because its share is away raises ShareGone: that is no disposal. A
    path that now leads through a link is not the file that was processed."""
    source = Path(record.source_path)
    place = _place(source, watch.inbox, watch.failed_dir)
    if place is None:
        return None, "replaced"  # not in a folder vidvar may move things from
    try:
        st = beneath.entry_stat(*place)
    except FileNotFoundError:
        if guard is not None:
            guard.check(source)
        renamed = _find_renamed(record, watch)
        return (renamed, "") if renamed else (None, "missing")
    except beneath.LinkInPath:
        return None, "replaced"
    except OSError as exc:
        raise environment_problem(exc, "read the source") from None
    if record.source_identity and identity_of(st) != record.source_identity:
        return None, "replaced"  # another file (or a link) stands there now: not ours
    return source, ""


def dispose(
    record: FileRecord,
    watch: WatchConfig,
    job_id: str,
    *,
    guard: FolderGuard | None = None,
) -> Disposal:
    """Archive, delete or keep a completed file's source; move a failed one to failed_dir
    with a note beside it (or keep it). EnvironmentProblem when that cannot be done now."""
    source, lost = locate(record, watch, guard)
    if source is None:
        moved = _already_moved(record, watch) if lost == "missing" else None
        return moved or Disposal(lost, "")
    try:
        if record.state == State.COMPLETED:
            return _success(source, watch)
        return _failure(source, watch, job_id, record.error or "unknown error")
    except OSError as exc:
        raise environment_problem(exc, "move the source") from None


def _success(source: Path, watch: WatchConfig) -> Disposal:
    root, below = _place(source, watch.inbox, watch.failed_dir) or (watch.inbox, ())
    note = (*below[:-1], note_name(below[-1]))
    if watch.on_success == "keep":
        return Disposal("kept", str(source))
    if watch.on_success == "delete":
        beneath.unlink(root, below)  # a link is removed as a link
        _remove_note(root, note)
        return Disposal("deleted", "")
    target = beneath.move(root, below, watch.archive_dir, below)
    _remove_note(root, note)  # a retried file that now worked leaves no stale note
    return Disposal("archived", str(target))


def _failure(source: Path, watch: WatchConfig, job_id: str, error: str) -> Disposal:
    root, below = _place(source, watch.inbox, watch.failed_dir) or (watch.inbox, ())
    if watch.on_failure == "keep" or root == watch.failed_dir:
        if watch.on_failure == "move":
            _write_note(root, below, error_note(source.name, job_id, error))
            return Disposal("failed", str(source))
        return Disposal("kept", str(source))
    target = beneath.move(root, below, watch.failed_dir, below)
    moved = beneath.relative_to(target, watch.failed_dir) or (target.name,)
    _write_note(watch.failed_dir, moved, error_note(source.name, job_id, error))
    return Disposal("failed", str(target))


def _write_note(root: Path, beside: tuple[str, ...], text: str) -> None:
    """The note beside a source; an older note (or a link) of that name is replaced."""
    note = (*beside[:-1], note_name(beside[-1]))
    beneath.write_file(root, note, text.encode("utf-8"))


def _remove_note(root: Path, note: tuple[str, ...]) -> None:
    with contextlib.suppress(OSError):
        st = beneath.entry_stat(root, note)
        if stat.S_ISREG(st.st_mode):
            beneath.unlink(root, note)
