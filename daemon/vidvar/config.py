"""YAML configuration → frozen, validated dataclasses.

Every error names the file, the key path (``watch[1].variations``), what was
expected and what was found, so a person can fix it without reading code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vidvar.errors import ConfigError
from vidvar.mounts import is_on_network_fs

__all__ = ["ConfigError"]  # re-exported: callers catch it from here

EX_CONFIG = 78  # sysexits.h: configuration error

DEFAULT_CONFIG_PATHS = (Path("/etc/vidvar/vidvar.yaml"), Path("config/vidvar.yaml"))

DEFAULT_EXTENSIONS = (
    "mp4",
    "mov",
    "m4v",
    "mkv",
    "avi",
    "webm",
    "mpg",
    "mpeg",
    "mts",
    "m2ts",
    "ts",
    "wmv",
    "flv",
    "3gp",
)
OBSERVERS = ("auto", "native", "polling")
ON_SUCCESS = ("archive", "delete", "keep")
ON_FAILURE = ("move", "keep")
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("auto", "json", "console")
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


@dataclass(frozen=True)
class EffectSpec:
    """One effect of a profile: how often it applies and the range it draws from."""

    name: str
    probability: float
    low: float
    high: float


# name → (low, high, neutral, probability). Ranges of the first four come from the
# original system; the rest were chosen to stay invisible as edits yet measurable.
EFFECT_DEFAULTS: dict[str, tuple[float, float, float, float]] = {
    "rotation": (0.001, 0.01, 0.0, 1.0),  # radians, random sign
    "brightness": (-0.05, 0.05, 0.0, 1.0),
    "contrast": (0.95, 1.05, 1.0, 1.0),
    "saturation": (0.95, 1.05, 1.0, 1.0),
    "hue": (-6.0, 6.0, 0.0, 1.0),  # degrees
    "gamma": (0.95, 1.05, 1.0, 1.0),
    "zoom": (1.03, 1.08, 1.0, 1.0),  # crop window 1/zoom of the frame, off centre
    "speed": (0.97, 1.03, 1.0, 1.0),  # video and audio tempo together
    "grain": (2.0, 5.0, 0.0, 1.0),  # noise strength, own seed; above 5 see config/vidvar.yaml
    "volume": (0.9, 1.1, 1.0, 1.0),
    "mirror": (0.0, 1.0, 0.0, 0.0),  # off by default: it breaks text and logos
}
EFFECT_LIMITS: dict[str, tuple[float, float]] = {
    "rotation": (0.0, 0.2),
    "brightness": (-0.5, 0.5),
    "contrast": (0.5, 1.5),
    "saturation": (0.0, 2.0),
    "hue": (-90.0, 90.0),
    "gamma": (0.5, 2.0),
    "zoom": (1.0, 1.5),
    "speed": (0.5, 2.0),
    "grain": (0.0, 40.0),
    "volume": (0.0, 2.0),
    "mirror": (0.0, 1.0),
}


@dataclass(frozen=True)
class EffectsProfile:
    """A named set of effects; variations of one file stay `min_distance` apart."""

    name: str
    min_distance: float
    effects: tuple[EffectSpec, ...]


@dataclass(frozen=True)
class EncoderProfile:
    """Encoder settings of the outputs (H.264 + AAC in MP4)."""

    name: str
    crf: int = 21
    preset: str = "veryfast"
    fps: float | None = None
    video_bitrate: str | None = None
    max_bitrate: str | None = None
    bufsize: str | None = None
    audio_bitrate: str = "128k"
    threads: int = 0


@dataclass(frozen=True)
class WatchConfig:
    """One hot folder and what to do with what lands in it."""

    name: str
    inbox: Path
    output: Path
    variations: int = 5
    settle_seconds: float = 10.0
    observer: str = "auto"
    polling_interval: float = 5.0
    scan_interval: float = 120.0
    profile: str = "default"
    encoder: str = "default"
    on_success: str = "archive"
    archive_dir: Path = Path()
    on_failure: str = "move"
    failed_dir: Path = Path()


@dataclass(frozen=True)
class WorkerConfig:
    """How the worker claims and runs jobs."""

    poll_interval: float = 2.0
    max_attempts: int = 3
    stall_seconds: float = 120.0
    lease_seconds: float = 60.0
    fanout: int = 5
    fanout_megapixels: float = 11.0
    stop_grace_seconds: float = 10.0

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

    job_days: float = 0.0  # 0 keeps job folders forever
    archive_days: float = 0.0  # 0 keeps archived sources forever
    min_free_gb: float = 1.0  # below this on an output filesystem no new job starts
    check_interval: float = 300.0


@dataclass(frozen=True)
class DistinctnessConfig:
    """Measured figures per output, their enforcement, and the preview sheet."""

    enabled: bool = True
    frames: int = 4  # sample moments per video
    min_distance: float = 1.0  # mean pHash bits between any two variations of a file (0: off)
    max_source_distance: float = 20.0  # mean pHash bits to the source at most (0: off)
    replans: int = 2  # re-plan attempts for variations outside those bounds
    preview: bool = True  # write preview.jpg into each job folder


@dataclass(frozen=True)
class LoggingConfig:
    """Log level and rendering."""

    level: str = "info"
    format: str = "auto"


@dataclass(frozen=True)
class Config:
    """The whole resolved configuration."""

    path: Path
    database: str
    watches: tuple[WatchConfig, ...]
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    distinctness: DistinctnessConfig = field(default_factory=DistinctnessConfig)
    profiles: Mapping[str, EffectsProfile] = field(default_factory=dict)
    encoders: Mapping[str, EncoderProfile] = field(default_factory=dict)

    def watch(self, name: str) -> WatchConfig:
        """The hot folder called `name`; KeyError when there is none."""
        for watch in self.watches:
            if watch.name == name:
                return watch
        raise KeyError(name)


def default_effects_profile() -> EffectsProfile:
    """The built-in profile: every natural-looking effect, mirror off."""
    specs = tuple(
        EffectSpec(name, prob, low, high)
        for name, (low, high, _neutral, prob) in EFFECT_DEFAULTS.items()
    )
    return EffectsProfile(name="default", min_distance=0.15, effects=specs)


def find_config_path(explicit: str | None) -> Path:
    """-c/--config, else $VIDVAR_CONFIG, else /etc/vidvar/vidvar.yaml, else ./config/vidvar.yaml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("VIDVAR_CONFIG")
    if env:
        return Path(env)
    for candidate in DEFAULT_CONFIG_PATHS:
        if candidate.exists():
            return candidate
    return DEFAULT_CONFIG_PATHS[-1]


