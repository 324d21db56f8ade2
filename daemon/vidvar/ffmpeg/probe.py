"""What a video is (ffprobe), in plain words when it is not usable; output verification.

`probe` takes an ffmpeg input URL: `file:/abs/path`, or `file:/proc/self/fd/N`
for a source the worker opened itself (see vidvar.inbox.sources).
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidvar.errors import FfmpegError, InputError
from vidvar.ffmpeg.runner import capture
from vidvar.ffmpeg.tools import ffmpeg, ffprobe, input_url

IMAGE_CODECS = frozenset(
    {
        *("png", "mjpeg", "bmp", "tiff", "webp", "jpeg2000", "jpegls", "pam", "ppm", "pgm"),
        *("pbm", "qoi", "dpx", "exr", "sgi", "targa", "heif"),
    }
)
IMAGE_FORMATS = ("image2", "_pipe", "png", "webp", "tiff", "bmp")
MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")


HDR_TRANSFERS = ("smpte2084", "arib-std-b67")


@dataclass(frozen=True)
class MediaInfo:
    """What the daemon needs to know about a source or an output."""

    duration: float
    width: int  # display size: rotation already applied
    height: int
    rotation: int
    has_audio: bool
    video_codec: str
    pix_fmt: str
    sar: str
    format_name: str
    # Colour as the stream tags it (ffprobe's names; "" when untagged).
    color_transfer: str = ""
    color_primaries: str = ""
    color_space: str = ""
    dolby_vision: bool = False  # the stream carries a Dolby Vision configuration record

    @property
    def aspect(self) -> float:
        """Display width / height."""
        return self.width / self.height if self.height else 16 / 9

    @property
    def hdr(self) -> bool:
        """True for HDR: PQ (HDR10) or HLG, what phones record by default."""
        return self.color_transfer in HDR_TRANSFERS

    @property
    def transfer_name(self) -> str:
        """HLG, PQ, or the tag itself."""
        return {"arib-std-b67": "HLG", "smpte2084": "PQ"}.get(
            self.color_transfer, self.color_transfer
        )

    @property
    def square_pixels(self) -> bool:
        """False when the stream has a non-square sample aspect ratio."""
        return self.sar in ("", "0:1", "1:1", "N/A")


def probe_args(url: str) -> list[str]:
    """ffprobe's argument list for JSON format and stream information."""
    return [ffprobe(), "-v", "error", "-print_format", "json", "-show_format", "-show_streams", url]


def probe(
    path: str | Path,
    *,
    url: str | None = None,
    pass_fds: Sequence[int] = (),
    size: int | None = None,
    head: bytes | None = None,
) -> MediaInfo:
    """Probe a video; InputError with a plain message when it is not usable.

    Without `url`, `path` is read (and checked for existence and size). A caller
    that opened the file itself gives its `url` and `pass_fds` (see
    vidvar.inbox.sources), its `size`, and its first bytes as `head`.
    """
    p = Path(path)
    if url is None:
        try:
            size = p.stat().st_size
        except FileNotFoundError:
            raise InputError(
                "the file is gone (it was moved or deleted before processing)"
            ) from None
        except OSError as exc:
            raise InputError(f"the file cannot be read ({exc.strerror})") from None
    if size == 0:
        raise InputError("empty file (0 bytes)")
    url = url or input_url(p)
    try:
        done = capture(probe_args(url), pass_fds=pass_fds)
    except subprocess.TimeoutExpired:
        raise InputError(
            "ffprobe could not read the file within 2 minutes: it looks damaged"
        ) from None
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        if head is None:
            with p.open("rb") as handle:
                head = handle.read(12)
        raise InputError(_explain_probe_failure(stderr, head), stderr[-500:])
    try:
        data = json.loads(done.stdout or b"{}")
    except json.JSONDecodeError:
        raise InputError(
            "not a video ffmpeg can read: the file is truncated, corrupt or not a video"
        ) from None
    return _media_info(data, url, pass_fds)


def _media_info(data: dict[str, Any], url: str, pass_fds: Sequence[int]) -> MediaInfo:
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos:
        if audios:
            raise InputError("no video stream: this looks like an audio file")
        raise InputError("no video stream: this does not look like a video")
    video = videos[0]
    format_name = str(fmt.get("format_name", ""))
    codec = str(video.get("codec_name", ""))
    duration = _float(fmt.get("duration")) or _float(video.get("duration")) or _tag_duration(video)
    is_image_format = any(part in format_name for part in IMAGE_FORMATS)
    if codec in IMAGE_CODECS and (
        is_image_format or duration is None or str(video.get("nb_frames", "")) == "1"
    ):
        raise InputError("this is a still image, not a video")
    if duration is None:
        duration = measure_duration(url, pass_fds)
    if not duration:
        raise InputError("the video has no playable frames: the file is truncated or corrupt")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise InputError("the video stream has no picture size: the file is corrupt")
    sar = str(video.get("sample_aspect_ratio", ""))
    width = round(width * _ratio(sar))  # display width of non-square pixels
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    return MediaInfo(
        duration=duration,
        width=width,
        height=height,
        rotation=rotation,
        has_audio=bool(audios),
        video_codec=codec,
        pix_fmt=str(video.get("pix_fmt", "")),
        sar=sar,
        format_name=format_name,
        color_transfer=str(video.get("color_transfer", "")),
        dolby_vision=any(
            "dovi" in str(side.get("side_data_type", "")).lower()
            for side in video.get("side_data_list") or []
        ),
        color_primaries=str(video.get("color_primaries", "")),
        color_space=str(video.get("color_space", "")),
    )


