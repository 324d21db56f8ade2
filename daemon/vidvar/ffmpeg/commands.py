"""ffmpeg argument lists: the only place that builds them.

Every command is an argument list (never a shell). Paths go in as `file:` URLs,
so a name such as `-x.mp4` or `a:b.mp4` is never read as an option or protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vidvar import machine
from vidvar.config import EncoderProfile
from vidvar.ffmpeg.colour import SDR_TAGS, hdr_encoder_options, tonemap_chain
from vidvar.ffmpeg.probe import MediaInfo
from vidvar.ffmpeg.tools import ffmpeg, input_url

THUMB_SIZE = (256, 144)  # colour thumbnails for the preview sheet (yuv420p)
LEADING_FRAMES = 1  # every tap starts with frame 0, before its moments (see _select)
SAMPLE_SIZE = 64  # gray sample frames for the figures


@dataclass(frozen=True)
class PlacedOutput:
    """The same variation in a placement format (ffmpeg.placing), encoded beside it."""

    path: Path  # the temporary file ffmpeg writes
    chain: str  # the filters from the variation's picture to the format
    thumb_path: Path | None = None  # raw colour thumbnails of it, for the preview
    thumb_times: tuple[float, ...] = ()  # the preview's moments on its own timeline


@dataclass(frozen=True)
class OutputSpec:
    """One variation of a fan-out run: its own shape and its placement formats, all
    from one run of its filters."""

    path: Path | None  # the temporary file ffmpeg writes (None: the shape is not asked for)
    video_graph: Callable[..., str]  # (input label, output label[, tap]) → graph
    audio_chain: str | None  # None: the source has no audio
    sample_path: Path | None = None  # raw gray sample frames of this output, when measured
    thumb_path: Path | None = None  # raw colour thumbnails of this output, for the preview
    placed: tuple[PlacedOutput, ...] = ()

    def targets(self) -> list[tuple[str | None, Path]]:
        """(chain from the variation's picture or None, file) of every output written."""
        own: list[tuple[str | None, Path]] = [(None, self.path)] if self.path else []
        return own + [(p.chain, p.path) for p in self.placed]


@dataclass(frozen=True)
class Samples:
    """Small frames branched off the encode at the source's moments, for all outputs alike.

    Gray squares at `times` feed the figures; colour thumbnails at `thumb_times`
    feed the preview sheet. Either list may be empty. Taking them from the encode
    means no second decode and no seek into the source afterwards.
    """

    times: tuple[float, ...]
    source_path: Path | None  # raw gray frames of the source itself
    size: int = SAMPLE_SIZE
    thumb_times: tuple[float, ...] = ()
    thumb_source_path: Path | None = None  # raw colour thumbnails of the source

    def chain(self) -> str:
        """The first frame at or after each moment, scaled down and gray."""
        return f"{_select(self.times)},{sample_scale(self.size)}"

    def thumb_chain(self) -> str:
        """The first frame at or after each preview moment, fitted into a thumbnail."""
        return f"{_select(self.thumb_times)},{_thumb_fit()}"

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


def sample_scale(size: int = SAMPLE_SIZE) -> str:
    """A frame as the figures see it: `size` x `size`, area-averaged, gray (square pixels,
    so that frames of any source join one stream)."""
    return f"scale={size}:{size}:flags=area,setsar=1,format=gray"


def _select(times: Sequence[float]) -> str:
    """Frame 0, then the first later frame at or after each moment.

    ffmpeg prints no progress until every output file has written its header, and a
    tap's header waits for its first frame: a tap whose first moment is a third into
    a long video held all progress back that long (and a healthy encode was killed as
    stalled). Frame 0 opens every tap at once; the reader drops it (LEADING_FRAMES).
    """
    terms = "+".join(
        f"gte(t\\,{t:.3f})*gt(n\\,0)*not(gte(prev_selected_t\\,{t:.3f}))" for t in times
    )
    return f"select='eq(n\\,0)+{terms}'"


def encode_args(
    source: str,
    info: MediaInfo,
    outputs: Sequence[OutputSpec],
    encoder: EncoderProfile,
    samples: Samples | None = None,
    *,
    cores: int | None = None,
    hdr_keep: bool = False,
) -> list[str]:
    """One decode of `source` (an ffmpeg input URL), `split` into one filter chain per
    variation, each split again into its formats, with one encoder per file; `cores` is
    this run's share of the machine (all of it when None), which the encoders' threads
    are sized to. `hdr_keep` keeps an HDR source HDR (HEVC 10-bit) instead of tone
    mapping it.

    Work common to every output (square pixels, even size, 8-bit 4:2:0) runs once
    before the split. With `samples`, a few small frames of the source and of each
    output (gray ones to measure, colour thumbnails for the preview) are written on
    the way, so neither needs a second decode.
    """
    n = len(outputs)
    keep = hdr_keep and info.hdr
    taps: list[tuple[str, Path, str]] = []  # (graph label, raw file, pixel format)
    source_tap = None
    if samples:
        source_tap, wired = samples.tap("src", samples.source_path, samples.thumb_source_path)
        taps += wired
    branches = n + (1 if source_tap else 0)
    graph = [
        f"[0:v:0]{','.join(common_chain(info, keep=keep))},split={branches}"
        + "".join(f"[s{i}]" for i in range(branches))
    ]
    files: list[tuple[Path, str | None]] = []  # every output file, and its audio chain
    for i, out in enumerate(outputs):
        taps += _variation_graph(graph, i, out, samples, len(files))
        files += [(path, out.audio_chain) for _chain, path in out.targets()]
    if source_tap:
        graph.append(source_tap(f"s{n}"))
    total = len(files)
    with_audio = info.has_audio and all(chain for _path, chain in files)
    if with_audio:
        graph.append(f"[0:a:0]asplit={total}" + "".join(f"[t{k}]" for k in range(total)))
        graph += [f"[t{k}]{chain}[a{k}]" for k, (_path, chain) in enumerate(files)]
    args = [ffmpeg(), "-hide_banner", "-nostdin", "-y", "-nostats", "-loglevel", "error"]
    args += ["-progress", "pipe:1", "-i", source, "-filter_complex", ";".join(graph)]
    for k, (path, _chain) in enumerate(files):
        args += ["-map", f"[v{k}]", *(("-map", f"[a{k}]") if with_audio else ())]
        args += _output_options(encoder, info, (total, cores), with_audio, keep=keep)
        args += [*(_CLEAN_HEVC if keep else _CLEAN_OUTPUT), input_url(path)]
    for label, path, pix_fmt in taps:
        args += ["-map", f"[{label}]", "-fps_mode", "passthrough", "-f", "rawvideo"]
        args += ["-pix_fmt", pix_fmt, input_url(path)]
    return args


def _variation_graph(
    graph: list[str], i: int, out: OutputSpec, samples: Samples | None, first: int
) -> list[tuple[str, Path, str]]:
    """Append variation `i`'s filters from label s<i> to its files' labels v<first>…,
    and return the taps it feeds."""
    tap, taps = samples.tap(str(i), out.sample_path, out.thumb_path) if samples else (None, [])
    targets = out.targets()
    own = len(targets) == 1 and targets[0][0] is None
    picture = f"v{first}" if own else f"w{i}"
    graph.append(
        out.video_graph(f"s{i}", picture, tap=tap) if tap else out.video_graph(f"s{i}", picture)
    )
    if not own:
        split, wired = _format_split(picture, out, first)
        graph.append(split)
        taps = [*taps, *wired]
    return taps


def _output_options(
    encoder: EncoderProfile,
    info: MediaInfo,
    share: tuple[int, int | None],
    with_audio: bool,
    *,
    keep: bool,
) -> list[str]:
    """One output's encoder and colour tags; `share` is (outputs in the run, cores)."""
    outputs, cores = share
    if keep:
        threads = encoder.threads or fanout_threads(outputs, cores)
        return hdr_encoder_options(encoder, info, threads, with_audio)
    args = _encoder_options(encoder, outputs, with_audio, cores)
    if info.hdr or info.color_transfer in ("", "unknown"):
        # Tone-mapped, or untagged: players must not guess (an HDR tag left on SDR
        # frames looks washed out).
        args += SDR_TAGS
    return args


def _format_split(
    picture: str, out: OutputSpec, first: int
) -> tuple[str, list[tuple[str, Path, str]]]:
    """The variation's picture split into each of its files' formats (labels v<first>…),
    with a format's thumbnails branched off its finished picture; and those taps."""
    targets: list[tuple[str | None, PlacedOutput | None]] = [(None, None)] if out.path else []
    targets += [(p.chain, p) for p in out.placed]
    heads = "".join(f"[{picture}f{m}]" for m in range(len(targets)))
    parts = [f"[{picture}]split={len(targets)}{heads}" if len(targets) > 1 else ""]
    taps: list[tuple[str, Path, str]] = []
    for m, (chain, placed) in enumerate(targets):
        head = f"[{picture}f{m}]" if len(targets) > 1 else f"[{picture}]"
        label = f"v{first + m}"
        if placed is None or placed.thumb_path is None or not placed.thumb_times:
            parts.append(f"{head}{chain or 'null'}[{label}]")
            continue
        parts.append(
            f"{head}{chain},split=2[{label}][{label}th];"
            f"[{label}th]{_select(placed.thumb_times)},{_thumb_fit()}[p{label}]"
        )
        taps.append((f"p{label}", placed.thumb_path, "yuv420p"))
    return ";".join(p for p in parts if p), taps


def _thumb_fit() -> str:
    """A frame fitted into a preview thumbnail (letterboxed)."""
    width, height = THUMB_SIZE
    return (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease:flags=bilinear,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p"
    )


# An audition reads at most this long after each moment for its frame: a stream with a
# longer gap between frames gives that moment up (the encode's samples still measure it).
AUDITION_WINDOW_SECONDS = 10


def audition_args(
    source: str,
    info: MediaInfo,
    times: Sequence[float],
    looks: Sequence[Sequence[str]],
    out: Path,
    size: int = SAMPLE_SIZE,
) -> list[str]:
    """The source and each candidate look (its filters) at `times`, as gray sample frames.

    The frames the encode's tap would take, for a sliver of an encode: each moment is
    its own input, seeked to (ffmpeg decodes from the keyframe before it and keeps the
    first frame at or after it), so only a few frames are decoded, and every look runs
    on those frames alone. `out` gets rawvideo: the source's frames, then each look's,
    `len(times)` frames apiece (fewer when a moment lies past the end).
    """
    args = [ffmpeg(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    for moment in times:
        args += ["-ss", f"{moment:.3f}", "-t", str(AUDITION_WINDOW_SECONDS), "-i", source]
    graph = [f"[{k}:v:0]trim=end_frame=1,setpts=PTS-STARTPTS[m{k}]" for k in range(len(times))]
    branches = len(looks) + 1
    graph.append(
        "".join(f"[m{k}]" for k in range(len(times)))
        + f"concat=n={len(times)}:v=1:a=0,{','.join(common_chain(info))},split={branches}"
        + "".join(f"[c{b}]" for b in range(branches))
    )
    for b, look in enumerate([[], *looks]):
        graph.append(f"[c{b}]{','.join([*look, sample_scale(size)])}[o{b}]")
    graph.append("".join(f"[o{b}]" for b in range(branches)) + f"concat=n={branches}:v=1:a=0[out]")
    args += ["-filter_complex", ";".join(graph), "-map", "[out]"]
    return [*args, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", input_url(out)]


# Strip source metadata, chapters and encoder version tags (x264's SEI too).
_CLEAN_HEVC = (
    *("-map_metadata", "-1", "-map_chapters", "-1"),
    *("-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"),
    *("-movflags", "+faststart", "-f", "mp4"),
)
# HEVC keeps its SEI: NAL type 6 is a picture there, and HDR metadata travels in SEI.
_CLEAN_OUTPUT = (*_CLEAN_HEVC[:4], "-bsf:v", "filter_units=remove_types=6", *_CLEAN_HEVC[4:])


def _encoder_options(
    encoder: EncoderProfile, outputs: int, with_audio: bool, cores: int | None
) -> list[str]:
    args = ["-c:v", "libx264", "-preset", encoder.preset, "-crf", str(encoder.crf)]
    # A keyframe every 2 s: players and the preview sheet seek without decoding the
    # whole clip from its start.
    args += ["-pix_fmt", "yuv420p", "-force_key_frames", "expr:gte(t,n_forced*2)"]
    if encoder.video_bitrate:
        args += ["-b:v", encoder.video_bitrate]
    if encoder.max_bitrate:
        args += [
            "-maxrate",
            encoder.max_bitrate,
            "-bufsize",
            encoder.bufsize or encoder.max_bitrate,
        ]
    threads = encoder.threads or fanout_threads(outputs, cores)
    if threads:
        args += ["-threads", str(threads)]
    if with_audio:
        args += ["-c:a", "aac", "-b:a", encoder.audio_bitrate]
    return args


def common_chain(info: MediaInfo, *, keep: bool = False) -> list[str]:
    """Filters every output needs (HDR tone-mapped to SDR, square pixels, even size,
    8-bit 4:2:0; 10-bit with the HDR kept when `keep`): run once, before the split, so
    the audition, the figures and the preview see what the outputs show."""
    keep = keep and info.hdr
    common = [tonemap_chain(info)] if info.hdr and not keep else []
    if not info.square_pixels:
        common.append("scale=w='trunc(iw*sar/2)*2':h=ih")
    depth = "yuv420p10le" if keep else "yuv420p"
    common.append(f"scale=w='trunc(iw/2)*2':h='trunc(ih/2)*2',setsar=1,format={depth}")
    return common


def common_size(info: MediaInfo) -> tuple[int, int] | None:
    """The exact picture size common_chain hands every output, or None when only ffmpeg
    knows it (non-square pixels: its rounding of width x sar is not the probe's)."""
    if not info.square_pixels:
        return None
    return info.width // 2 * 2, info.height // 2 * 2


def fanout_threads(outputs: int, cores: int | None = None) -> int:
    """x264 threads per encoder when several share one process (0: x264's own choice).

    x264's default (1.5 x cores each) oversubscribes a small box five times over;
    two each kept all cores busy for 3-4% less CPU in measurements on 2 cores. `cores`
    is the run's share of the machine (files encoded at once split it).
    """
    if outputs <= 1 and cores is None:
        return 0
    share = cores or machine.cores()
    return max(2, -(-share * 3 // (2 * outputs)))


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
    args = [ffmpeg(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    args += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    return [*args, *extra, input_url(path)]
