"""Every setting, declared once as a dataclass field (config.setting) with its default,
bounds and choices: here the whole Config, hot folders, encoders, notifications and
the measures; the service's own sections (worker, retention, schedule, logging, web)
in config.service. A default lives only in its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from vidvar.config.placement import HDR_MODES, SOURCE_FORMAT, Format, Placement
from vidvar.config.service import (
    LoggingConfig,
    RetentionConfig,
    ScheduleWindow,
    WebConfig,
    WorkerConfig,
)
from vidvar.config.setting import setting
from vidvar.effects.catalogue import EffectsProfile, default_effects_profile
from vidvar.schedule import Schedule, window

DEFAULT_EXTENSIONS = (
    *("mp4", "mov", "m4v", "mkv", "avi", "webm", "mpg", "mpeg"),
    *("mts", "m2ts", "ts", "wmv", "flv", "3gp"),
)
X264_PRESETS = (
    *("ultrafast", "superfast", "veryfast", "faster", "fast"),
    *("medium", "slow", "slower", "veryslow"),
)
BITRATE = r"[0-9]+(\.[0-9]+)?[kKmM]?"


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
