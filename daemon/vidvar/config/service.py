"""The service's own settings: how the worker claims and runs files, housekeeping,
when new files may start, the log and the page. (What a hot folder, an encoder or a
notification takes is in config.schema.)"""

from __future__ import annotations

from dataclasses import dataclass

from vidvar import machine
from vidvar.config.setting import setting
from vidvar.schedule import DAYS_PATTERN, TIME_PATTERN

# One fan-out ffmpeg keeps 1.6 of 2 cores busy: its one main thread decodes, filters
# and feeds every encoder in turn. Over a 5-file batch on 2 cores, 1 file at a time kept
# the cores 79 % busy, 2 at once 93 %, 3 at once 98 % (python -m bench utilisation).
# Hence one file more than the cores, up to 3; on big machines one per 4 cores.
CORES_PER_FILE = 4
# What one fan-out ffmpeg holds per megapixel of its outputs: 1.3 GB at 11 megapixels
# (five 1080p outputs). Files at once by default use at most half the memory.
BYTES_PER_MEGAPIXEL = 120 * 2**20


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
