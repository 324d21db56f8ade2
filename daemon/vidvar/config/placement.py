"""Placement formats: which shapes each variation is written in, and how HDR is handled.

`formats: [source, "9:16", "1:1", "4:5"]` per hot folder (also in a batch's
vidvar.yaml, the upload form and `vidvar enqueue --formats`). A format is an aspect
with a size, and a fit: `crop` reframes on the subject, `pad` shows the whole
picture over a blurred fill of itself. `source` keeps the source's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

SOURCE = "source"
# The placements ad platforms ask for, at their usual sizes (width, height).
ASPECT_SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),  # Reels, TikTok, Shorts
    "1:1": (1080, 1080),  # feeds
    "4:5": (1080, 1350),  # feeds
    "16:9": (1920, 1080),  # landscape
}
ASPECTS = (SOURCE, *ASPECT_SIZES)
FITS = ("crop", "pad")
HDR_MODES = ("tonemap", "keep")
# What YAML 1.1 makes of an unquoted aspect (base 60: 9:16 is 9 * 60 + 16).
_SEXAGESIMAL = {
    int(a.split(":")[0]) * 60 + int(a.split(":")[1]): a for a in ("9:16", "1:1", "4:5", "16:9")
}
FORMAT_KEYS = frozenset({"aspect", "width", "height", "fit"})
MAX_SIDE = 4096  # H.264 level 5.2 and every platform stop well below this


@dataclass(frozen=True)
class Format:
    """One output shape: `aspect` ("source" or "9:16"…), the target size (0 x 0 for
    the source's own) and how the picture fills it."""

    aspect: str = SOURCE
    width: int = 0
    height: int = 0
    fit: str = "crop"

    @property
    def is_source(self) -> bool:
        return self.aspect == SOURCE

    @property
    def key(self) -> str:
        """`9x16`: the format in file names (`source` for the source's shape)."""
        return self.aspect.replace(":", "x")

    @property
    def ratio(self) -> float:
        """Width / height of the target (0 for the source's shape)."""
        return self.width / self.height if self.height else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The format as plain data (stored with the job)."""
        return {"aspect": self.aspect, "width": self.width, "height": self.height, "fit": self.fit}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Format:
        """The format from as_dict()'s data."""
        return cls(str(data["aspect"]), int(data["width"]), int(data["height"]), str(data["fit"]))


SOURCE_FORMAT = Format()


@dataclass(frozen=True)
class Placement:
    """What a job writes of each variation: its formats, HDR handling and upscale limit."""

    formats: tuple[Format, ...] = (SOURCE_FORMAT,)
    hdr: str = "tonemap"
    max_upscale: float = 2.0

    @property
    def keys(self) -> tuple[str, ...]:
        """The formats' keys (as in file names)."""
        return tuple(f.key for f in self.formats)

    @property
    def placed(self) -> tuple[Format, ...]:
        """The formats other than the source's shape."""
        return tuple(f for f in self.formats if not f.is_source)

    def as_dict(self) -> dict[str, Any]:
        """Plain data, stored with the job so that a reload does not change a queued job."""
        return {
            "formats": [f.as_dict() for f in self.formats],
            "hdr": self.hdr,
            "max_upscale": self.max_upscale,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Placement:
        """The placement of as_dict()'s data (the default for jobs queued without one)."""
        if not data:
            return cls()
        return cls(
            formats=tuple(Format.from_dict(f) for f in data["formats"]),
            hdr=str(data.get("hdr", "tonemap")),
            max_upscale=float(data.get("max_upscale", 2.0)),
        )


Complaint = Callable[[str, str], Exception]  # (key path below the list, problem) → error


def parse_formats(raw: Any, complain: Complaint) -> tuple[Format, ...]:
    """The formats a YAML list (or a comma-separated text) gives; `complain` makes the
    error for a key path such as `[1].aspect`."""
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not raw:
        raise complain("", f"expected a list of formats drawn from {', '.join(ASPECTS)}")
    formats = [_one(item, f"[{i}]", complain) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for i, fmt in enumerate(formats):
        if fmt.aspect in seen:
            raise complain(f"[{i}]", f"{fmt.aspect} is listed twice; give each aspect once")
        seen.add(fmt.aspect)
    return tuple(formats)


def _one(item: Any, where: str, complain: Complaint) -> Format:
    if isinstance(item, int) and not isinstance(item, bool) and item in _SEXAGESIMAL:
        item = _SEXAGESIMAL[item]  # YAML 1.1 reads an unquoted 9:16 as the number 556
    if isinstance(item, str):
        return _sized(item, None, None, "crop", where, complain)
    if not isinstance(item, dict):
        raise complain(where, f'expected an aspect such as "9:16" or a mapping, found {item!r}')
    unknown = sorted(str(k) for k in item if k not in FORMAT_KEYS)
    if unknown:
        raise complain(
            f"{where}.{unknown[0]}",
            f"unknown key; expected one of: {', '.join(sorted(FORMAT_KEYS))}",
        )
    if "aspect" not in item:
        raise complain(where, "missing aspect; expected one of " + ", ".join(ASPECTS))
    fit = item.get("fit", "crop")
    if fit not in FITS:
        raise complain(f"{where}.fit", f"expected one of {', '.join(FITS)}, found {fit!r}")
    return _sized(item["aspect"], item.get("width"), item.get("height"), fit, where, complain)


def _sized(
    aspect: Any, width: Any, height: Any, fit: str, where: str, complain: Complaint
) -> Format:
    if aspect == SOURCE:
        if width is not None or height is not None:
            raise complain(where, "the source format keeps the source's size; give no size")
        return SOURCE_FORMAT
    if aspect not in ASPECT_SIZES:
        where = f"{where}.aspect" if width is not None or height is not None else where
        raise complain(where, f"unknown aspect {aspect!r}; expected one of {', '.join(ASPECTS)}")
    for name, value in (("width", width), ("height", height)):
        whole = isinstance(value, int) and not isinstance(value, bool)
        if value is not None and not (whole and 16 <= value <= MAX_SIDE):
            raise complain(
                f"{where}.{name}", f"expected a whole number from 16 to {MAX_SIDE}, found {value!r}"
            )
    w, h = _size(aspect, width, height)
    return Format(aspect, w, h, fit)


def _size(aspect: str, width: int | None, height: int | None) -> tuple[int, int]:
    """The target size: the default, or the one side given with the other to match."""
    num, den = (int(p) for p in aspect.split(":"))
    if width is None and height is None:
        return ASPECT_SIZES[aspect]
    if height is not None:
        return even(height * num / den), even(height)
    assert width is not None
    return even(width), even(width * den / num)


def even(value: float) -> int:
    """The nearest even whole number, at least 2 (4:2:0 video needs even sides)."""
    return max(2, round(value / 2) * 2)


def describe(formats: Sequence[Format]) -> str:
    """`source, 9:16 (1080x1920), 1:1 pad (1080x1080)`: for logs and check-config."""
    parts = []
    for f in formats:
        if f.is_source:
            parts.append(SOURCE)
        else:
            fit = " pad" if f.fit == "pad" else ""
            parts.append(f"{f.aspect}{fit} ({f.width}x{f.height})")
    return ", ".join(parts)
