"""A job folder: the one owner of its layout, its names and its status.json.

    output/<name>-<job id>/
        <stem>_var01.mp4 …        verified outputs (a batch keeps its subfolders)
        <stem>_var01_9x16.mp4 …   the same variation in a placement format
        status.json               the job's status document, rewritten atomically
        preview.jpg               the preview sheet, when the job ends
        .vidvar-work/             temporary outputs, sample frames and thumbnails

Output stems are unique within a job whatever the source names (case and
extension clashes included, since SMB shares compare names without case), and
every name this module makes fits in 255 bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from vidvar import beneath
from vidvar.beneath import TEMP_SUFFIX
from vidvar.errors import ShareGone
from vidvar.mounts import FolderGuard
from vidvar.names import fit, short_hash

STATUS_FILE = "status.json"
PREVIEW_FILE = "preview.jpg"
WORK_DIR = ".vidvar-work"
LEGACY_THUMBS_DIR = ".vidvar-thumbs"
OUTPUT_SUFFIX_BYTES = len("_var100_16x9.mp4")  # the longest suffix an output stem gets
SOURCE_KEY = "source"  # the format key of the source's own shape (config.placement)


def folder_name(entry_stem: str, job_id: str) -> str:
    """`clip-3f9a1c2b7d4e`: the dropped entry's stem and the job id, within 255 bytes."""
    return f"{fit(_clean(entry_stem) or 'job', reserve=1 + len(job_id))}-{job_id}"


def _clean(part: str) -> str:
    """A path component safe to create: valid UTF-8 (bytes that are not become U+FFFD,
    which every client shows), no separators, no leading dot (hidden), no NUL."""
    part = part.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    part = part.replace("/", "_").replace("\0", "_").strip()
    return part.lstrip(".") or "_"


def output_stems(names: Sequence[str]) -> list[str]:
    """The output stem of each source name (relative to its job), in order.

    `clip.mp4` → `clip`; in a batch `sub/clip.mp4` → `sub/clip`. Stems are unique
    without regard to case; sources whose plain stems clash (`a.mp4`, `a.MOV`,
    `A.mkv`) get `~` and a hash of their whole name added, and every component
    fits in 255 bytes with its `_varNN.mp4` suffix. Linear in the number of names.
    """
    plain: list[str] = []
    for name in names:
        parts = [p for p in PurePosixPath(name).parts if p not in ("", ".", "..")] or ["_"]
        *folders, last = parts
        stem = last.rsplit(".", 1)[0] if "." in last.lstrip(".") else last
        cleaned = [fit(_clean(p)) for p in folders]
        cleaned.append(fit(_clean(stem), reserve=OUTPUT_SUFFIX_BYTES))
        plain.append("/".join(cleaned))
    count: dict[str, int] = {}
    for stem in plain:
        count[stem.casefold()] = count.get(stem.casefold(), 0) + 1
    taken = {stem.casefold() for stem in plain if count[stem.casefold()] == 1}
    result: list[str] = []
    for name, stem in zip(names, plain, strict=True):
        if count[stem.casefold()] == 1:
            result.append(stem)
            continue
        head, _, last = stem.rpartition("/")
        salt = ""
        while True:
            tag = short_hash(name + salt)
            last_part = fit(f"{last}~{tag}", reserve=OUTPUT_SUFFIX_BYTES)
            candidate = f"{head}/{last_part}" if head else last_part
            if candidate.casefold() not in taken:
                break
            salt += "+"  # a name that really is "a~<hash>": try another hash
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def output_name(stem: str, variation: int, key: str = SOURCE_KEY) -> str:
    """`clip` → `clip_var01.mp4`, or `clip_var01_9x16.mp4` in a placement format
    (`key`, see config.placement.Format.key); relative to the job folder."""
    suffix = "" if key == SOURCE_KEY else f"_{key}"
    return f"{stem}_var{variation:02d}{suffix}.mp4"


