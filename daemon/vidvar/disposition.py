"""Where a source goes after its job: archive, delete or keep; failed_dir with a note.

Only the very file that was processed is ever moved or deleted (same device and
inode as when it settled), links are moved as links, and a failure to move is
an environmental problem (the job waits and tries again), never a loss.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vidvar.config import WatchConfig
from vidvar.errors import environment_problem
from vidvar.fsutil import atomic_write_text, exists_or_link, move_file, remove_quietly
from vidvar.mounts import FolderGuard
from vidvar.names import fit_file_name
from vidvar.sources import identity_of
from vidvar.store.models import FileRecord

ERROR_NOTE_SUFFIX = ".error.txt"


@dataclass(frozen=True)
class Disposal:
    """What became of a source: `kind` is archived, deleted, kept, failed, missing or
    replaced; `where` the path it is at now ('' when it no longer exists)."""

    kind: str
    where: str


def note_path(source: Path) -> Path:
    """`<name>.error.txt` beside a source, within 255 bytes."""
    name = fit_file_name(source.name, reserve=len(ERROR_NOTE_SUFFIX)) + ERROR_NOTE_SUFFIX
    return source.with_name(name)


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


def _relative(source: Path, *bases: Path) -> Path:
    for base in bases:
        if base in source.parents:
            return source.relative_to(base)
    return Path(source.name)


def _find_renamed(record: FileRecord, watch: WatchConfig) -> Path | None:
    """The same file under another name at the top of the inbox (renamed while queued)."""
    if not record.source_identity:
        return None
    try:
        entries = list(os.scandir(watch.inbox))
    except OSError:
        return None
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and identity_of(st) == record.source_identity:
            return Path(entry.path)
    return None


def _already_moved(record: FileRecord, watch: WatchConfig) -> Disposal | None:
    """The source found where disposal puts it: moved before a crash kept the store
    from recording it. Found by identity at its destination or a ` (N)` variant of it."""
    if not record.source_identity:
        return None
    source = Path(record.source_path)
    for kind, folder in (("archived", watch.archive_dir), ("failed", watch.failed_dir)):
        first = folder / _relative(source, watch.inbox, watch.failed_dir)
        stem, ext = os.path.splitext(first.name)
        candidates = [first] + [first.with_name(f"{stem} ({n}){ext}") for n in range(2, 50)]
        for candidate in candidates:
            try:
                st = os.lstat(candidate)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and identity_of(st) == record.source_identity:
                return Disposal(kind, str(candidate))
    return None


def locate(
    record: FileRecord, watch: WatchConfig, guard: FolderGuard | None = None
) -> tuple[Path | None, str]:
    """Where the processed file is now: (path, '') or (None, 'missing'/'replaced').

    A file renamed at the top of the inbox is found by its identity. A path that is
    missing because its share is away raises ShareGone: that is no disposal."""
    source = Path(record.source_path)
    try:
        st = os.lstat(source)
    except FileNotFoundError:
        if guard is not None:
            guard.check(source)
        renamed = _find_renamed(record, watch)
        return (renamed, "") if renamed else (None, "missing")
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
        if record.state == "completed":
            return _success(source, watch)
        return _failure(source, watch, job_id, record.error or "unknown error")
    except OSError as exc:
        raise environment_problem(exc, "move the source") from None


def _success(source: Path, watch: WatchConfig) -> Disposal:
    old_note = note_path(source)
    if watch.on_success == "keep":
        return Disposal("kept", str(source))
    if watch.on_success == "delete":
        os.unlink(source)  # a link is removed as a link
        _remove_note(old_note)
        return Disposal("deleted", "")
    target = move_file(source, watch.archive_dir / _relative(source, watch.inbox, watch.failed_dir))
    _remove_note(old_note)  # a retried file that now worked leaves no stale note
    return Disposal("archived", str(target))


def _failure(source: Path, watch: WatchConfig, job_id: str, error: str) -> Disposal:
    in_failed_dir = watch.failed_dir in source.parents
    if watch.on_failure == "keep" or in_failed_dir:
        if watch.on_failure == "move":
            atomic_write_text(note_path(source), error_note(source.name, job_id, error))
            return Disposal("failed", str(source))
        return Disposal("kept", str(source))
    target = move_file(source, watch.failed_dir / _relative(source, watch.inbox))
    note = note_path(target)
    if exists_or_link(note):
        _remove_note(note)  # an older note of a file of the same name
    atomic_write_text(note, error_note(source.name, job_id, error))
    return Disposal("failed", str(target))


def _remove_note(note: Path) -> None:
    try:
        st = os.lstat(note)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode):
        remove_quietly(note)
