"""A file run's placement steps: the framing analysis before the encode, and what the
file's warning says of its formats and colour (engine.filerun calls these)."""

from __future__ import annotations

import time
from typing import Any

from vidvar.config.placement import Placement
from vidvar.engine.context import Context
from vidvar.engine.render import Rendered, RenderJob
from vidvar.errors import LostClaim, Stopped, StoreUnavailable
from vidvar.ffmpeg.probe import MediaInfo
from vidvar.quality.framing import SubjectTrack


def analyse_framing(
    ctx: Context, job: RenderJob, log: Any
) -> tuple[SubjectTrack | None, float, str | None]:
    """The subject track for the crop formats, the CPU seconds it took, and a note for
    the file's warning. None with a note when the analysis fails: the crops are then
    centred, and the file is never failed for that alone."""
    began = time.monotonic()
    try:
        subject, cpu = ctx.renderer.analyse(job, ctx.stop.event)
    except (Stopped, StoreUnavailable, LostClaim):
        raise
    except Exception as exc:  # a damaged stretch, a missing detector: centre crops
        log.warning("the framing analysis failed; crops are centred", error=str(exc))
        return None, 0.0, "the framing analysis failed, so the crops are centred"
    log.info(
        "framing analysed",
        moments=len(subject.times),
        with_faces=subject.faces,
        cuts=len(subject.cuts),
        seconds=round(time.monotonic() - began, 3),
        cpu_seconds=round(cpu, 3),
    )
    note = None if subject.found else "no face or movement was found, so the crops are centred"
    return subject, cpu, note


def hdr_notes(info: MediaInfo, placement: Placement) -> list[str]:
    """What status.json says of an HDR source's colour."""
    notes = []
    if info.dolby_vision:
        notes.append(
            "Dolby Vision metadata is not carried over; the colours come from the "
            "HDR10/HLG base layer"
            if info.hdr
            else "a Dolby Vision source without an HDR10/HLG base layer; colours may be off"
        )
    if info.hdr and placement.hdr == "tonemap":
        notes.append(f"HDR ({info.transfer_name}) was tone-mapped to SDR BT.709")
    return notes


def format_notes(rendered: Rendered) -> list[str]:
    """The formats' warnings (upscale limits, a subject too big), each said once."""
    return list(
        dict.fromkeys(f.warning for plans in rendered.formats.values() for f in plans if f.warning)
    )


def joined(figures_warning: str | None, notes: list[str]) -> str | None:
    """The file's warning: the figures' and the formats' and colour's notes, each once."""
    said = [n for n in (figures_warning, *notes) if n]
    return "; ".join(dict.fromkeys(said)) or None