class JobFolder:
    """Every path inside one job folder, and the writes into it.

    `guard` checks that the output folder is still the filesystem it was at start
    (a share unmounted leaves a bare mount point on the root disk behind); writes
    raise ShareGone instead of filling that disk.
    """

    def __init__(self, path: str | Path, guard: FolderGuard | None = None) -> None:
        self.path = Path(path)
        self.guard = guard
        self._work_fd: int | None = None  # held between prepare() and close()
        self._held_work: Path | None = None

    # -- paths ------------------------------------------------------------------

    @property
    def status_path(self) -> Path:
        return self.path / STATUS_FILE

    @property
    def preview_path(self) -> Path:
        return self.path / PREVIEW_FILE

    @property
    def work_dir(self) -> Path:
        """The work folder; after prepare(), a path through the descriptor opened then
        (see beneath.held_path), so that ffmpeg's writes cannot be led elsewhere by a
        link put in its place during an encode."""
        return self._held_work or self.path / WORK_DIR

    def output(self, stem: str, variation: int, key: str = SOURCE_KEY) -> Path:
        """Where a verified output goes."""
        return self.path / output_name(stem, variation, key)

    def temp_output(self, file_id: int, variation: int, key: str = SOURCE_KEY) -> Path:
        """Where ffmpeg writes an output before it is verified."""
        return self.work_dir / f"{file_id}.{_which(variation, key)}.mp4"

    def samples(self, file_id: int, variation: int | None) -> Path:
        """Raw gray sample frames of a file's source (None) or of one variation."""
        return self.work_dir / f"{file_id}.{_which(variation)}.gray"

    def audition(self, file_id: int) -> Path:
        """Raw gray frames of candidate variations, rendered before the encode."""
        return self.work_dir / f"{file_id}.audition.gray"

    def thumbs(self, file_id: int, variation: int | None, key: str = SOURCE_KEY) -> Path:
        """Raw colour thumbnails of a file's source (None) or of one variation in one
        format."""
        return self.work_dir / f"{file_id}.{_which(variation, key)}.yuv"

    def analysis(self, file_id: int) -> tuple[Path, Path]:
        """The framing analysis's small gray frames and its list of shot cuts."""
        return self.work_dir / f"{file_id}.analysis.gray", self.work_dir / f"{file_id}.cuts.txt"

    # -- writes -----------------------------------------------------------------
    # Every write and removal walks from the output folder (`root`) through the job
    # folder without following a link (vidvar.beneath): a job folder or a batch
    # subfolder swapped for a link is refused, never written through.

    @property
    def root(self) -> Path:
        """The output folder the job folder lies in (the configured one)."""
        return self.path.parent

    def _below(self, path: Path) -> tuple[str, ...]:
        """`path` as components below the output folder (it must lie in the job folder)."""
        if self._held_work is not None and self._held_work in path.parents:
            inside = beneath.parts_of(path.relative_to(self._held_work))
            return (self.path.name, WORK_DIR, *inside)
        return (self.path.name, *beneath.parts_of(path.relative_to(self.path)))

    def check(self) -> None:
        """ShareGone when the folder's filesystem is not the one seen at start."""
        if self.guard is not None:
            self.guard.check(self.path)

    def prepare(self) -> None:
        """Create the folder and its work folder (the share must be there), and hold the
        work folder open until close()."""
        self.check()
        if self._work_fd is not None:
            return  # already open: paths handed out meanwhile stay valid
        self.root.mkdir(parents=True, exist_ok=True)  # the configured output folder
        self._work_fd = beneath.open_fd(self.root, (self.path.name, WORK_DIR), create=True)
        self._held_work = beneath.held_path(self._work_fd)

    def make(self) -> None:
        """Create the job folder alone (for the
        status.json of a job that waits before it starts: the schedule, a pause)."""
        self.check()
        self.root.mkdir(parents=True, exist_ok=True)  # the configured output folder, as prepare()
        os.close(beneath.open_fd(self.root, (self.path.name,), create=True))

    def close(self) -> None:
        """Let go of the work folder's descriptor (prepare() takes it again)."""
        if self._work_fd is not None:
            os.close(self._work_fd)
        self._work_fd = self._held_work = None

    def write_status(self, document: dict[str, Any], *, durable: bool = True) -> None:
        """Rewrite status.json atomically; never creates the folder (a vanished share
        must not be recreated on the root disk)."""
        self.check()
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        try:
            beneath.write_file(
                self.root, self._below(self.status_path), text.encode(), durable=durable
            )
        except FileNotFoundError:
            raise ShareGone(f"the job folder {self.path.name} is gone") from None

    def publish(self, file_id: int, stem: str, variation: int, key: str = SOURCE_KEY) -> Path:
        """Move a verified temporary output to its final name; returns that path."""
        final = self.output(stem, variation, key)
        beneath.rename(
            self.root, self._below(self.temp_output(file_id, variation, key)), self._below(final)
        )
        return final

    def publish_preview(self, temp: Path) -> None:
        """Move a finished preview sheet from the work folder to its final name."""
        beneath.rename(self.root, self._below(temp), self._below(self.preview_path))

    def remove(self, path: Path) -> None:
        """Remove one file vidvar wrote in the folder (a link there as a link)."""
        beneath.unlink(self.root, self._below(path))

    def remove_empty_parents(self, path: Path) -> None:
        """Remove the folders of `path` inside the job folder while they are empty."""
        beneath.remove_empty_folders(self.root, self._below(path.parent), keep=1)

    def remove_file_outputs(
        self, file_id: int, stem: str, variations: int, keys: Sequence[str] = (SOURCE_KEY,)
    ) -> None:
        """Remove everything one file produced in the format `keys`, final and temporary
        (it starts over or failed)."""
        for variation in range(1, variations + 1):
            for key in keys:
                self.remove(self.output(stem, variation, key))
                self.remove(self.temp_output(file_id, variation, key))
                self.remove(self.thumbs(file_id, variation, key))
            self.remove(self.samples(file_id, variation))
        self.remove(self.samples(file_id, None))
        self.remove(self.thumbs(file_id, None))
        self.remove(self.audition(file_id))
        for path in self.analysis(file_id):
            self.remove(path)
        self.remove_empty_parents(self.output(stem, 1))  # only an empty batch subfolder

    def tidy(self) -> None:
        """Remove the work folder when nothing is left in it (a job that went back)."""
        self.close()
        beneath.remove_empty_folders(self.root, (self.path.name, WORK_DIR), keep=1)

    def clean_work(self) -> None:
        """Remove the work folder and temporary files left by a crash or older releases."""
        self.close()
        for folder in (WORK_DIR, LEGACY_THUMBS_DIR):
            with contextlib.suppress(OSError):
                beneath.remove_tree(self.root, (self.path.name, folder))
        for leftover in beneath.walk_files(self.root, (self.path.name,)):
            if leftover[-1].endswith(TEMP_SUFFIX):
                with contextlib.suppress(OSError):
                    beneath.unlink(self.root, leftover)

    def remove_temp_outputs(self) -> None:
        """Temporary outputs only (the thumbnails stay for the preview sheet)."""
        for leftover in beneath.walk_files(self.root, (self.path.name, WORK_DIR)):
            if leftover[-1].endswith(".mp4"):
                with contextlib.suppress(OSError):
                    beneath.unlink(self.root, leftover)


def _which(variation: int | None, key: str = SOURCE_KEY) -> str:
    if variation is None:
        return "source"
    return f"v{variation:02d}" if key == SOURCE_KEY else f"v{variation:02d}.{key}"


def stems_of(records: Sequence[Any]) -> dict[int, str]:
    """The output stem of each file record (its stored stem; computed for records
    queued by releases that did not store one)."""
    if all(r.stem for r in records):
        return {r.id: str(r.stem) for r in records}
    computed = output_stems([r.name for r in records])
    return {r.id: str(r.stem or stem) for r, stem in zip(records, computed, strict=True)}
