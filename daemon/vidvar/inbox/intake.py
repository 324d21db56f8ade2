"""From a dropped entry to a job: signatures that say "fully written", and the job itself.

Shared by the watcher and `vidvar enqueue`. A job's key is the identity of what
was dropped (device, inode, size, mtime), never its name: the same file renamed
is the same job, and a name that is not valid UTF-8 needs no encoding.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidvar.config import Config, WatchConfig
from vidvar.config.placement import HDR_MODES, Format, Placement, parse_formats
from vidvar.config.reader import Section
from vidvar.config.yamlfile import read_yaml
from vidvar.errors import ConfigError, brief
from vidvar.inbox.ignore import is_junk_name
from vidvar.inbox.sources import identity_of, signature_of
from vidvar.jobfolder import folder_name, output_stems
from vidvar.store import NewFile, NewJob, new_job_id

Signature = tuple[Any, ...]


def file_signature(path: Path) -> Signature | None:
    """(device, inode, size, mtime) of a regular file (no link followed), or None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        try:
            st = os.stat(path)  # a link the ignore rules allowed (inside the inbox)
        except OSError:
            return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def folder_signature(folder: Path) -> Signature:
    """What must stay unchanged for a dropped folder to count as fully written: every
    file under it (junk and temp names too: a copy still writing `clip.mp4.part` means
    the folder has not settled), by name, size and mtime."""
    digest = hashlib.blake2b(digest_size=16)
    count = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not is_junk_name(d))
        for name in sorted(files):
            sig = file_signature(Path(root) / name)
            digest.update(f"{root}/{name}:{sig}".encode("utf-8", "surrogateescape"))
            count += 1
    try:
        st = os.lstat(folder)
        own = f"{st.st_dev}:{st.st_ino}"
    except OSError:
        own = "?"
    return ("dir", count, digest.hexdigest(), own)


def source_key(watch: str, signature: Signature) -> str:
    """The store's key for a dropped entry: its identity, not its name."""
    return f"{watch}:" + ":".join(str(part) for part in signature)


def manual_key(path: Path, signature: str, variations: int) -> str:
    """The key of a source queued by hand (never moved, so its path is part of it)."""
    digest = hashlib.blake2b(os.fsencode(path), digest_size=12).hexdigest()
    return f"manual:{digest}:{signature}:{variations}"


def _new_file(path: Path, name: str, stem: str) -> NewFile:
    identity: str | None = None
    signature: str | None = None
    try:
        st = os.stat(path)
        identity, signature = identity_of(st), signature_of(st)
    except OSError:
        pass  # vanished meanwhile: the worker says so
    return NewFile(path=str(path), name=name, stem=stem, identity=identity, signature=signature)


def make_job(
    watch: WatchConfig,
    entry: Path,
    files: list[Path],
    key: str,
    *,
    origin: str = "inbox",
    variations: int | None = None,
    settings: BatchSettings | None = None,
    formats: tuple[Format, ...] | None = None,
) -> NewJob:
    """The job for a dropped file or folder (or one queued by hand); `formats` (by
    hand) and the batch's own settings take precedence over the hot folder's."""
    is_batch = entry.is_dir()
    base = entry if is_batch else entry.parent
    stem = entry.name if is_batch else entry.stem
    job_id = new_job_id()
    names = [str(f.relative_to(base)) for f in files]
    return NewJob(
        id=job_id,
        watch=watch.name,
        source_path=str(entry),
        source_key=key,
        kind="batch" if is_batch else "file",
        job_dir=str(watch.output / folder_name(stem, job_id)),
        variations=variations or (settings and settings.variations) or watch.variations,
        profile=(settings and settings.profile) or watch.profile,
        encoder=watch.encoder,
        problem=settings.problem if settings else None,
        placement=_placement(watch, settings, formats).as_dict(),
        files=tuple(
            _new_file(f, name, stem)
            for f, name, stem in zip(files, names, output_stems(names), strict=True)
        ),
        origin="manual" if origin == "manual" else "inbox",
    )


def _placement(
    watch: WatchConfig, settings: BatchSettings | None, formats: tuple[Format, ...] | None
) -> Placement:
    """The hot folder's placement with what the batch or the command line changes."""
    chosen = watch.placement
    if settings is not None and settings.formats:
        chosen = Placement(settings.formats, chosen.hdr, chosen.max_upscale)
    if settings is not None and settings.hdr:
        chosen = Placement(chosen.formats, settings.hdr, chosen.max_upscale)
    if formats:
        chosen = Placement(formats, chosen.hdr, chosen.max_upscale)
    return chosen


BATCH_CONFIG = "vidvar.yaml"
BATCH_CONFIG_MAX_BYTES = 64 * 1024  # four settings need a few bytes; a scan must never stall
BATCH_KEYS = {"variations", "profile", "formats", "hdr"}


@dataclass(frozen=True)
class BatchSettings:
    """A dropped folder's own vidvar.yaml: how many variations, which profile, which
    formats and HDR handling; or why it cannot be used (then the batch fails with that
    note)."""

    variations: int | None = None
    profile: str | None = None
    problem: str | None = None
    formats: tuple[Format, ...] | None = None
    hdr: str | None = None


def batch_settings(folder: Path, config: Config) -> BatchSettings:
    """Read `folder/vidvar.yaml` (only BATCH_KEYS may be set)."""
    path = folder / BATCH_CONFIG
    if not path.is_file() or path.is_symlink():
        return BatchSettings()
    try:
        document = read_yaml(path, max_bytes=BATCH_CONFIG_MAX_BYTES, aliases=False)
        section = Section(path, document, "", BATCH_KEYS)
        variations = section.data.get("variations")
        whole = isinstance(variations, int) and not isinstance(variations, bool)
        if variations is not None and not (whole and 1 <= variations <= 100):
            raise section.error(
                "variations", f"expected a whole number from 1 to 100, found {brief(variations)}"
            )
        profile = section.data.get("profile")
        if profile is not None and (not isinstance(profile, str) or profile not in config.profiles):
            known = ", ".join(config.profiles)
            raise section.error(
                "profile", f"expected one of the profiles ({known}), found {brief(profile)}"
            )
        formats = section.data.get("formats")
        if formats is not None:
            formats = parse_formats(
                formats, lambda key, problem: section.error("formats" + key, problem)
            )
        hdr = section.data.get("hdr")
        if hdr is not None and hdr not in HDR_MODES:
            raise section.error(
                "hdr", f"expected one of {', '.join(HDR_MODES)}, found {brief(hdr)}"
            )
    except ConfigError as exc:
        where = exc.key or "the file"
        return BatchSettings(
            problem=f"the folder's {BATCH_CONFIG} is not usable: {where}: {exc.problem}"
        )
    except (OSError, ValueError, TypeError, RecursionError) as exc:
        # Whatever else the file does, the batch fails with a note; the scan goes on.
        return BatchSettings(
            problem=f"the folder's {BATCH_CONFIG} is not usable: {type(exc).__name__}: "
            f"{brief(str(exc))}"
        )
    return BatchSettings(variations=variations, profile=profile, formats=formats, hdr=hdr)


def settles_at(stable_since: float, settle_seconds: float) -> float:
    """A monotonic moment as wall-clock time (for people and other processes)."""
    return time.time() + (stable_since + settle_seconds - time.monotonic())
