"""preview.jpg: for each file a row per moment, the source then each variation, labelled.

The pictures are colour thumbnails branched off each file's encode at the same
source moments (ffmpeg.Samples), kept in the job folder until the job ends, so
the sheet costs no seek into the sources and no decode of the outputs.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

from vidvar import effects
from vidvar.errors import FfmpegError
from vidvar.ffmpeg.frames import PreviewCell, make_preview, read_thumbnails
from vidvar.fsutil import TEMP_SUFFIX, remove_quietly
from vidvar.store import FileRecord, Job

PREVIEW_FILE = "preview.jpg"
THUMBS_DIR = ".vidvar-thumbs"  # per-file thumbnails, removed when the job ends
MAX_FILES = 6  # the sheet must open quickly over SMB: a few rows, small cells
MOMENTS = 2


def moments(duration: float) -> tuple[float, ...]:
    """The source moments a file's row shows, away from the very start and end."""
    return tuple(duration * (k + 1) / (MOMENTS + 1) for k in range(MOMENTS))


def thumbs_path(job_dir: Path, file_id: int, variation: int | None) -> Path:
    """Where the encode writes a file's thumbnails: its source's (None) or a variation's."""
    name = f"{file_id}.source.yuv" if variation is None else f"{file_id}.v{variation:02d}.yuv"
    return job_dir / THUMBS_DIR / name


def remove_thumbs(job_dir: Path, file_id: int | None = None, variations: int = 0) -> None:
    """Drop one file's thumbnails (its encode starts over), or with no file_id every
    thumbnail of the job (the sheet is written or will not be)."""
    folder = job_dir / THUMBS_DIR
    if file_id is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for variation in [None, *range(1, variations + 1)]:
        remove_quietly(thumbs_path(job_dir, file_id, variation))
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when no other file's thumbnails are left


def _pictures(path: Path) -> list[bytes | None]:
    """The file's thumbnails by moment; None where there is none (then the cell is black)."""
    try:
        return list(read_thumbnails(path, MOMENTS))
    except (OSError, FfmpegError):
        return [None] * MOMENTS


def preview_cells(job: Job, files: list[FileRecord]) -> tuple[list[PreviewCell], int]:
    """The grid's cells, row by row, and its number of columns."""
    job_dir = Path(job.job_dir)
    shown = [f for f in files if f.state == "completed" and f.outputs][:MAX_FILES]
    columns = 1 + max((len(f.outputs) for f in shown), default=0)
    cells: list[PreviewCell] = []
    for record in shown:
        duration = record.duration or 1.0
        source = _pictures(thumbs_path(job_dir, record.id, None))
        outputs = [
            (output, _pictures(thumbs_path(job_dir, record.id, output.variation)))
            for output in record.outputs
        ]
        for k, moment in enumerate(moments(duration)):
            cells.append(PreviewCell(source[k], f"{Path(record.name).name} @ {moment:.1f}s"))
            for output, pictures in outputs:
                label = f"v{output.variation} {effects.describe(output.effects)}"
                cells.append(PreviewCell(pictures[k], label))
            for _ in range(columns - 1 - len(record.outputs)):
                cells.append(cells[-1])  # pad a short row with its last picture
    return cells, columns


def write_preview(job: Job, files: list[FileRecord], log: Any) -> Path | None:
    """Render the sheet atomically; any failure is logged and never fails the job."""
    cells, columns = preview_cells(job, files)
    if not cells:
        return None
    target = Path(job.job_dir) / PREVIEW_FILE
    temp = target.with_name(target.name + TEMP_SUFFIX)
    try:
        make_preview(cells, columns, temp)
        temp.replace(target)
    except (FfmpegError, OSError) as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        log.warning("could not write the preview sheet", error=str(exc).splitlines()[0])
        return None
    return target
