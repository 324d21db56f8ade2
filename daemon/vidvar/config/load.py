"""YAML file → a validated, frozen Config.

Relative paths resolve against the config file's folder; unknown keys,
duplicate keys and non-finite numbers are errors.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from vidvar.config.notify import read_notify
from vidvar.config.positions import key_positions, locate
from vidvar.config.profiles import read_encoders, read_profiles
from vidvar.config.reader import (
    Problems,
    Section,
    read_fields,
    read_section,
    resolve_path,
    type_name,
    yaml_key,
)
from vidvar.config.schema import (
    DEFAULT_EXTENSIONS,
    Config,
    DistinctnessConfig,
    EncoderProfile,
    LoggingConfig,
    RetentionConfig,
    ScheduleWindow,
    WatchConfig,
    WebConfig,
    WorkerConfig,
)
from vidvar.config.topology import check_topology
from vidvar.effects.catalogue import (
    EffectsProfile,
)
from vidvar.errors import ConfigError, ConfigErrors, brief, config_errors
from vidvar.mounts import is_on_network_fs

EX_CONFIG = 78  # sysexits.h: configuration error


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (the second would win)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str | int | float | bool | None):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name, not a list or mapping", key_node.start_mark
            )
        if key in seen:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {brief(key)} (line {line})", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class _NoAliasLoader(_StrictLoader):
    """_StrictLoader that refuses aliases (`*name`): a few lines of aliases can expand
    into gigabytes (a "billion laughs"), and a dropped folder's file is anyone's."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in this file", mark
            )
        return super().compose_node(parent, index)


def read_yaml(file: Path, *, max_bytes: int | None = None, aliases: bool = True) -> Any:
    """The YAML document of `file`; ConfigError with line and column when it is wrong.
    `max_bytes` refuses a larger file before parsing it; without `aliases`, `*name`
    is an error (for files anyone can drop, see _NoAliasLoader)."""
    return read_yaml_text(file, max_bytes=max_bytes, aliases=aliases)[0]


def read_yaml_text(
    file: Path, *, max_bytes: int | None = None, aliases: bool = True
) -> tuple[Any, str]:
    """The YAML document of `file` and the text it was read from (see read_yaml)."""
    try:
        text = _read_text(file, max_bytes)
    except FileNotFoundError:
        raise ConfigError(file, "", "config file not found") from None
    except IsADirectoryError:
        raise ConfigError(file, "", "expected a config file, found a folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, "", f"cannot read the config file: {exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader if aliases else _NoAliasLoader), text
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = plain_yaml_problem(getattr(exc, "problem", None) or str(exc))
        if mark is not None:
            line, column = mark.line + 1, mark.column + 1
            raise ConfigError(
                file, "", f"YAML syntax error: {problem}", line=line, column=column
            ) from None
        raise ConfigError(file, "", f"YAML syntax error: {problem}") from None


# PyYAML's words for the mistakes people make, and what they mean in plain words.
_YAML_PROBLEMS = (
    (
        "expected <block end>",
        "this line is indented differently from the keys above it; "
        "keys of one section line up under each other, with spaces",
    ),
    (
        "mapping values are not allowed here",
        "a ':' where none is expected: the line is indented too far, "
        "or a value that holds ': ' needs quotes",
    ),
    ("could not find expected ':'", "a line without 'key: value' (a missing ':'?)"),
    ("found character '\\t'", "a tab; YAML indents with spaces only"),
    ("found character '\t'", "a tab; YAML indents with spaces only"),
    ("found unexpected end of stream", "a quote or bracket is opened and never closed"),
    ("did not find expected key", "a line that is not 'key: value' inside a section"),
    ("expected ',' or ']'", "a list in [brackets] that is not closed or not separated by ','"),
    ("expected ',' or '}'", "a mapping in {braces} that is not closed or not separated by ','"),
    (
        "did not find expected '-' indicator",
        "a list item that does not line up with the items above it",
    ),
)


def plain_yaml_problem(problem: str) -> str:
    """PyYAML's description of a syntax error, in words a person understands."""
    for jargon, plain in _YAML_PROBLEMS:
        if jargon in problem:
            return plain
    return problem


def _read_text(file: Path, max_bytes: int | None) -> str:
    if max_bytes is None:
        return file.read_text(encoding="utf-8")
    fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ConfigError(file, "", f"the file is larger than {max_bytes // 1024} KiB")
    return data.decode("utf-8")


# Environment variables that override keys of the one hot folder (the container's
# simple case: no YAML at all); they win over the file. See docs/quick-start.md, "The container".
ENV_WATCH_KEYS = {
    "VIDVAR_VARIATIONS": "variations",
    "VIDVAR_SETTLE_SECONDS": "settle_seconds",
    "VIDVAR_OBSERVER": "observer",
    "VIDVAR_POLLING_INTERVAL": "polling_interval",
    "VIDVAR_SCAN_INTERVAL": "scan_interval",
    "VIDVAR_PROFILE": "profile",
    "VIDVAR_ENCODER": "encoder",
    "VIDVAR_ON_SUCCESS": "on_success",
    "VIDVAR_ON_FAILURE": "on_failure",
}
ENV_TOP_KEYS = {
    "VIDVAR_LOG_LEVEL": ("logging", "level"),
    "VIDVAR_LOG_FORMAT": ("logging", "format"),
    # Every web setting: VIDVAR_WEB_HOST, VIDVAR_WEB_PORT, VIDVAR_WEB_PASSWORD_HASH, …
    # (api_tokens as a YAML list or comma-separated hashes).
    **{f"VIDVAR_WEB_{yaml_key(f).upper()}": ("web", yaml_key(f)) for f in fields(WebConfig)},
}
_LIST_KEYS = {("web", "api_tokens")}


def apply_environment(data: Any, file: Path, environ: Mapping[str, str]) -> tuple[Any, list[str]]:
    """The document with VIDVAR_* overrides applied, and which were (for messages)."""
    wanted = {k: v for k, v in environ.items() if k in ENV_WATCH_KEYS or k in ENV_TOP_KEYS}
    if not wanted or not isinstance(data, dict):
        return data, []
    data = copy.deepcopy(data)
    applied = []
    for var, value in sorted(wanted.items()):
        parsed = yaml.safe_load(value) if value.strip() else None
        if var in ENV_TOP_KEYS:
            section, key = ENV_TOP_KEYS[var]
            if (section, key) in _LIST_KEYS and isinstance(parsed, str):
                parsed = [part.strip() for part in parsed.split(",") if part.strip()]
            data.setdefault(section, {})
            if isinstance(data[section], dict):
                data[section][key] = parsed
        else:
            watches = data.get("watch")
            if isinstance(watches, dict):
                watches = data["watch"] = [watches]
            if not isinstance(watches, list) or len(watches) != 1:
                count = len(watches) if isinstance(watches, list) else 0
                raise ConfigError(
                    file,
                    "watch",
                    f"{var} sets a key of the one hot folder, but this config has {count}; "
                    f"set {ENV_WATCH_KEYS[var]} in the YAML instead",
                )
            if isinstance(watches[0], dict):
                watches[0][ENV_WATCH_KEYS[var]] = parsed
        applied.append(var)
    return data, applied


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
        WatchConfig, file, data, path, base=base, skip=frozenset({"notify"})
    )
    problems = Problems()
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
