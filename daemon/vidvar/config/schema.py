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
from vidvar.effects.catalogue import EffectsProfile, default_effects_profile

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
) -> Any:
    """A config field: its default and what the YAML value must satisfy."""
    meta = {
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

    name: str = setting("default")
    crf: int = setting(21, minimum=0, maximum=51)
    preset: str = setting("veryfast", choices=X264_PRESETS)
    fps: float | None = setting(None, above=0, maximum=240)
    video_bitrate: str | None = setting(None, pattern=BITRATE, hint="a bitrate such as 2000k")
    max_bitrate: str | None = setting(None, pattern=BITRATE, hint="a bitrate such as 2500k")
    bufsize: str | None = setting(None, pattern=BITRATE, hint="a bitrate such as 5000k")
    audio_bitrate: str = setting("128k", pattern=BITRATE, hint="a bitrate such as 128k")
    threads: int = setting(0, minimum=0, maximum=64)


NOTIFY_EVENTS = ("finished", "failed", "cancelled")  # finished: the job completed
WEBHOOK_FORMATS = ("json", "slack", "discord", "teams")


@dataclass(frozen=True)
class Webhook:
    """An HTTP endpoint told when a job ends: POST of its status document (json) or of a
    one-line message in a chat tool's incoming-webhook format."""

    url: str = setting("", pattern=r"https?://\S+", hint="an http:// or https:// URL")
    secret: str | None = setting(None)  # X-Vidvar-Signature: sha256=<HMAC of the body>
    events: tuple[str, ...] = setting(NOTIFY_EVENTS)
    format: str = setting("json", choices=WEBHOOK_FORMATS)
    timeout_seconds: float = setting(10.0, above=0, maximum=300)
    retries: int = setting(5, minimum=0, maximum=20)  # after the first try, with back-off
    retry_seconds: float = setting(5.0, above=0, maximum=3600)  # first back-off; doubles


@dataclass(frozen=True)
class NotifyConfig:
    """Who is told when a job ends: webhooks and a command (an argument list, no shell)."""

    webhooks: tuple[Webhook, ...] = setting(factory=tuple)
    on_finish: tuple[str, ...] = setting(factory=tuple)
    on_finish_timeout: float = setting(300.0, above=0, maximum=86400)


@dataclass(frozen=True)
class WatchConfig:
    """One hot folder and what to do with what lands in it."""

    inbox: Path = setting(Path())  # required; relative to the config file
    output: Path = setting(Path())  # required
    name: str = setting(
        "", pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]*", hint="letters, digits, '-', '_', '.'"
    )
    variations: int = setting(5, minimum=1, maximum=100)
    settle_seconds: float = setting(10.0, minimum=0, maximum=86400)
    observer: str = setting("auto", choices=("auto", "native", "polling"))
    polling_interval: float = setting(5.0, above=0, maximum=3600)
    scan_interval: float = setting(120.0, above=0, maximum=86400)
    profile: str = setting("default")
    encoder: str = setting("default")
    on_success: str = setting("archive", choices=("archive", "delete", "keep"))
    archive_dir: Path = setting(Path())  # default: `archive` beside the inbox
    on_failure: str = setting("move", choices=("move", "keep"))
    failed_dir: Path = setting(Path())  # default: `failed` beside the inbox
    notify: NotifyConfig = setting(factory=NotifyConfig)  # adds to the top level's


