"""preview.jpg: for each file a row per moment, the source then each variation, labelled.

The pictures are colour thumbnails branched off each file's encode at the same
source moments (ffmpeg.commands.Samples), kept in the job folder's work folder
until the job ends, so the sheet costs no seek into the sources and no decode of
the outputs.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from vidvar import effects
from vidvar.errors import FfmpegError
from vidvar.ffmpeg.frames import PreviewCell, make_preview, read_thumbnails
from vidvar.jobfolder import JobFolder
from vidvar.store import State
from vidvar.store.models import FileRecord

MAX_FILES = 6  # the sheet must open quickly over SMB: a few rows, small cells
MOMENTS = 2


def moments(duration: float) -> tuple[float, ...]:
    """The source moments a file's row shows, away from the very start and end."""
    return tuple(duration * (k + 1) / (MOMENTS + 1) for k in range(MOMENTS))


def _pictures(path: Path) -> list[bytes | None]:
    """The file's thumbnails by moment; None where there is none (then the cell is black)."""
    try:
        return list(read_thumbnails(path, MOMENTS))
    except (OSError, FfmpegError):
        return [None] * MOMENTS


def preview_cells(folder: JobFolder, files: list[FileRecord]) -> tuple[list[PreviewCell], int]:
    """The grid's cells, row by row, and its number of columns."""
    shown = [f for f in files if f.state == State.COMPLETED and f.outputs][:MAX_FILES]
    columns = 1 + max((len(f.outputs) for f in shown), default=0)
    cells: list[PreviewCell] = []
    for record in shown:
        duration = record.duration or 1.0
        source = _pictures(folder.thumbs(record.id, None))
        outputs = [
            (output, _pictures(folder.thumbs(record.id, output.variation)))
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


def write_preview(folder: JobFolder, files: list[FileRecord], log: Any) -> Path | None:
    """Render the sheet atomically; any failure is logged and never fails the job."""
    cells, columns = preview_cells(folder, files)
    if not cells:
        return None
    try:
        folder.prepare()
    except OSError as exc:
        log.warning("could not write the preview sheet", error=str(exc).splitlines()[0])
        return None
    temp = folder.work_dir / folder.preview_path.name
    try:
        make_preview(cells, columns, temp)
        folder.publish_preview(temp)
    except (FfmpegError, OSError) as exc:
        with contextlib.suppress(OSError):
            folder.remove(temp)
        log.warning("could not write the preview sheet", error=str(exc).splitlines()[0])
        return None
    return folder.preview_path