# --- validation helpers -------------------------------------------------------


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value!r})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Reader:
    """Reads one mapping of the YAML document, remembering the key path."""

    def __init__(self, file: Path, data: Any, path: str, allowed: set[str]) -> None:
        self.file = file
        self.path = path
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(
                file, path or "(top level)", f"expected a mapping, found {_type_name(data)}"
            )
        self.data: dict[str, Any] = data
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            raise ConfigError(
                file,
                self.key(unknown[0]),
                f"unknown key; expected one of: {', '.join(sorted(allowed))}",
            )

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), problem)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def number(
        self,
        name: str,
        default: float,
        *,
        minimum: float | None = None,
        above: float | None = None,
        maximum: float | None = None,
    ) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, f"expected a number, found {_type_name(value)}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"expected a number of at least {minimum:g}, found {value!r}")
        if above is not None and value <= above:
            raise self.error(name, f"expected a number above {above:g}, found {value!r}")
        if maximum is not None and value > maximum:
            raise self.error(name, f"expected a number of at most {maximum:g}, found {value!r}")
        return float(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, found {_type_name(value)}")
        return value

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"expected a whole number, found {_type_name(value)}")
        if value < minimum:
            raise self.error(name, f"expected a whole number of at least {minimum}, found {value}")
        if maximum is not None and value > maximum:
            raise self.error(name, f"expected a whole number of at most {maximum}, found {value}")
        return value

    def text(
        self,
        name: str,
        default: str | None,
        *,
        choices: tuple[str, ...] | None = None,
        pattern: str | None = None,
        hint: str = "",
    ) -> str | None:
        value = self.data.get(name, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, f"expected text{hint}, found {_type_name(value)}")
        if choices is not None and value not in choices:
            raise self.error(name, f"expected one of {', '.join(choices)}, found {value!r}")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise self.error(name, f"expected {hint.strip(' ()') or pattern}, found {value!r}")
        return value

    def path_value(self, name: str, default: Path | None, base: Path) -> Path | None:
        raw = self.data.get(name)
        if raw is None:
            return default
        if not isinstance(raw, str) or not raw.strip():
            raise self.error(name, f"expected a folder path, found {_type_name(raw)}")
        return _resolve(raw, base)


def _resolve(raw: str, base: Path) -> Path:
    path = Path(os.path.expanduser(raw))
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


_BITRATE = r"[0-9]+(\.[0-9]+)?[kKmM]?"


# --- sections -----------------------------------------------------------------


