"""Every setting, declared once: a dataclass field with its default, bounds and choices.

The reader (config.reader) validates YAML against these fields; `check-config`
prints them back (config.dump). A default lives only in its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidvar import machine
from vidvar.config.placement import HDR_MODES, SOURCE_FORMAT, Format, Placement
from vidvar.effects.catalogue import EffectsProfile, default_effects_profile
from vidvar.schedule import DAYS_PATTERN, TIME_PATTERN, Schedule, window

DEFAULT_EXTENSIONS = (
    *("mp4", "mov", "m4v", "mkv", "avi", "webm", "mpg", "mpeg"),
    *("mts", "m2ts", "ts", "wmv", "flv", "3gp"),
)
X264_PRESETS = (
    *("ultrafast", "superfast", "veryfast", "faster", "fast"),
    *("medium", "slow", "slower", "veryslow"),
)
BITRATE = r"[0-9]+(\.[0-9]+)?[kKmM]?"
# One fan-out ffmpeg keeps 1.6 of 2 cores busy: its one main thread decodes, filters
# and feeds every encoder in turn. Over a 5-file batch on 2 cores, 1 file at a time kept
# the cores 79 % busy, 2 at once 93 %, 3 at once 98 % (python -m bench utilisation).
# Hence one file more than the cores, up to 3; on big machines one per 4 cores.
CORES_PER_FILE = 4
# What one fan-out ffmpeg holds per megapixel of its outputs: 1.3 GB at 11 megapixels
# (five 1080p outputs). Files at once by default use at most half the memory.
BYTES_PER_MEGAPIXEL = 120 * 2**20


def setting(
    default: Any = None,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] | None = None,
    pattern: str | None = None,
    hint: str = "",
    key: str | None = None,
    factory: Any = None,
    doc: str = "",
) -> Any:
    """A config field: its default, what the YAML value must satisfy, and what it means
    (`doc`, for the JSON Schema and the reference)."""
    meta = {
        "doc": doc,
        "minimum": minimum,
        "above": above,
        "maximum": maximum,
        "choices": choices,
        "pattern": pattern,
        "hint": hint,
        "key": key,
    }
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class EncoderProfile:
    """Encoder settings of the outputs (H.264 + AAC in MP4)."""

    name: str = setting("default", doc="the profile's name, as hot folders refer to it")
    crf: int = setting(
        21,
        minimum=0,
        maximum=51,
        doc="x264 quality: lower is better and bigger (18 to 28 is usual)",
    )
    preset: str = setting("veryfast", choices=X264_PRESETS, doc="x264 speed against size")
    fps: float | None = setting(
        None, above=0, maximum=240, doc="output frame rate (default: the source's)"
    )
    video_bitrate: str | None = setting(
        None,
        pattern=BITRATE,
        hint="a bitrate such as 2000k",
        doc="target video bitrate instead of crf",
    )
    max_bitrate: str | None = setting(
        None, pattern=BITRATE, hint="a bitrate such as 2500k", doc="peak video bitrate (VBV)"
    )
    bufsize: str | None = setting(
        None, pattern=BITRATE, hint="a bitrate such as 5000k", doc="VBV buffer size"
    )
    audio_bitrate: str = setting(
        "128k", pattern=BITRATE, hint="a bitrate such as 128k", doc="AAC bitrate of the outputs"
    )
    threads: int = setting(
        0, minimum=0, maximum=64, doc="x264 threads per output; 0: ffmpeg decides"
    )


NOTIFY_EVENTS = ("finished", "failed", "cancelled")  # finished: the job completed
WEBHOOK_FORMATS = ("json", "slack", "discord", "teams")


@dataclass(frozen=True)
class Webhook:
    """An HTTP endpoint told when a job ends: POST of its status document (json) or of a
    one-line message in a chat tool's incoming-webhook format."""

    url: str = setting(
        "", pattern=r"https?://\S+", hint="an http:// or https:// URL", doc="where to POST"
    )
    secret: str | None = setting(None, doc="X-Vidvar-Signature: sha256=<HMAC of the body>")
    events: tuple[str, ...] = setting(
        NOTIFY_EVENTS, doc="which job ends to tell: finished, failed, cancelled"
    )
    format: str = setting(
        "json",
        choices=WEBHOOK_FORMATS,
        doc="json (the status document) or a chat tool's incoming-webhook format",
    )
    timeout_seconds: float = setting(10.0, above=0, maximum=300, doc="seconds per try")
    retries: int = setting(5, minimum=0, maximum=20, doc="after the first try, with back-off")
    retry_seconds: float = setting(5.0, above=0, maximum=3600, doc="first back-off; doubles")


