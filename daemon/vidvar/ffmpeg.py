"""ffprobe and ffmpeg: the only place that builds their argument lists.

Everything runs as an argument list (never a shell) in its own process group,
with stderr drained so ffmpeg never blocks on a full pipe, progress parsed from
`-progress pipe:1`, stall detection and cancellation from another thread.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidvar.config import EncoderProfile

FFMPEG = os.environ.get("VIDVAR_FFMPEG", "ffmpeg")
FFPROBE = os.environ.get("VIDVAR_FFPROBE", "ffprobe")
STDERR_TAIL_LINES = 30
IMAGE_CODECS = frozenset(
    {
        "png",
        "mjpeg",
        "bmp",
        "tiff",
        "webp",
        "jpeg2000",
        "jpegls",
        "pam",
        "ppm",
        "pgm",
        "pbm",
        "qoi",
        "dpx",
        "exr",
        "sgi",
        "targa",
        "heif",
    }
)
IMAGE_FORMATS = ("image2", "_pipe", "png", "webp", "tiff", "bmp")


class InputError(Exception):
    """The source cannot be used; the message is meant for a person."""


class FfmpegError(Exception):
    """ffmpeg failed; `message` is plain words, `tail` the end of its stderr."""

    def __init__(self, message: str, tail: str = "") -> None:
        self.message = message
        self.tail = tail
        super().__init__(message + (f"\nffmpeg said:\n{tail}" if tail else ""))


class StalledError(FfmpegError):
    """ffmpeg made no progress for stall_seconds and was killed."""


class CancelledError(Exception):
    """The run was stopped on request (cancel or shutdown)."""


def input_url(path: str | Path) -> str:
    """A path ffmpeg cannot take for an option or a protocol (`-x.mp4`, `a:b.mp4`)."""
    return "file:" + os.path.abspath(path)


# --- probe ---------------------------------------------------------------------


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

    @property
    def aspect(self) -> float:
        """Display width / height."""
        return self.width / self.height if self.height else 16 / 9

    @property
    def square_pixels(self) -> bool:
        """False when the stream has a non-square sample aspect ratio."""
        return self.sar in ("", "0:1", "1:1", "N/A")


def _run_capture(
    args: Sequence[str], timeout: float = 120, data: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    if data is not None:
        return subprocess.run(
            list(args), input=data, capture_output=True, timeout=timeout, check=False
        )
    return subprocess.run(
        list(args), stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
    )


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


MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")


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


def _ratio(sar: str) -> float:
    num, _, den = sar.partition(":")
    try:
        value = int(num) / int(den)
    except (ValueError, ZeroDivisionError):
        return 1.0
    return value if value > 0 else 1.0


def probe_args(path: str | Path) -> list[str]:
    """ffprobe's argument list for JSON format and stream information."""
    return [
        FFPROBE,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        input_url(path),
    ]