def _read_worker(file: Path, data: Any) -> WorkerConfig:
    r = _Reader(
        file,
        data,
        "worker",
        {
            "poll_interval",
            "max_attempts",
            "stall_seconds",
            "lease_seconds",
            "fanout",
            "fanout_megapixels",
            "stop_grace_seconds",
        },
    )
    return WorkerConfig(
        poll_interval=r.number("poll_interval", 2.0, above=0),
        max_attempts=r.integer("max_attempts", 3, minimum=1),
        stall_seconds=r.number("stall_seconds", 120.0, above=0),
        lease_seconds=r.number("lease_seconds", 60.0, minimum=5),
        fanout=r.integer("fanout", 5, minimum=1, maximum=16),
        fanout_megapixels=r.number("fanout_megapixels", 11.0, above=0),
        stop_grace_seconds=r.number("stop_grace_seconds", 10.0, minimum=0),
    )


def _read_retention(file: Path, data: Any) -> RetentionConfig:
    r = _Reader(
        file, data, "retention", {"job_days", "archive_days", "min_free_gb", "check_interval"}
    )
    return RetentionConfig(
        job_days=r.number("job_days", 0.0, minimum=0),
        archive_days=r.number("archive_days", 0.0, minimum=0),
        min_free_gb=r.number("min_free_gb", 1.0, minimum=0),
        check_interval=r.number("check_interval", 300.0, above=0),
    )


def _read_distinctness(file: Path, data: Any) -> DistinctnessConfig:
    r = _Reader(
        file,
        data,
        "distinctness",
        {"enabled", "frames", "min_distance", "max_source_distance", "replans", "preview"},
    )
    return DistinctnessConfig(
        enabled=r.flag("enabled", True),
        frames=r.integer("frames", 4, minimum=1, maximum=16),
        min_distance=r.number("min_distance", 1.0, minimum=0, maximum=64),
        max_source_distance=r.number("max_source_distance", 20.0, minimum=0, maximum=64),
        replans=r.integer("replans", 2, minimum=0, maximum=10),
        preview=r.flag("preview", True),
    )


def _read_logging(file: Path, data: Any) -> LoggingConfig:
    r = _Reader(file, data, "logging", {"level", "format"})
    return LoggingConfig(
        level=r.text("level", "info", choices=LOG_LEVELS) or "info",
        format=r.text("format", "auto", choices=LOG_FORMATS) or "auto",
    )


def _read_effect(file: Path, name: str, data: Any, path: str) -> EffectSpec:
    low, high, _neutral, _probability = EFFECT_DEFAULTS[name]
    if data is True or data is None:
        data = {}
    r = _Reader(file, data, path, {"probability", "range"} if name != "mirror" else {"probability"})
    prob = r.number("probability", 1.0 if name != "mirror" else 0.5, minimum=0, maximum=1)
    if r.has("range"):
        value = r.data["range"]
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        )
        if not ok:
            raise r.error("range", f"expected a list of two numbers [low, high], found {value!r}")
        low, high = float(value[0]), float(value[1])
        lim_low, lim_high = EFFECT_LIMITS[name]
        if low > high or low < lim_low or high > lim_high:
            raise r.error(
                "range",
                f"expected low <= high within [{lim_low:g}, {lim_high:g}], found {value!r}",
            )
    return EffectSpec(name=name, probability=prob, low=low, high=high)


def _read_profiles(file: Path, data: Any) -> dict[str, EffectsProfile]:
    profiles = {"default": default_effects_profile()}
    if data is None:
        return profiles
    if not isinstance(data, dict):
        raise ConfigError(
            file, "profiles", f"expected a mapping of profile names, found {_type_name(data)}"
        )
    for name, body in data.items():
        path = f"profiles.{name}"
        r = _Reader(file, body, path, {"min_distance", "effects"})
        effects_data = r.data.get("effects")
        if not isinstance(effects_data, dict) or not effects_data:
            raise r.error(
                "effects",
                f"expected a mapping of effect names to settings, found {_type_name(effects_data)}",
            )
        specs = []
        for effect_name, effect_body in effects_data.items():
            if effect_name not in EFFECT_DEFAULTS:
                raise ConfigError(
                    file,
                    f"{path}.effects.{effect_name}",
                    f"unknown effect; expected one of: {', '.join(EFFECT_DEFAULTS)}",
                )
            if effect_body is False:
                continue
            specs.append(
                _read_effect(file, effect_name, effect_body, f"{path}.effects.{effect_name}")
            )
        profiles[str(name)] = EffectsProfile(
            name=str(name),
            min_distance=r.number("min_distance", 0.15, minimum=0, maximum=1),
            effects=tuple(specs),
        )
    return profiles