@dataclass(frozen=True)
class NotifyConfig:
    """Who is told when a job ends: webhooks, Apprise URLs and a command (an argument list,
    no shell)."""

    webhooks: tuple[Webhook, ...] = setting(
        factory=tuple, doc="HTTP endpoints told when a job ends"
    )
    on_finish: tuple[str, ...] = setting(
        factory=tuple, doc="a command run when a job ends, as an argument list (no shell)"
    )
    on_finish_timeout: float = setting(
        300.0, above=0, maximum=86400, doc="seconds before on_finish is stopped"
    )
    apprise: tuple[str, ...] = setting(
        factory=tuple,
        doc="Apprise URLs (tgram://, discord://, mailto://, json://, …) told when a job ends",
    )


@dataclass(frozen=True)
class WatchConfig:
    """One hot folder and what to do with what lands in it."""

    inbox: Path = setting(Path(), doc="required; relative to the config file")
    output: Path = setting(Path(), doc="required")
    name: str = setting(
        "",
        pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
        hint="letters, digits, '-', '_', '.'",
        doc="how status and the page name this hot folder (default: the inbox folder's name)",
    )
    variations: int = setting(5, minimum=1, maximum=100, doc="outputs per video")
    settle_seconds: float = setting(
        10.0,
        minimum=0,
        maximum=86400,
        doc="seconds a file must stay unchanged before it counts as complete",
    )
    observer: str = setting(
        "auto",
        choices=("auto", "native", "polling"),
        doc="how changes are seen: native events, polling (network shares), or auto",
    )
    polling_interval: float = setting(
        5.0, above=0, maximum=3600, doc="seconds between polls, with observer: polling"
    )
    scan_interval: float = setting(
        120.0,
        above=0,
        maximum=86400,
        doc="seconds between full rescans of the inbox, which catch missed events",
    )
    profile: str = setting("default", doc="the effects profile")
    encoder: str = setting("default", doc="the encoder profile")
    formats: tuple[Format, ...] = setting(
        (SOURCE_FORMAT,),
        doc='shapes of each variation: source, "9:16", "1:1", "4:5", "16:9", or '
        '{aspect: "9:16", height: 1280, fit: crop|pad}',
    )
    hdr: str = setting(
        "tonemap",
        choices=HDR_MODES,
        doc="HDR sources: tonemap (SDR BT.709, 8-bit H.264) or keep (HEVC 10-bit, HDR kept)",
    )
    max_upscale: float = setting(
        2.0,
        minimum=1,
        maximum=8,
        doc="how far a placement format may enlarge the source's pixels; beyond it the "
        "output is smaller than asked and status.json says so",
    )
    on_success: str = setting(
        "archive",
        choices=("archive", "delete", "keep"),
        doc="what happens to a source after verified outputs",
    )
    archive_dir: Path = setting(Path(), doc="default: `archive` beside the inbox")
    on_failure: str = setting(
        "move",
        choices=("move", "keep"),
        doc="a failed source is moved to failed_dir with a note, or kept",
    )
    failed_dir: Path = setting(Path(), doc="default: `failed` beside the inbox")
    notify: NotifyConfig = setting(factory=NotifyConfig, doc="adds to the top level's")

    @property
    def placement(self) -> Placement:
        """The formats and HDR handling of this hot folder's jobs."""
        return Placement(self.formats, self.hdr, self.max_upscale)