def probe(path: str | Path) -> MediaInfo:
    """Probe a source; InputError with a plain message when it is not a usable video."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError("the file is gone (it was moved or deleted before processing)") from None
    except OSError as exc:
        raise InputError(f"the file cannot be read ({exc.strerror})") from None
    if st.st_size == 0:
        raise InputError("empty file (0 bytes)")
    try:
        done = _run_capture(probe_args(p))
    except subprocess.TimeoutExpired:
        raise InputError(
            "ffprobe could not read the file within 2 minutes: it looks damaged"
        ) from None
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        with p.open("rb") as handle:
            head = handle.read(12)
        raise InputError(_explain_probe_failure(stderr, head))
    try:
        data = json.loads(done.stdout or b"{}")
    except json.JSONDecodeError:
        raise InputError(
            "not a video ffmpeg can read: the file is truncated, corrupt or not a video"
        ) from None
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
        duration = measure_duration(p)
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
    )


def measure_duration(path: Path) -> float | None:
    """Duration by reading every packet: the fallback when the container does not say."""
    args = [
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-i",
        input_url(path),
        "-map",
        "0:v:0",
        "-c",
        "copy",
        "-f",
        "null",
        "-progress",
        "pipe:1",
        "-",
    ]
    try:
        done = _run_capture(args, timeout=600)
    except subprocess.TimeoutExpired:
        return None
    last = None
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("out_time_us="):
            last = (
                _float(int(line.split("=", 1)[1]) / 1e6) if line[12:].strip("-").isdigit() else last
            )
    return last


# --- encode --------------------------------------------------------------------


THUMB_SIZE = (256, 144)  # colour thumbnails for the preview sheet (yuv420p)


@dataclass(frozen=True)
class OutputSpec:
    """One encoded output of a fan-out run."""

    path: Path  # the temporary file ffmpeg writes
    video_graph: Callable[..., str]  # (input label, output label[, tap]) → graph
    audio_chain: str | None  # None: the source has no audio
    sample_path: Path | None = None  # raw gray sample frames of this output, when measured
    thumb_path: Path | None = None  # raw colour thumbnails of this output, for the preview


@dataclass(frozen=True)
class Samples:
    """Small frames branched off the encode at the source's moments, for all outputs alike.

    Gray squares at `times` feed the figures; colour thumbnails at `thumb_times`
    feed the preview sheet. Either list may be empty. Taking them from the encode
    means no second decode and no seek into the source afterwards.
    """

    times: tuple[float, ...]
    source_path: Path | None  # raw gray frames of the source itself
    size: int = 64
    thumb_times: tuple[float, ...] = ()
    thumb_source_path: Path | None = None  # raw colour thumbnails of the source

    def chain(self) -> str:
        """The first frame at or after each moment, scaled down and gray."""
        return f"{_select(self.times)},scale={self.size}:{self.size}:flags=area,format=gray"

    def thumb_chain(self) -> str:
        """The first frame at or after each preview moment, fitted into a thumbnail."""
        width, height = THUMB_SIZE
        return (
            f"{_select(self.thumb_times)},"
            f"scale={width}:{height}:force_original_aspect_ratio=decrease:flags=bilinear,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p"
        )

    def tap(
        self, key: str, gray: Path | None, thumbs: Path | None
    ) -> tuple[Callable[[str], str] | None, list[tuple[str, Path, str]]]:
        """The graph segment (input label → tap labels) writing `gray` and `thumbs` frames,
        and the (label, raw file, pixel format) of each output it feeds; (None, []) if none."""
        wanted: list[tuple[str, Path, str, str]] = []  # label, file, chain, pixel format
        if gray is not None and self.times:
            wanted.append((f"m{key}", gray, self.chain(), "gray"))
        if thumbs is not None and self.thumb_times:
            wanted.append((f"p{key}", thumbs, self.thumb_chain(), "yuv420p"))
        if not wanted:
            return None, []

        def segment(src: str) -> str:
            if len(wanted) == 1:
                label, _path, chain, _fmt = wanted[0]
                return f"[{src}]{chain}[{label}]"
            heads = "".join(f"[{src}{k}]" for k in range(len(wanted)))
            return f"[{src}]split={len(wanted)}{heads};" + ";".join(
                f"[{src}{k}]{chain}[{label}]" for k, (label, _p, chain, _f) in enumerate(wanted)
            )

        return segment, [(label, path, fmt) for label, path, _chain, fmt in wanted]


def _select(times: Sequence[float]) -> str:
    terms = "+".join(f"gte(t\\,{t:.3f})*not(gte(prev_selected_t\\,{t:.3f}))" for t in times)
    return f"select='{terms}'"


def read_samples(path: Path, count: int, size: int = 64) -> list[bytes]:
    """Frames written by a Samples tap; a moment past the end repeats the last frame."""
    return read_frames(path, count, size * size)


def read_frames(path: Path, count: int, frame: int) -> list[bytes]:
    """`count` raw frames of `frame` bytes; a moment past the end repeats the last frame."""
    data = path.read_bytes()
    frames = [data[i * frame : (i + 1) * frame] for i in range(len(data) // frame)]
    if not frames:
        raise FfmpegError("no sample frames were written")
    return (frames + [frames[-1]] * count)[:count]


def encode_args(
    source: str | Path,
    info: MediaInfo,
    outputs: Sequence[OutputSpec],
    encoder: EncoderProfile,
    samples: Samples | None = None,
) -> list[str]:
    """One decode, `split` into one filter chain and one encoder per output.

    Work common to every output (square pixels, even size, 8-bit 4:2:0) runs once
    before the split. With `samples`, a few small frames of the source and of each
    output (gray ones to measure, colour thumbnails for the preview) are written on
    the way, so neither needs a second decode.
    """
    n = len(outputs)
    common = _common_chain(info)
    taps: list[tuple[str, Path, str]] = []  # (graph label, raw file, pixel format)
    source_tap = None
    if samples:
        source_tap, wired = samples.tap("src", samples.source_path, samples.thumb_source_path)
        taps += wired
    branches = n + (1 if source_tap else 0)
    graph = [
        f"[0:v:0]{','.join(common)},split={branches}" + "".join(f"[s{i}]" for i in range(branches))
    ]
    for i, out in enumerate(outputs):
        tap, wired = samples.tap(str(i), out.sample_path, out.thumb_path) if samples else (None, [])
        taps += wired
        graph.append(
            out.video_graph(f"s{i}", f"v{i}", tap=tap) if tap else out.video_graph(f"s{i}", f"v{i}")
        )
    if source_tap:
        graph.append(source_tap(f"s{n}"))
    with_audio = info.has_audio and all(o.audio_chain for o in outputs)
    if with_audio:
        graph.append(f"[0:a:0]asplit={n}" + "".join(f"[t{i}]" for i in range(n)))
        graph += [f"[t{i}]{out.audio_chain}[a{i}]" for i, out in enumerate(outputs)]
    args = [
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-y",
        "-nostats",
        "-loglevel",
        "error",
        "-progress",
        "pipe:1",
        "-i",
        input_url(source),
        "-filter_complex",
        ";".join(graph),
    ]
    for i, out in enumerate(outputs):
        args += ["-map", f"[v{i}]"]
        if with_audio:
            args += ["-map", f"[a{i}]"]
        args += [
            "-c:v",
            "libx264",
            "-preset",
            encoder.preset,
            "-crf",
            str(encoder.crf),
            "-pix_fmt",
            "yuv420p",
            # A keyframe every 2 s: players and the preview sheet seek without
            # decoding the whole clip from its start.
            "-force_key_frames",
            "expr:gte(t,n_forced*2)",
        ]
        if encoder.video_bitrate:
            args += ["-b:v", encoder.video_bitrate]
        if encoder.max_bitrate:
            args += [
                "-maxrate",
                encoder.max_bitrate,
                "-bufsize",
                encoder.bufsize or encoder.max_bitrate,
            ]
        threads = encoder.threads or _fanout_threads(n)
        if threads:
            args += ["-threads", str(threads)]
        if with_audio:
            args += ["-c:a", "aac", "-b:a", encoder.audio_bitrate]
        # Strip source metadata, chapters and encoder version tags (x264's SEI too).
        args += [
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            "-bsf:v",
            "filter_units=remove_types=6",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            input_url(out.path),
        ]
    for label, path, pix_fmt in taps:
        args += ["-map", f"[{label}]", "-fps_mode", "passthrough", "-f", "rawvideo"]
        args += ["-pix_fmt", pix_fmt, input_url(path)]
    return args


def _common_chain(info: MediaInfo) -> list[str]:
    """Filters every output needs (square pixels, even size, 8-bit 4:2:0): run once."""
    common = []
    if not info.square_pixels:
        common.append("scale=w='trunc(iw*sar/2)*2':h=ih")
    common.append("scale=w='trunc(iw/2)*2':h='trunc(ih/2)*2',setsar=1,format=yuv420p")
    return common


def shared_work_args(source: str | Path, info: MediaInfo) -> list[str]:
    """Decode and the common chain only, into nothing: the work one fan-out shares
    between its outputs (what the benchmark weighs against the whole encode)."""
    args = [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-i", input_url(source)]
    args += ["-filter_complex", f"[0:v:0]{','.join(_common_chain(info))}[v]", "-map", "[v]"]
    if info.has_audio:
        args += ["-map", "0:a:0"]
    return [*args, "-f", "null", "-"]


def _fanout_threads(outputs: int) -> int:
    """x264 threads per encoder when several share one process (0: x264's own choice).

    x264's default (1.5 x cores each) oversubscribes a small box five times over;
    two each kept all cores busy for 3-4% less CPU in measurements on 2 cores.
    """
    if outputs <= 1:
        return 0
    cores = os.cpu_count() or 2
    return max(2, -(-cores * 3 // (2 * outputs)))


def sample_clip_args(
    path: str | Path,
    *,
    seconds: float = 4,
    size: str = "640x360",
    rate: int = 25,
    audio: bool = True,
    extra: Sequence[str] = (),
) -> list[str]:
    """A generated test clip (testsrc2 + sine), for `vidvar enqueue --sample` and tests."""
    args = [
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate={rate}:duration={seconds}",
    ]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    return [*args, *extra, input_url(path)]


# --- run -----------------------------------------------------------------------


_RUNNING: set[int] = set()  # process groups of the ffmpeg runs in flight


def kill_all_now() -> None:
    """SIGKILL every ffmpeg this process started (a second stop signal: no grace)."""
    for pid in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def kill_group(pid: int, grace: float) -> None:
    """SIGTERM the process group, wait `grace`, then SIGKILL; a group already gone is fine."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


class _ProgressReader(threading.Thread):
    """Parses `-progress pipe:1` key=value blocks into seconds of output written."""

    def __init__(self, stream: Any) -> None:
        super().__init__(daemon=True, name="ffmpeg-progress")
        self.stream = stream
        self.out_seconds = 0.0
        self.last_change = time.monotonic()
        self.ended = False
        self._marker: tuple[str, ...] = ()

    def run(self) -> None:
        block: dict[str, str] = {}
        for raw in self.stream:
            line = raw.decode("utf-8", "replace").strip()
            if "=" not in line:
                continue
            key, value = line.split("=", 1)
            block[key] = value
            if key != "progress":
                continue
            # Early values can be N/A; out_time_us is microseconds (so is out_time_ms).
            us = block.get("out_time_us", block.get("out_time_ms", ""))
            if us.lstrip("-").isdigit() and int(us) > 0:
                self.out_seconds = max(self.out_seconds, int(us) / 1e6)
            marker = (us, block.get("frame", ""), block.get("total_size", ""))
            if marker != self._marker:
                self._marker = marker
                self.last_change = time.monotonic()
            self.ended = value == "end"
            block = {}


class _TailReader(threading.Thread):
    """Drains stderr so ffmpeg never blocks, keeping the last lines for error messages."""

    def __init__(self, stream: Any) -> None:
        super().__init__(daemon=True, name="ffmpeg-stderr")
        self.stream = stream
        self.lines: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)

    def run(self) -> None:
        for raw in self.stream:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def process_start_time(pid: int) -> float | None:
    """Seconds after boot at which a process started (from /proc/PID/stat); None when gone.

    Boot-relative on purpose: it needs no /proc/stat, which a hardened unit hides.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def run_ffmpeg(
    args: Sequence[str],
    *,
    expected_seconds: float,
    on_progress: Callable[[float], None] | None = None,
    on_start: Callable[[int, float | None], None] | None = None,
    on_tick: Callable[[], None] | None = None,
    cancel: threading.Event | None = None,
    stall_seconds: float = 120.0,
    grace_seconds: float = 5.0,
    tick_seconds: float = 0.25,
) -> None:
    """Run ffmpeg to completion.

    `on_progress` gets a monotonic percent (0–100) of `expected_seconds` of output;
    `on_tick` runs on the caller's thread between waits (heartbeats, cancel checks);
    setting `cancel` kills the process group and raises CancelledError. No progress
    for `stall_seconds` kills it and raises StalledError; a non-zero exit raises
    FfmpegError with the tail of stderr.
    """
    # Its own process group (killable as a whole, deaf to the terminal's Ctrl-C) but not
    # its own session: a new session gets its own scheduler autogroup, which cost 25%
    # wall time for a 5-output 720p encode on a 2-core box (33 s vs 42 s).
    proc = subprocess.Popen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,
    )
    _RUNNING.add(proc.pid)
    progress = _ProgressReader(proc.stdout)
    tail = _TailReader(proc.stderr)
    progress.start()
    tail.start()
    reported = -1.0
    try:
        if on_start:
            on_start(proc.pid, process_start_time(proc.pid))
        while True:
            try:
                proc.wait(timeout=tick_seconds)
                break
            except subprocess.TimeoutExpired:
                pass
            if cancel is not None and cancel.is_set():
                kill_group(proc.pid, grace_seconds)
                raise CancelledError("stopped on request")
            if time.monotonic() - progress.last_change > stall_seconds:
                kill_group(proc.pid, grace_seconds)
                raise StalledError(
                    f"ffmpeg made no progress for {stall_seconds:g} s and was stopped", tail.text
                )
            if on_progress and expected_seconds > 0:
                pct = min(99.0, 100.0 * progress.out_seconds / expected_seconds)
                if pct > reported:
                    reported = pct
                    on_progress(pct)
            if on_tick:
                on_tick()
    except BaseException:
        kill_group(proc.pid, grace_seconds)
        proc.wait()
        raise
    finally:
        _RUNNING.discard(proc.pid)
        progress.join(timeout=5)
        tail.join(timeout=5)
        for pipe in (proc.stdout, proc.stderr):
            if pipe:
                pipe.close()
    if cancel is not None and cancel.is_set():
        raise CancelledError("stopped on request")
    if proc.returncode != 0:
        raise FfmpegError(_explain_encode_failure(proc.returncode, tail.text), tail.text)
    if on_progress:
        on_progress(100.0)


def _explain_encode_failure(code: int, tail: str) -> str:
    low = tail.lower()
    if code < 0:
        return f"ffmpeg was killed by signal {-code}"
    if "no space left" in low:
        return "the output disk is full"
    if "invalid data found" in low or "error while decoding" in low or "corrupt" in low:
        return "ffmpeg could not decode the source: the file is truncated or corrupt"
    if "permission denied" in low:
        return "ffmpeg could not write the output (permission denied)"
    return f"ffmpeg failed (exit code {code})"


# --- verify --------------------------------------------------------------------


def verify_output(path: Path, *, expect_audio: bool, expected_seconds: float) -> MediaInfo:
    """An output counts only if it is readable H.264 yuv420p with even size, audio exactly
    when expected and the expected duration; FfmpegError in plain words otherwise."""
    try:
        info = probe(path)
    except InputError as exc:
        raise FfmpegError(f"the output is not readable: {exc}") from None
    problems = []
    if info.video_codec != "h264" or info.pix_fmt != "yuv420p":
        problems.append(f"expected H.264 yuv420p, found {info.video_codec} {info.pix_fmt}")
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


def verify_outputs(checks: Sequence[tuple[Path, bool, float]]) -> None:
    """verify_output for (path, expect_audio, expected_seconds) of one group, all at once:
    each ffprobe spends most of its time starting, so they overlap. Raises the first
    FfmpegError in the given order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(checks))) as pool:
        futures = [
            pool.submit(verify_output, path, expect_audio=audio, expected_seconds=seconds)
            for path, audio, seconds in checks
        ]
        for future in futures:
            future.result()