def _read_encoders(file: Path, data: Any) -> dict[str, EncoderProfile]:
    encoders = {"default": EncoderProfile(name="default")}
    if data is None:
        return encoders
    if not isinstance(data, dict):
        raise ConfigError(
            file, "encoders", f"expected a mapping of encoder names, found {_type_name(data)}"
        )
    for name, body in data.items():
        r = _Reader(
            file,
            body,
            f"encoders.{name}",
            {
                "crf",
                "preset",
                "fps",
                "video_bitrate",
                "max_bitrate",
                "bufsize",
                "audio_bitrate",
                "threads",
            },
        )
        hint = " (a bitrate such as 2000k or 2.5M)"
        fps = r.number("fps", 0, above=0, maximum=240) if r.has("fps") else None
        encoders[str(name)] = EncoderProfile(
            name=str(name),
            crf=r.integer("crf", 21, minimum=0, maximum=51),
            preset=r.text("preset", "veryfast", choices=X264_PRESETS) or "veryfast",
            fps=fps,
            video_bitrate=r.text("video_bitrate", None, pattern=_BITRATE, hint=hint),
            max_bitrate=r.text("max_bitrate", None, pattern=_BITRATE, hint=hint),
            bufsize=r.text("bufsize", None, pattern=_BITRATE, hint=hint),
            audio_bitrate=r.text("audio_bitrate", "128k", pattern=_BITRATE, hint=hint) or "128k",
            threads=r.integer("threads", 0, minimum=0, maximum=64),
        )
    return encoders


WATCH_KEYS = {
    "name",
    "inbox",
    "output",
    "variations",
    "settle_seconds",
    "observer",
    "polling_interval",
    "scan_interval",
    "profile",
    "encoder",
    "on_success",
    "archive_dir",
    "on_failure",
    "failed_dir",
}


def read_watch(
    file: Path,
    data: Any,
    path: str,
    base: Path,
    *,
    profiles: Mapping[str, Any],
    encoders: Mapping[str, Any],
) -> WatchConfig:
    """Validate one hot folder entry."""
    r = _Reader(file, data, path, WATCH_KEYS)
    if not r.has("inbox"):
        raise r.error("inbox", "missing; expected the folder users drop videos into")
    if not r.has("output"):
        raise r.error("output", "missing; expected the folder where job folders are written")
    inbox = r.path_value("inbox", None, base)
    output = r.path_value("output", None, base)
    assert inbox is not None and output is not None
    if not inbox.is_dir():
        found = "a file" if inbox.exists() else "nothing there"
        raise r.error("inbox", f"expected an existing folder, found {found} at {inbox}")
    if _inside(inbox, output):
        raise r.error(
            "inbox", f"must not be the output folder or inside it ({inbox} is in {output})"
        )
    if _inside(output, inbox):
        raise r.error(
            "output",
            f"must not be inside the inbox, or outputs become inputs ({output} is in {inbox})",
        )
    archive = r.path_value("archive_dir", inbox.parent / "archive", base)
    failed = r.path_value("failed_dir", inbox.parent / "failed", base)
    assert archive is not None and failed is not None
    for key, folder in (("archive_dir", archive), ("failed_dir", failed)):
        if _inside(folder, inbox):
            raise r.error(
                key, f"must not be inside the inbox, or sources are picked up again ({folder})"
            )
    profile = r.text("profile", "default") or "default"
    if profile not in profiles:
        raise r.error(
            "profile", f"expected one of the profiles ({', '.join(profiles)}), found {profile!r}"
        )
    encoder = r.text("encoder", "default") or "default"
    if encoder not in encoders:
        raise r.error(
            "encoder", f"expected one of the encoders ({', '.join(encoders)}), found {encoder!r}"
        )
    name = (
        r.text(
            "name",
            inbox.name,
            pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
            hint=" (letters, digits, '-', '_', '.')",
        )
        or inbox.name
    )
    return WatchConfig(
        name=name,
        inbox=inbox,
        output=output,
        variations=r.integer("variations", 5, minimum=1, maximum=100),
        settle_seconds=r.number("settle_seconds", 10.0, minimum=0),
        observer=r.text("observer", "auto", choices=OBSERVERS) or "auto",
        polling_interval=r.number("polling_interval", 5.0, above=0),
        scan_interval=r.number("scan_interval", 120.0, above=0),
        profile=profile,
        encoder=encoder,
        on_success=r.text("on_success", "archive", choices=ON_SUCCESS) or "archive",
        archive_dir=archive,
        on_failure=r.text("on_failure", "move", choices=ON_FAILURE) or "move",
        failed_dir=failed,
    )


