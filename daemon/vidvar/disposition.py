"""Where a source goes after its job: archive, delete or keep; failed_dir with a note."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from vidvar.config import WatchConfig
from vidvar.fsutil import atomic_write_text, move_file, remove_quietly, unique_destination

ERROR_NOTE_SUFFIX = ".error.txt"


def _relative(source: Path, inbox: Path) -> Path:
    try:
        return source.relative_to(inbox)
    except ValueError:
        return Path(source.name)


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


def dispose_success(source: Path, watch: WatchConfig) -> str:
    """Archive, delete or keep a source whose outputs are all verified; returns where it is."""
    old_note = source.with_name(source.name + ERROR_NOTE_SUFFIX)
    if watch.on_success == "keep":
        return str(source)
    if watch.on_success == "delete":
        remove_quietly(source)
        remove_quietly(old_note)
        return ""
    base = watch.failed_dir if _is_under(source, watch.failed_dir) else watch.inbox
    target = move_file(source, watch.archive_dir / _relative(source, base))
    remove_quietly(old_note)  # a retried file that now worked leaves no stale note
    return str(target)


def dispose_failure(source: Path, watch: WatchConfig, job_id: str, error: str) -> str:
    """Move a failed source to failed_dir with `<name>.error.txt` beside it (or keep it)."""
    if watch.on_failure == "keep" or _is_under(source, watch.failed_dir):
        note = source.with_name(source.name + ERROR_NOTE_SUFFIX)
        if watch.on_failure == "move":
            atomic_write_text(note, error_note(source.name, job_id, error))
        return str(source)
    target = move_file(source, watch.failed_dir / _relative(source, watch.inbox))
    note = unique_destination(target.with_name(target.name + ERROR_NOTE_SUFFIX))
    atomic_write_text(note, error_note(source.name, job_id, error))
    return str(target)


def _is_under(path: Path, folder: Path) -> bool:
    return folder in path.parents