# --- small frames and preview sheets -------------------------------------------------


@dataclass(frozen=True)
class PreviewCell:
    """One cell of a preview sheet: a THUMB_SIZE yuv420p picture (None: black) and a label."""

    picture: bytes | None
    label: str


def _drawtext_text(text: str) -> str:
    """`text` as a drawtext option value inside a -vf chain: escaped once for the option
    parser, then once more for the filtergraph parser (ffmpeg-filters, "Quoting and
    escaping"), so names with quotes, colons or commas are drawn as they are."""
    for char in "\\':":
        text = text.replace(char, "\\" + char)
    for char in "\\'[],;":
        text = text.replace(char, "\\" + char)
    return text


def preview_args(labels: Sequence[str], columns: int, out: Path) -> list[str]:
    """Raw thumbnails on stdin, one per cell in reading order → a labelled grid as one JPEG."""
    width, height = THUMB_SIZE
    rows = -(-len(labels) // columns)
    chain = [
        f"drawtext=enable='eq(n\\,{i})':text={_drawtext_text(label)}:expansion=none:"
        "x=6:y=h-th-6:fontsize=13:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=3"
        for i, label in enumerate(labels)
    ]
    chain.append(f"tile={columns}x{rows}")
    return [
        FFMPEG,
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-video_size",
        f"{width}x{height}",
        "-framerate",
        "25",
        "-i",
        "pipe:0",
        "-vf",
        ",".join(chain),
        "-frames:v",
        "1",
        "-q:v",
        "5",
        "-f",
        "image2",
        "-c:v",
        "mjpeg",
        input_url(out),
    ]


def make_preview(cells: Sequence[PreviewCell], columns: int, out: Path) -> None:
    """Render the preview sheet to `out`; FfmpegError when ffmpeg cannot."""
    width, height = THUMB_SIZE
    black = bytes([16]) * (width * height) + bytes([128]) * (width * height // 2)
    data = b"".join(cell.picture or black for cell in cells)
    done = _run_capture(preview_args([c.label for c in cells], columns, out), 300, data)
    if done.returncode != 0:
        raise FfmpegError(
            "could not render the preview sheet", done.stderr.decode("utf-8", "replace")[-500:]
        )