def _read_database(file: Path, raw: Any, base: Path) -> str:
    if raw is None:
        raw = "state/vidvar.db"
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(
            file,
            "database",
            f"expected an SQLite file path or postgresql://…, found {_type_name(raw)}",
        )
    if raw.startswith(("postgresql://", "postgres://")):
        return raw
    if "://" in raw:
        raise ConfigError(
            file, "database", f"expected an SQLite file path or postgresql://…, found {raw!r}"
        )
    db = _resolve(raw, base)
    if is_on_network_fs(db):
        raise ConfigError(
            file,
            "database",
            f"{db} is on a network filesystem; SQLite corrupts there. Keep the database on "
            "local disk (e.g. /var/lib/vidvar/vidvar.db) or use postgresql://…",
        )
    return str(db)


def parse_config(data: Any, file: Path) -> Config:
    """Validate an already-loaded YAML document; relative paths resolve against `file`'s folder."""
    file = Path(os.path.abspath(file))
    base = file.parent
    r = _Reader(
        file,
        data,
        "",
        {
            "database",
            "watch",
            "extensions",
            "worker",
            "logging",
            "retention",
            "distinctness",
            "profiles",
            "encoders",
        },
    )
    profiles = _read_profiles(file, r.data.get("profiles"))
    encoders = _read_encoders(file, r.data.get("encoders"))
    watch_data = r.data.get("watch")
    if isinstance(watch_data, dict):
        watch_data = [watch_data]
    if not isinstance(watch_data, list) or not watch_data:
        raise ConfigError(
            file,
            "watch",
            f"expected a list of one or more hot folders, found {_type_name(watch_data)}",
        )
    watches = tuple(
        read_watch(file, item, f"watch[{i}]", base, profiles=profiles, encoders=encoders)
        for i, item in enumerate(watch_data)
    )
    seen: dict[str, int] = {}
    for i, watch in enumerate(watches):
        if watch.name in seen:
            raise ConfigError(
                file,
                f"watch[{i}].name",
                f"expected a unique name; {watch.name!r} is also watch[{seen[watch.name]}]",
            )
        seen[watch.name] = i
        for j, other in enumerate(watches[:i]):
            if _inside(watch.inbox, other.inbox) or _inside(other.inbox, watch.inbox):
                raise ConfigError(
                    file,
                    f"watch[{i}].inbox",
                    f"overlaps watch[{j}].inbox ({watch.inbox} and {other.inbox})",
                )
    extensions = r.data.get("extensions", list(DEFAULT_EXTENSIONS))
    if (
        not isinstance(extensions, list)
        or not extensions
        or not all(isinstance(e, str) and e.strip(". ") for e in extensions)
    ):
        raise ConfigError(
            file,
            "extensions",
            f"expected a list of file extensions such as [mp4, mov], found {extensions!r}",
        )
    return Config(
        path=file,
        database=_read_database(file, r.data.get("database"), base),
        watches=watches,
        extensions=tuple(sorted({e.strip(". ").lower() for e in extensions})),
        worker=_read_worker(file, r.data.get("worker")),
        logging=_read_logging(file, r.data.get("logging")),
        retention=_read_retention(file, r.data.get("retention")),
        distinctness=_read_distinctness(file, r.data.get("distinctness")),
        profiles=profiles,
        encoders=encoders,
    )


def load_config(path: Path | str) -> Config:
    """Read, parse and validate the config file at `path`; raise ConfigError when it is wrong."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, "", "config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, "", f"cannot read the config file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if mark is not None:
            raise ConfigError(
                file,
                "",
                f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {problem}",
            ) from None
        raise ConfigError(file, "", f"YAML syntax error: {problem}") from None
    return parse_config(data, file)


def config_as_dict(config: Config) -> dict[str, Any]:
    """The resolved config as plain data (what `check-config` prints)."""

    def watch_dict(w: WatchConfig) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in w.__dict__.items()}

    return {
        "config": str(config.path),
        "database": config.database,
        "extensions": list(config.extensions),
        "worker": dict(config.worker.__dict__),
        "logging": dict(config.logging.__dict__),
        "retention": dict(config.retention.__dict__),
        "distinctness": dict(config.distinctness.__dict__),
        "profiles": {
            name: {
                "min_distance": p.min_distance,
                "effects": {
                    e.name: {"probability": e.probability, "range": [e.low, e.high]}
                    for e in p.effects
                },
            }
            for name, p in config.profiles.items()
        },
        "encoders": {
            name: {k: v for k, v in e.__dict__.items() if k != "name"}
            for name, e in config.encoders.items()
        },
        "watch": [watch_dict(w) for w in config.watches],
    }
