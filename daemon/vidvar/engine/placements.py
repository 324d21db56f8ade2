"""Each variation's placement formats: sizes, crop windows and camera paths.

The sizes follow the format, bounded by how far the source's pixels may be
enlarged (`max_upscale`); the crop of `fit: crop` follows the subject track
(quality.framing) mapped through the variation's own warp and speed, so the
window stays on the subject after the variation's zoom, turn and mirror.
"""

from __future__ import annotations

from dataclasses import dataclass

from vidvar import effects
from vidvar.config.placement import Format, Placement, even
from vidvar.effects import Variation
from vidvar.ffmpeg.commands import common_size
from vidvar.ffmpeg.placing import PlacementFilter
from vidvar.ffmpeg.probe import MediaInfo
from vidvar.quality.framing import CameraPath, SubjectTrack, camera_path


@dataclass(frozen=True)
class FormatPlan:
    """One format of one variation: what to draw, and what status.json says of it."""

    format: Format
    filter: PlacementFilter | None  # None: the variation's own shape
    framing: str | None = None  # tracked or centre (fit crop); None otherwise
    warning: str | None = None
    picture: tuple[int, int] = (0, 0)  # the variation's own size (the source format's)

    @property
    def key(self) -> str:
        return self.format.key

    @property
    def size(self) -> tuple[int, int] | None:
        return (self.filter.width, self.filter.height) if self.filter else None

    def describe(self) -> dict[str, object]:
        """The output's placement facts for the store and status.json."""
        if self.filter is None:
            return {
                "width": self.picture[0],
                "height": self.picture[1],
                "fit": None,
                "framing": None,
            }
        return {
            "width": self.filter.width,
            "height": self.filter.height,
            "fit": self.filter.fit,
            "framing": self.framing,
        }


def picture_size(info: MediaInfo) -> tuple[int, int]:
    """The size of every variation's picture (the common chain's output)."""
    return common_size(info) or (max(2, info.width // 2 * 2), max(2, info.height // 2 * 2))


def crop_window(picture: tuple[int, int], ratio: float) -> tuple[int, int]:
    """The largest window of aspect `ratio` (width / height) inside `picture`."""
    width, height = picture
    if width / height > ratio:
        return min(width, even(height * ratio)), height
    return width, min(height, even(width / ratio))


def format_plans(
    variation: Variation, info: MediaInfo, placement: Placement, subject: SubjectTrack | None
) -> list[FormatPlan]:
    """The formats `variation` is written in, in the order the job asked for them."""
    picture = picture_size(info)
    plans = []
    for fmt in placement.formats:
        if fmt.is_source:
            plans.append(FormatPlan(fmt, None, picture=picture))
        elif fmt.fit == "pad":
            plans.append(_padded(fmt, picture, placement.max_upscale))
        else:
            plans.append(_cropped(fmt, variation, info, picture, placement.max_upscale, subject))
    return plans


def _bounded(
    fmt: Format, enlarge: float, limit: float, source: tuple[int, int]
) -> tuple[int, int, str | None]:
    """The format's size, made smaller when it would enlarge the picture past `limit`."""
    if enlarge <= limit * 1.0001:
        return fmt.width, fmt.height, None
    shrink = limit / enlarge
    width, height = even(fmt.width * shrink), even(fmt.height * shrink)
    return (
        width,
        height,
        f"{fmt.aspect} is {width}x{height}, not {fmt.width}x{fmt.height}: the source "
        f"({source[0]}x{source[1]}) is not enlarged more than {limit:g}x (max_upscale)",
    )


def _padded(fmt: Format, picture: tuple[int, int], limit: float) -> FormatPlan:
    enlarge = min(fmt.width / picture[0], fmt.height / picture[1])
    width, height, warning = _bounded(fmt, enlarge, limit, picture)
    return FormatPlan(fmt, PlacementFilter(width, height, "pad"), None, warning)


def _cropped(
    fmt: Format,
    variation: Variation,
    info: MediaInfo,
    picture: tuple[int, int],
    limit: float,
    subject: SubjectTrack | None,
) -> FormatPlan:
    window = crop_window(picture, fmt.ratio)
    width, height, warning = _bounded(fmt, fmt.height / window[1], limit, picture)
    path = CameraPath((), (), "centre")
    if subject is not None:
        warp = effects.warp(variation.params, effects.Picture(info.aspect, picture))
        path = camera_path(subject, warp, picture, window, variation.speed)
    if not path.fits:
        note = f"the subject does not always fit the {fmt.aspect} crop"
        warning = f"{warning}; {note}" if warning else note
    return FormatPlan(
        fmt,
        PlacementFilter(width, height, "crop", window, path.x, path.y),
        path.framing,
        warning,
    )