@dataclass(frozen=True)
class WorkerConfig:
    """How the worker claims and runs jobs."""

    poll_interval: float = setting(
        2.0, above=0, maximum=3600, doc="seconds between looks at the queue when idle"
    )
    max_attempts: int = setting(3, minimum=1, maximum=100, doc="tries per file before it fails")
    stall_seconds: float = setting(
        120.0,
        above=0,
        maximum=86400,
        doc="seconds without ffmpeg progress before it is stopped as stalled",
    )
    lease_seconds: float = setting(
        60.0, minimum=5, maximum=3600, doc="seconds a worker's claim lasts without a heartbeat"
    )
    fanout: int = setting(5, minimum=1, maximum=16, doc="variations encoded from one decode")
    fanout_megapixels: float = setting(
        11.0, above=0, maximum=1000, doc="megapixels of output one decode may feed (bounds memory)"
    )
    concurrency: int = setting(0, minimum=0, maximum=32, doc="files at once; 0: from the cores")
    stop_grace_seconds: float = setting(
        10.0, minimum=0, maximum=600, doc="seconds an encode may take to stop before it is killed"
    )
    # A job held by an environmental cause (a folder not writable, a disk full, a share
    # gone) is retried after retry_seconds, then twice as long each time, up to this.
    retry_seconds: float = setting(
        15.0, above=0, maximum=86400, doc="first wait before a held job is tried again"
    )
    retry_max_seconds: float = setting(
        600.0, above=0, maximum=86400, doc="longest wait before a held job is tried again"
    )

    def files_at_once(self) -> int:
        """How many files one daemon encodes at once: `concurrency`, or by default one
        more than the cores up to 3 (cores / CORES_PER_FILE on big machines), fewer when
        that many fan-outs of `fanout_megapixels` would take over half the memory."""
        if self.concurrency:
            return self.concurrency
        cpus = machine.cores()
        by_cores = max(min(cpus + 1, 3), cpus // CORES_PER_FILE)
        memory = machine.memory_bytes()
        if memory is None:
            return by_cores
        each = self.fanout_megapixels * BYTES_PER_MEGAPIXEL
        return max(1, min(by_cores, int(memory / 2 // each)))

    def group_size(self, width: int, height: int) -> int:
        """Variations encoded from one decode for a frame size: `fanout`, fewer for big
        frames so that memory stays bounded (5 at 1080p, 1 at 4K by default), and fewer
        again when the memory this process may use (a container's or a unit's limit)
        cannot hold `fanout_megapixels` for each file encoded at once."""
        pixels = max(1, width * height)
        return max(1, min(self.fanout, int(self.fanout_megapixels_allowed() * 1e6 // pixels)))

    def fanout_megapixels_allowed(self) -> float:
        """`fanout_megapixels`, or what half the memory holds per file at once if less."""
        memory = machine.memory_bytes()
        if memory is None:
            return self.fanout_megapixels
        held = memory / 2 / self.files_at_once() / BYTES_PER_MEGAPIXEL
        return min(self.fanout_megapixels, held)

    @property
    def heartbeat_seconds(self) -> float:
        """How often a worker renews its lease: well inside lease_seconds."""
        return min(5.0, self.lease_seconds / 3)


@dataclass(frozen=True)
class RetentionConfig:
    """Housekeeping: old job folders and archived sources, and free-space protection."""

    job_days: float = setting(0.0, minimum=0, maximum=36500, doc="0 keeps job folders forever")
    archive_days: float = setting(
        0.0, minimum=0, maximum=36500, doc="0 keeps archived sources forever"
    )
    min_free_gb: float = setting(1.0, minimum=0, doc="below this no new job starts")
    check_interval: float = setting(
        300.0, above=0, maximum=86400, doc="seconds between retention and free-space checks"
    )


@dataclass(frozen=True)
class DistinctnessConfig:
    """Measured figures per output, their enforcement, and the preview sheet."""

    enabled: bool = setting(True, doc="measure each output's figures (SSIM, pHash distances)")
    frames: int = setting(4, minimum=1, maximum=16, doc="sample moments per video")
    # Mean pHash bits between any two variations of a file (0: off). Called
    # `min_distance` before; that key is still read, with a warning.
    min_sibling_distance: float = setting(
        1.0,
        minimum=0,
        maximum=64,
        doc="least mean pHash distance between two variations of a file (0: off)",
    )
    max_source_distance: float = setting(20.0, minimum=0, maximum=64, doc="0: off")
    replans: int = setting(
        2, minimum=0, maximum=10, doc="re-plans of a variation that is too close to a sibling"
    )
    preview: bool = setting(True, doc="write preview.jpg into each job folder")


@dataclass(frozen=True)
class ScheduleWindow:
    """A time window in which new files may start (local time; TZ is honoured)."""

    days: str = setting(
        "mon-sun",
        pattern=DAYS_PATTERN,
        hint="days such as mon-fri, sat,sun or mon,wed-fri",
        doc="days the window starts on: ranges and lists (mon-fri, sat,sun)",
    )
    start: str = setting(
        "00:00",
        key="from",
        pattern=TIME_PATTERN,
        hint="a time of day such as 19:00",
        doc="when the window opens (HH:MM)",
    )
    end: str = setting(
        "24:00",
        key="to",
        pattern=TIME_PATTERN,
        hint="a time of day such as 07:00",
        doc="when it closes; not after `from`: the next day",
    )


@dataclass(frozen=True)
class LoggingConfig:
    """Log level and rendering."""

    level: str = setting(
        "info", choices=("debug", "info", "warning", "error"), doc="the lowest level logged"
    )
    format: str = setting(
        "auto",
        choices=("auto", "json", "console"),
        doc="console for people, json for collectors; auto: console on a terminal",
    )


@dataclass(frozen=True)
class WebConfig:
    """`vidvar web`: where it listens and who may use it."""

    host: str = setting("127.0.0.1", doc="another address needs password_hash")
    port: int = setting(8765, minimum=1, maximum=65535, doc="TCP port")
    # `vidvar web --hash-password` prints one; the page then asks for the password.
    password_hash: str | None = setting(
        None,
        pattern=r"scrypt\$\S+",
        hint="from vidvar web --hash-password",
        doc="the page's password, hashed (vidvar web --hash-password)",
    )
    # SHA-256 hashes of tokens for scripts (`vidvar web --new-token` prints a pair).
    api_tokens: tuple[str, ...] = setting(
        factory=tuple, doc="SHA-256 hashes of tokens for scripts (vidvar web --new-token)"
    )
    max_upload_mb: float = setting(
        4096.0, above=0, maximum=1e7, doc="largest upload accepted, in MB"
    )
    with_run: bool = setting(False, doc="`vidvar run` serves the page too")


@dataclass(frozen=True)
class Config:
    """The whole resolved configuration."""

    database: str = setting(
        "state/vidvar.db", doc="an SQLite file (relative to this file) or postgresql://…"
    )
    watches: tuple[WatchConfig, ...] = setting(
        key="watch", factory=tuple, doc="hot folders: a list, or one mapping"
    )
    extensions: tuple[str, ...] = setting(DEFAULT_EXTENSIONS, doc="file extensions taken as videos")
    worker: WorkerConfig = setting(factory=WorkerConfig, doc="how jobs are claimed and run")
    logging: LoggingConfig = setting(factory=LoggingConfig, doc="log level and rendering")
    retention: RetentionConfig = setting(
        factory=RetentionConfig, doc="old job folders, archived sources and free-space protection"
    )
    distinctness: DistinctnessConfig = setting(
        factory=DistinctnessConfig, doc="measured figures, their enforcement and the preview sheet"
    )
    profiles: Mapping[str, EffectsProfile] = setting(
        factory=lambda: {"default": default_effects_profile()}, doc="effects profiles by name"
    )
    encoders: Mapping[str, EncoderProfile] = setting(
        factory=lambda: {"default": EncoderProfile()}, doc="encoder profiles by name"
    )
    notify: NotifyConfig = setting(factory=NotifyConfig, doc="who is told when a job ends")
    schedule: tuple[ScheduleWindow, ...] = setting(
        factory=tuple,
        doc="windows in which new files may start; without any, always",
    )
    web: WebConfig = setting(factory=WebConfig, doc="the web page and API")
    path: Path = field(default=Path("vidvar.yaml"), compare=False)  # the file it came from
    warnings: tuple[str, ...] = field(default=(), compare=False)  # deprecated keys and such

    def watch(self, name: str) -> WatchConfig:
        """The hot folder called `name`; KeyError when there is none."""
        for watch in self.watches:
            if watch.name == name:
                return watch
        raise KeyError(name)

    def profile(self, name: str) -> EffectsProfile:
        """The effects profile called `name` (the built-in one when it was removed)."""
        return self.profiles.get(name) or default_effects_profile()

    def notify_for(self, watch: str) -> list[NotifyConfig]:
        """Whom to tell about a job of hot folder `watch`: the top level's, then the hot
        folder's own (which adds to it)."""
        try:
            return [self.notify, self.watch(watch).notify]
        except KeyError:
            return [self.notify]

    def work_schedule(self) -> Schedule:
        """`schedule:` as windows to check moments against."""
        return Schedule(tuple(window(w.days, w.start, w.end) for w in self.schedule))

    def encoder(self, name: str) -> EncoderProfile:
        """The encoder profile called `name` (the default one when it was removed)."""
        return self.encoders.get(name) or self.encoders.get("default") or EncoderProfile()