@dataclass(frozen=True)
class WorkerConfig:
    """How the worker claims and runs jobs."""

    poll_interval: float = setting(2.0, above=0, maximum=3600)
    max_attempts: int = setting(3, minimum=1, maximum=100)
    stall_seconds: float = setting(120.0, above=0, maximum=86400)
    lease_seconds: float = setting(60.0, minimum=5, maximum=3600)
    fanout: int = setting(5, minimum=1, maximum=16)
    fanout_megapixels: float = setting(11.0, above=0, maximum=1000)
    concurrency: int = setting(0, minimum=0, maximum=32)  # files at once; 0: from the cores
    stop_grace_seconds: float = setting(10.0, minimum=0, maximum=600)
    # A job held by an environmental cause (a folder not writable, a disk full, a share
    # gone) is retried after retry_seconds, then twice as long each time, up to this.
    retry_seconds: float = setting(15.0, above=0, maximum=86400)
    retry_max_seconds: float = setting(600.0, above=0, maximum=86400)

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
        frames so that memory stays bounded (5 at 1080p, 1 at 4K by default)."""
        pixels = max(1, width * height)
        return max(1, min(self.fanout, int(self.fanout_megapixels * 1e6 // pixels)))

    @property
    def heartbeat_seconds(self) -> float:
        """How often a worker renews its lease: well inside lease_seconds."""
        return min(5.0, self.lease_seconds / 3)


@dataclass(frozen=True)
class RetentionConfig:
    """Housekeeping: old job folders and archived sources, and free-space protection."""

    job_days: float = setting(0.0, minimum=0, maximum=36500)  # 0 keeps job folders forever
    archive_days: float = setting(0.0, minimum=0, maximum=36500)  # 0 keeps archived sources forever
    min_free_gb: float = setting(1.0, minimum=0)  # below this no new job starts
    check_interval: float = setting(300.0, above=0, maximum=86400)


@dataclass(frozen=True)
class DistinctnessConfig:
    """Measured figures per output, their enforcement, and the preview sheet."""

    enabled: bool = setting(True)
    frames: int = setting(4, minimum=1, maximum=16)  # sample moments per video
    # Mean pHash bits between any two variations of a file (0: off). Called
    # `min_distance` before; that key is still read, with a warning.
    min_sibling_distance: float = setting(1.0, minimum=0, maximum=64)
    max_source_distance: float = setting(20.0, minimum=0, maximum=64)  # 0: off
    replans: int = setting(2, minimum=0, maximum=10)
    preview: bool = setting(True)  # write preview.jpg into each job folder


@dataclass(frozen=True)
class LoggingConfig:
    """Log level and rendering."""

    level: str = setting("info", choices=("debug", "info", "warning", "error"))
    format: str = setting("auto", choices=("auto", "json", "console"))


@dataclass(frozen=True)
class WebConfig:
    """`vidvar web`: where it listens and who may use it."""

    host: str = setting("127.0.0.1")  # another address needs password_hash
    port: int = setting(8765, minimum=1, maximum=65535)
    # `vidvar web --hash-password` prints one; the page then asks for the password.
    password_hash: str | None = setting(
        None, pattern=r"scrypt\$\S+", hint="from vidvar web --hash-password"
    )
    # SHA-256 hashes of tokens for scripts (`vidvar web --new-token` prints a pair).
    api_tokens: tuple[str, ...] = setting(factory=tuple)
    max_upload_mb: float = setting(4096.0, above=0, maximum=1e7)
    with_run: bool = setting(False)  # `vidvar run` serves the page too


@dataclass(frozen=True)
class Config:
    """The whole resolved configuration."""

    database: str = setting("state/vidvar.db")
    watches: tuple[WatchConfig, ...] = setting(key="watch", factory=tuple)
    extensions: tuple[str, ...] = setting(DEFAULT_EXTENSIONS)
    worker: WorkerConfig = setting(factory=WorkerConfig)
    logging: LoggingConfig = setting(factory=LoggingConfig)
    retention: RetentionConfig = setting(factory=RetentionConfig)
    distinctness: DistinctnessConfig = setting(factory=DistinctnessConfig)
    profiles: Mapping[str, EffectsProfile] = setting(
        factory=lambda: {"default": default_effects_profile()}
    )
    encoders: Mapping[str, EncoderProfile] = setting(factory=lambda: {"default": EncoderProfile()})
    notify: NotifyConfig = setting(factory=NotifyConfig)
    web: WebConfig = setting(factory=WebConfig)
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

    def encoder(self, name: str) -> EncoderProfile:
        """The encoder profile called `name` (the default one when it was removed)."""
        return self.encoders.get(name) or self.encoders.get("default") or EncoderProfile()
