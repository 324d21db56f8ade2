"""Reading a job's files for the web: only what the store recorded, only inside its
job folder, never through a link; and all outputs as one ZIP, streamed."""

from __future__ import annotations

import csv
import io
import os
import stat
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from vidvar.effects.words import in_words
from vidvar.jobfolder import JobFolder
from vidvar.store import FileRecord, Job

CHUNK = 1 << 20


class NotServed(Exception):
    """The path is not one of the job's recorded files (or not inside its folder)."""


def open_inside(folder: Path, relative: str) -> IO[bytes]:
    """`folder/relative` opened for reading, refusing `..`, absolute paths and any
    link on the way (a job folder replaced by a link included)."""
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or any(p in ("..", ".", "") for p in parts):
        raise NotServed(relative)
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        raise NotServed(relative) from None
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            os.close(dir_fd)
            dir_fd = next_fd
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        raise NotServed(relative) from None
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotServed(relative)
    return os.fdopen(fd, "rb")


def recorded_outputs(files: list[FileRecord]) -> list[str]:
    """The output paths the store recorded for a job, in order."""
    return [o.path for f in files for o in f.outputs]


MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = (
    "file",
    "variation",
    "format",
    "path",
    "size",
    "duration",
    "effects",
    "seed",
    "verdict",
)


def manifest_csv(files: list[FileRecord], keep: Callable[[str], bool] = lambda _p: True) -> str:
    """One row per output (those `keep` accepts): what ad platforms take for bulk upload."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for f in files:
        for o in f.outputs:
            if keep(o.path):
                duration = round(f.duration / o.effects.get("speed", 1.0), 2) if f.duration else ""
                writer.writerow(
                    (
                        f.name,
                        o.variation,
                        o.format,
                        o.path,
                        o.size,
                        duration,
                        in_words(o.effects),
                        o.seed,
                        o.verdict or "",
                    )
                )
    return out.getvalue()


def read_chunks(handle: IO[bytes], start: int = 0, length: int | None = None) -> Iterator[bytes]:
    """A file's bytes in chunks (`length` of them from `start`, or all), closing it at
    the end."""
    with handle:
        handle.seek(start)
        left = length
        while left is None or left > 0:
            chunk = handle.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a one-part `Range: bytes=…` header within `size`; None
    when there is none (the whole file); ValueError when it cannot be met (416)."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None  # another unit, or several parts: the whole file, as RFC 9110 allows
    first, _, last = spec.strip().partition("-")
    if not first and not last:
        raise ValueError(header)
    if not first:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise ValueError(header)
    return start, end


class _Collector:
    """A write-only stream for zipfile: what was written since the last drain."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        if self.parts:
            yield b"".join(self.parts)
            self.parts = []


def zip_outputs(
    job: Job, files: list[FileRecord], keep: Callable[[str], bool] = lambda _p: True
) -> Iterator[bytes]:
    """The recorded outputs of the job that `keep` accepts, and their manifest.csv, as one
    ZIP (stored, not recompressed: the videos are compressed already), produced while it
    is sent: nothing is built in memory or on disk first."""
    folder = JobFolder(job.job_dir)
    sink = _Collector()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(MANIFEST, manifest_csv(files, keep))
        yield from sink.drain()
        for relative in filter(keep, recorded_outputs(files)):
            try:
                handle = open_inside(folder.path, relative)
            except NotServed:
                continue  # removed by hand or by retention since: leave it out
            entry_info = zipfile.ZipInfo(
                relative, date_time=time.localtime(os.fstat(handle.fileno()).st_mtime)[:6]
            )
            entry_info.compress_type = zipfile.ZIP_STORED
            with handle, archive.open(entry_info, "w", force_zip64=True) as entry:
                while chunk := handle.read(CHUNK):
                    entry.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
