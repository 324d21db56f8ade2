"""YAML file → a validated, frozen Config.

Relative paths resolve against the config file's folder; unknown keys,
duplicate keys and non-finite numbers are errors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vidvar.config.environment import apply_environment
from vidvar.config.notify import read_notify
from vidvar.config.placement import SOURCE_FORMAT, Format, parse_formats
from vidvar.config.positions import key_positions, locate
from vidvar.config.profiles import read_encoders, read_profiles
from vidvar.config.reader import (
    Problems,
    Section,
    read_fields,
    read_section,
    resolve_path,
    type_name,
)
from vidvar.config.schema import (
    DEFAULT_EXTENSIONS,
    Config,
    DistinctnessConfig,
    EncoderProfile,
    WatchConfig,
)
from vidvar.config.service import (
    LoggingConfig,
    RetentionConfig,
    ScheduleWindow,
    WebConfig,
    WorkerConfig,
)
from vidvar.config.topology import check_topology
from vidvar.config.yamlfile import read_yaml_text
from vidvar.effects.catalogue import (
    EffectsProfile,
)
from vidvar.errors import ConfigError, ConfigErrors, config_errors
from vidvar.mounts import is_on_network_fs

EX_CONFIG = 78  # sysexits.h: configuration error


def load_config(path: Path | str, *, require_folders: bool = True) -> Config:
    """Read, parse and validate the config file at `path`; raise ConfigError when it is wrong
    (ConfigErrors, every problem with its line and column, when there are several).

    `require_folders=False` (read-only commands) turns a missing inbox into a
    warning: `vidvar status` must answer when a share is unmounted.
    """
    file = Path(path)
    document, text = read_yaml_text(file)
    data, applied = apply_environment(document, file, os.environ)
    try:
        return parse_config(data, file, require_folders=require_folders)
    except ConfigError as exc:
        located = locate(exc, key_positions(text))
        if not applied:
            raise located from None
        note = f" (the environment sets {', '.join(applied)})"
        told = located.errors if isinstance(located, ConfigErrors) else [located]
        raise config_errors(
            [
                ConfigError(e.file, e.key, e.problem + note, line=e.line, column=e.column)
                for e in told
            ]
        ) from None


def parse_config(data: Any, file: Path | str, *, require_folders: bool = True) -> Config:
    """Validate an already-loaded YAML document; relative paths resolve against `file`'s folder.
    Every section is read even when one before it is wrong, so one run tells every error."""
    file = Path(os.path.abspath(file))
    base = file.parent
    nested = frozenset(
        {"watches", "extensions", "worker", "logging", "retention", "distinctness"}
        | {"profiles", "encoders", "database", "notify", "web", "schedule"}
    )
    _values, top = read_fields(Config, file, data, "", skip=nested)
    warnings: list[str] = []
    problems = Problems()
    given = top.data.get
    profiles = problems.attempt(lambda: read_profiles(file, given("profiles")), None)
    encoders = problems.attempt(lambda: read_encoders(file, given("encoders")), None)
    watches = problems.attempt(
        lambda: _read_watches(
            file,
            given("watch"),
            base,
            profiles,
            encoders,
            warnings if not require_folders else None,
            problems,
        ),
        (),
    )
    attempt = problems.attempt
    # The fallbacks are never used: check() raises when any part was wrong.
    database = attempt(lambda: _read_database(file, given("database"), base), "")
    extensions = attempt(lambda: _read_extensions(file, top), ())
    worker = attempt(lambda: read_section(WorkerConfig, file, given("worker"), "worker"), None)
    logging = attempt(lambda: read_section(LoggingConfig, file, given("logging"), "logging"), None)
    retention = attempt(
        lambda: read_section(RetentionConfig, file, given("retention"), "retention"), None
    )
    distinctness = attempt(lambda: _read_distinctness(file, given("distinctness"), warnings), None)
    notify = attempt(lambda: read_notify(file, given("notify"), "notify"), None)
    web = attempt(lambda: _read_web(file, given("web")), None)
    schedule = attempt(lambda: _read_schedule(file, given("schedule")), ())
    problems.check()
    assert profiles and encoders and worker and logging and retention and distinctness
    assert notify and web
    check_topology(file, watches)
    return Config(
        path=file,
        database=database,
        watches=watches,
        extensions=extensions,
        worker=worker,
        logging=logging,
        retention=retention,
        distinctness=distinctness,
        profiles=profiles,
        encoders=encoders,
        notify=notify,
        web=web,
        schedule=schedule,
        warnings=tuple(warnings),
    )


def _read_schedule(file: Path, data: Any) -> tuple[ScheduleWindow, ...]:
    if data is None:
        return ()
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ConfigError(
            file, "schedule", f"expected a list of time windows, found {type_name(data)}"
        )
    problems = Problems()
    windows = [
        problems.attempt(
            lambda i=i, item=item: read_section(  # type: ignore[misc]
                ScheduleWindow, file, item, f"schedule[{i}]"
            ),
            None,
        )
        for i, item in enumerate(data)
    ]
    problems.check()
    return tuple(w for w in windows if w is not None)


def _read_web(file: Path, data: Any) -> WebConfig:
    values, section = read_fields(WebConfig, file, data, "web", skip=frozenset({"api_tokens"}))
    tokens = section.data.get("api_tokens") or []
    if not isinstance(tokens, list) or not all(
        isinstance(t, str) and len(t) == 64 and all(c in "0123456789abcdef" for c in t)
        for t in tokens
    ):
        raise section.error(
            "api_tokens",
            "expected a list of token hashes (64 hex digits, from vidvar web --new-token)",
        )
    return WebConfig(**values, api_tokens=tuple(tokens))


def _read_distinctness(file: Path, data: Any, warnings: list[str]) -> DistinctnessConfig:
    if isinstance(data, dict) and "min_distance" in data:
        # The old name of min_sibling_distance; profiles have a min_distance of their own.
        data = dict(data)
        old = data.pop("min_distance")
        if "min_sibling_distance" in data:
            raise ConfigError(
                file,
                "distinctness.min_distance",
                "give either min_sibling_distance or its old name min_distance, not both",
            )
        data["min_sibling_distance"] = old
        warnings.append(
            f"{file}: distinctness.min_distance is deprecated; call it min_sibling_distance"
        )
    return read_section(DistinctnessConfig, file, data, "distinctness")


def _read_extensions(file: Path, top: Section) -> tuple[str, ...]:
    extensions = top.data.get("extensions", list(DEFAULT_EXTENSIONS))
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
    return tuple(sorted({e.strip(". ").lower() for e in extensions}))


def _read_watches(
    file: Path,
    data: Any,
    base: Path,
    profiles: dict[str, EffectsProfile] | None,
    encoders: dict[str, EncoderProfile] | None,
    lenient: list[str] | None,
    problems: Problems,
) -> tuple[WatchConfig, ...]:
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise ConfigError(
            file, "watch", f"expected a list of one or more hot folders, found {type_name(data)}"
        )
    read = [
        problems.attempt(
            lambda i=i, item=item: read_watch(  # type: ignore[misc]
                file,
                item,
                f"watch[{i}]",
                base,
                profiles=profiles,
                encoders=encoders,
                lenient=lenient,
            ),
            None,
        )
        for i, item in enumerate(data)
    ]
    watches = tuple(w for w in read if w is not None)
    seen: dict[str, int] = {}
    for i, watch in enumerate(read):
        if watch is None:
            continue
        if watch.name in seen:
            raise ConfigError(
                file,
                f"watch[{i}].name",
                f"expected a unique name; {watch.name!r} is also watch[{seen[watch.name]}]",
            )
        seen[watch.name] = i
    return watches


def read_watch(
    file: Path,
    data: Any,
    path: str,
    base: Path,
    *,
    profiles: dict[str, Any] | None,
    encoders: dict[str, Any] | None,
    lenient: list[str] | None = None,
) -> WatchConfig:
    """Validate one hot folder entry (a missing inbox is noted in `lenient` if given).
    Profiles or encoders given as None (themselves wrong) are not checked against."""
    values, section = read_fields(
        WatchConfig, file, data, path, base=base, skip=frozenset({"notify", "formats"})
    )
    problems = Problems()
    if section.has("formats"):
        values["formats"] = problems.attempt(lambda: _read_formats(section), (SOURCE_FORMAT,))
    values["notify"] = problems.attempt(
        lambda: read_notify(file, section.data.get("notify"), f"{path}.notify"), None
    )
    if "inbox" not in values:
        problems.add(section.error("inbox", "missing; expected the folder users drop videos into"))
    if "output" not in values:
        problems.add(
            section.error("output", "missing; expected the folder where job folders are written")
        )
    inbox: Path | None = values.get("inbox")
    if inbox is None:
        pass
    elif not inbox.is_dir() and lenient is not None and not inbox.exists():
        lenient.append(f"{section.key('inbox')}: the inbox {inbox} is missing (share unmounted?)")
    elif not inbox.is_dir():
        found = "a file" if inbox.exists() else "nothing there"
        problems.add(
            section.error(
                "inbox",
                f"expected an existing folder, found {found} at {inbox} "
                "(create it, or run `vidvar init` to create every configured folder)",
            )
        )
    for key, known in (("profile", profiles), ("encoder", encoders)):
        chosen = values.get(key, "default")
        if known is not None and chosen not in known:
            problems.add(
                section.error(
                    key, f"expected one of the {key}s ({', '.join(known)}), found {chosen!r}"
                )
            )
    problems.check()
    assert inbox is not None
    values.setdefault("archive_dir", inbox.parent / "archive")
    values.setdefault("failed_dir", inbox.parent / "failed")
    values.setdefault("name", inbox.name)
    return WatchConfig(**values)


def _read_formats(section: Section) -> tuple[Format, ...]:
    """A hot folder's `formats:` list, each error with its key path."""
    return parse_formats(
        section.data["formats"], lambda key, problem: section.error("formats" + key, problem)
    )


def _read_database(file: Path, raw: Any, base: Path) -> str:
    if raw is None:
        raw = Config.__dataclass_fields__["database"].default
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(
            file,
            "database",
            f"expected an SQLite file path or postgresql://…, found {type_name(raw)}",
        )
    if raw.startswith(("postgresql://", "postgres://")):
        return raw
    if "://" in raw:
        from vidvar.config.dump import redact_url

        raise ConfigError(
            file,
            "database",
            f"expected an SQLite file path or postgresql://…, found {redact_url(raw)!r}",
        )
    db = resolve_path(raw, base)
    if db.is_dir():
        raise ConfigError(
            file, "database", f"expected an SQLite file, found a folder at {db} (name a file in it)"
        )
    if is_on_network_fs(db):
        raise ConfigError(
            file,
            "database",
            f"{db} is on a network filesystem; SQLite corrupts there. Keep the database on "
            "local disk (e.g. /var/lib/vidvar/vidvar.db) or use postgresql://…",
        )
    return str(db)