def measure_duration(url: str, pass_fds: Sequence[int] = ()) -> float | None:
    """Duration by reading every packet: the fallback when the container does not say."""
    args = [
        *(ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-i", url),
        *("-map", "0:v:0", "-c", "copy", "-f", "null", "-progress", "pipe:1", "-"),
    ]
    try:
        done = capture(args, timeout=600, pass_fds=pass_fds)
    except subprocess.TimeoutExpired:
        return None
    last = None
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("out_time_us="):
            value = line.split("=", 1)[1]
            last = _float(int(value) / 1e6) if value.strip("-").isdigit() else last
    return last


def _float(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result > 0 else None


def _tag_duration(stream: dict[str, Any]) -> float | None:
    # Matroska stores durations as tags like "00:01:02.500000000".
    raw = (stream.get("tags") or {}).get("DURATION")
    if not isinstance(raw, str) or raw.count(":") != 2:
        return None
    h, m, s = raw.split(":")
    try:
        return _float(int(h) * 3600 + int(m) * 60 + float(s))
    except ValueError:
        return None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            try:
                return round(float(side["rotation"])) % 360
            except (TypeError, ValueError):
                pass
    raw = (stream.get("tags") or {}).get("rotate")
    try:
        return int(raw) % 360 if raw is not None else 0
    except ValueError:
        return 0


def _ratio(sar: str) -> float:
    num, _, den = sar.partition(":")
    try:
        value = int(num) / int(den)
    except (ValueError, ZeroDivisionError):
        return 1.0
    return value if value > 0 else 1.0


def _explain_probe_failure(stderr: str, head: bytes) -> str:
    low = stderr.lower()
    if "moov atom not found" in low:
        if head[4:8] not in MP4_BOXES:
            return "not a video ffmpeg can read: the file is not an MP4/MOV video (misnamed?)"
        return "the file is truncated or corrupt (its index is missing: was the copy interrupted?)"
    if "invalid data found" in low or "could not find codec parameters" in low:
        return "not a video ffmpeg can read: the file is truncated, corrupt or not a video"
    if "permission denied" in low:
        return "the file cannot be read (permission denied)"
    if "no such file" in low:
        return "the file is gone"
    return "not a video ffmpeg can read: the file is truncated, corrupt or not a video"


# --- verification -------------------------------------------------------------------


H264 = ("h264", "yuv420p")  # what outputs are, unless an HDR source is kept HDR
HEVC_MAIN10 = ("hevc", "yuv420p10le")  # hdr: keep


def verify_output(
    path: Path,
    *,
    expect_audio: bool,
    expected_seconds: float,
    coding: tuple[str, str] = H264,
) -> MediaInfo:
    """An output counts only if it is readable and coded as `coding` (codec, pixel format)
    with even size, audio exactly when expected and the expected duration; FfmpegError in
    plain words otherwise."""
    try:
        info = probe(path)
    except InputError as exc:
        raise FfmpegError(f"the output is not readable: {exc.message}", exc.detail) from None
    problems = []
    if (info.video_codec, info.pix_fmt) != coding:
        problems.append(f"expected {' '.join(coding)}, found {info.video_codec} {info.pix_fmt}")
    if info.width % 2 or info.height % 2:
        problems.append(f"odd picture size {info.width}x{info.height}")
    if info.has_audio != expect_audio:
        problems.append("audio is missing" if expect_audio else "unexpected audio")
    tolerance = max(0.5, 0.05 * expected_seconds)
    if abs(info.duration - expected_seconds) > tolerance:
        problems.append(
            f"it lasts {info.duration:.2f} s where {expected_seconds:.2f} s was expected "
            "(the source is probably truncated or has damaged frames)"
        )
    if problems:
        raise FfmpegError("the output failed verification: " + "; ".join(problems))
    return info


def verify_outputs(
    checks: Sequence[tuple[Path, bool, float]], coding: tuple[str, str] = H264
) -> None:
    """verify_output for (path, expect_audio, expected_seconds) of one group, all at once:
    each ffprobe spends most of its time starting, so they overlap. Raises the first
    FfmpegError in the given order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(checks))) as pool:
        futures = [
            pool.submit(
                verify_output, path, expect_audio=audio, expected_seconds=seconds, coding=coding
            )
            for path, audio, seconds in checks
        ]
        for future in futures:
            future.result()
