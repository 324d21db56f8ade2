"""preview.jpg: for each file a row per moment, the source then each variation, labelled."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from daemon import effects
from daemon import ffmpeg as ff
from daemon.fsutil import TEMP_SUFFIX
from daemon.store import FileRecord, Job

PREVIEW_FILE = "preview.jpg"
MAX_FILES = 6  # the sheet must open quickly over SMB: a few rows, small cells
MOMENTS = 2


def preview_cells(job: Job, files: list[FileRecord]) -> tuple[list[ff.PreviewCell], int]:
    """The grid's cells, row by row, and its number of columns."""
    shown = [f for f in files if f.state == "completed" and f.outputs][:MAX_FILES]
    columns = 1 + max((len(f.outputs) for f in shown), default=0)
    cells: list[ff.PreviewCell] = []
    for record in shown:
        duration = record.duration or 1.0
        for k in range(MOMENTS):
            moment = duration * (k + 1) / (MOMENTS + 1)
            cells.append(
                ff.PreviewCell(
                    Path(record.source_path), moment, f"{Path(record.name).name} @ {moment:.1f}s"
                )
            )
            for output in record.outputs:
                speed = float(output.effects.get("speed", 1.0))
                cells.append(
                    ff.PreviewCell(
                        Path(job.job_dir) / output.path,
                        moment / speed,
                        f"v{output.variation} {effects.describe(output.effects)}",
                    )
                )
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
        ff.make_preview(cells, columns, temp)
        temp.replace(target)
    except (ff.FfmpegError, OSError) as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        log.warning("could not write the preview sheet", error=str(exc).splitlines()[0])
        return None
    return target
