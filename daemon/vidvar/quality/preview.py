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
from vidvar.config.placement import Format
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


LABEL_CHARS = 30  # what a 256-pixel cell holds at the sheet's 13-pixel font
LABEL_LINES = 3


def fit_label(parts: list[str], chars: int = LABEL_CHARS, lines: int = LABEL_LINES) -> str:
    """Labels wrapped between their parts (never inside a value) into at most `lines`
    lines of `chars`; when they do not all fit, the last line ends with "…"."""
    wrapped: list[list[str]] = []
    for part in (ellipsised(p, chars) for p in parts):
        if wrapped and len(", ".join([*wrapped[-1], part])) <= chars:
            wrapped[-1].append(part)
        else:
            wrapped.append([part])
    if len(wrapped) > lines:
        last = wrapped[lines - 1]
        while len(last) > 1 and len(", ".join(last)) + 2 > chars:
            last.pop()  # whole values only: room for the mark that more was left out
        wrapped = [*wrapped[: lines - 1], [*last[:-1], last[-1] + " …"]]
    return "\n".join(", ".join(line) for line in wrapped)


def ellipsised(text: str, chars: int = LABEL_CHARS) -> str:
    """A long name shortened in the middle (`spring-campaign…final.mp4`) to `chars`."""
    if len(text) <= chars:
        return text
    keep = chars - 1
    return text[: keep - keep // 2] + "…" + text[len(text) - keep // 2 :]


def preview_cells(folder: JobFolder, files: list[FileRecord]) -> tuple[list[PreviewCell], int]:
    """The grid's cells, row by row, and its number of columns: for each file, moment and
    format a row of the source then each variation, so the sheet grows taller with more
    formats and never wider than the variations."""
    shown = [f for f in files if f.state == State.COMPLETED and f.outputs][:MAX_FILES]
    widest = max((len(_formats(f)[k]) for f in shown for k in _formats(f)), default=0)
    columns = 1 + widest
    cells: list[PreviewCell] = []
    for record in shown:
        duration = record.duration or 1.0
        source = _pictures(folder.thumbs(record.id, None))
        by_format = _formats(record)
        pictures = {
            (o.variation, shape): _pictures(folder.thumbs(record.id, o.variation, _key(shape)))
            for shape, outputs in by_format.items()
            for o in outputs
        }
        for k, moment in enumerate(moments(duration)):
            for shape, outputs in by_format.items():
                at = f" @ {moment:.1f}s" + ("" if shape == "source" else f" {shape}")
                name = ellipsised(Path(record.name).name, LABEL_CHARS - len(at)) + at
                cells.append(PreviewCell(source[k], name))
                for output in outputs:
                    said = effects.describe(output.effects).split(", ")
                    label = fit_label([f"v{output.variation} {said[0]}", *said[1:]])
                    cells.append(PreviewCell(pictures[(output.variation, shape)][k], label))
                for _ in range(columns - 1 - len(outputs)):
                    cells.append(cells[-1])  # pad a short row with its last picture
    return cells, columns


def _formats(record: FileRecord) -> dict[str, list[Any]]:
    """A file's outputs by format, in the order they were written."""
    groups: dict[str, list[Any]] = {}
    for output in record.outputs:
        groups.setdefault(output.format, []).append(output)
    return groups


def _key(shape: str) -> str:
    return Format(shape).key


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
