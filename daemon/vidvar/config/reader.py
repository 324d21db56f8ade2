"""Reads one YAML mapping into a dataclass, field by field, from the fields' metadata.

Every error names the file, the key path (`watch[1].variations`), what was
expected and what was found, so a person can fix it without reading code.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from vidvar.errors import ConfigError, config_errors

T = TypeVar("T")
R = TypeVar("R")
F = TypeVar("F")


def type_name(value: object) -> str:
    """What a YAML value is, in words."""
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


def resolve_path(raw: str, base: Path) -> Path:
    """`raw` with ~ expanded, relative to `base`, normalised."""
    path = Path(os.path.expanduser(raw))
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class Section:
    """One mapping of the YAML document, remembering its key path."""

    def __init__(
        self, file: Path, data: Any, path: str, allowed: set[str], *, defer: bool = False
    ) -> None:
        """Raises on a key not in `allowed`; with `defer`, keeps them in `.problems` so that
        the caller reports them with the rest of the section's errors."""
        self.file = file
        self.path = path
        if data is None:
            data = {}
        if not isinstance(data, dict):
            where = path or "(top level)"
            raise ConfigError(file, where, f"expected a mapping, found {type_name(data)}")
        self.data: dict[str, Any] = data
        self.problems: list[ConfigError] = [
            ConfigError(file, self.key(str(k)), unknown_key(str(k), allowed))
            for k in data
            if k not in allowed
        ]
        if self.problems and not defer:
            raise config_errors(self.problems)

    def key(self, name: str) -> str:
        """The key path of `name` inside this section."""
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, problem: str) -> ConfigError:
        """A ConfigError about key `name` of this section."""
        return ConfigError(self.file, self.key(name), problem)

    def has(self, name: str) -> bool:
        """True when `name` is given and not null."""
        return self.data.get(name) is not None

    def value(self, f: dataclasses.Field[Any], kind: Any, base: Path | None) -> Any:
        """The validated value of field `f` (of type `kind`)."""
        name, meta, raw = yaml_key(f), f.metadata, self.data[yaml_key(f)]
        optional = False
        if isinstance(kind, types.UnionType) and type(None) in kind.__args__:
            optional = True
            (kind,) = [a for a in kind.__args__ if a is not type(None)]
        if raw is None and optional:
            return None
        if kind is bool:
            if not isinstance(raw, bool):
                raise self.error(name, f"expected true or false, found {type_name(raw)}")
            return raw
        if kind is int:
            return self._number(name, raw, meta, whole=True)
        if kind is float:
            return self._number(name, raw, meta, whole=False)
        if kind is Path:
            if not isinstance(raw, str) or not raw.strip():
                raise self.error(name, f"expected a folder path, found {type_name(raw)}")
            assert base is not None
            return resolve_path(raw, base)
        if kind is str:
            return self._text(name, raw, meta)
        raise TypeError(f"no reader for {kind!r}")  # a field type added without a reader

    def _number(self, name: str, raw: Any, meta: Any, *, whole: bool) -> int | float:
        noun = "a whole number" if whole else "a number"
        ok = isinstance(raw, int) if whole else isinstance(raw, int | float)
        if isinstance(raw, bool) or not ok:
            raise self.error(name, f"expected {noun}, found {type_name(raw)}")
        if not math.isfinite(raw):
            raise self.error(name, f"expected a finite number, found {raw!r}")
        low, above, high = meta.get("minimum"), meta.get("above"), meta.get("maximum")
        if low is not None and raw < low:
            raise self.error(name, f"expected {noun} of at least {low:g}, found {raw!r}")
        if above is not None and raw <= above:
            raise self.error(name, f"expected {noun} above {above:g}, found {raw!r}")
        if high is not None and raw > high:
            raise self.error(name, f"expected {noun} of at most {high:g}, found {raw!r}")
        return int(raw) if whole else float(raw)

    def _text(self, name: str, raw: Any, meta: Any) -> str:
        hint = f" ({meta['hint']})" if meta.get("hint") else ""
        if not isinstance(raw, str) or not raw.strip():
            raise self.error(name, f"expected text{hint}, found {type_name(raw)}")
        choices = meta.get("choices")
        if choices is not None and raw not in choices:
            raise self.error(name, f"expected one of {', '.join(choices)}, found {raw!r}")
        pattern = meta.get("pattern")
        if pattern is not None and not re.fullmatch(pattern, raw):
            raise self.error(name, f"expected {meta.get('hint') or pattern}, found {raw!r}")
        return raw


class Problems:
    """The config errors of one reading, gathered so that one run tells them all."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        """Note one more error."""
        self.errors.append(error)

    def attempt(self, read: Callable[[], R], fallback: F) -> R | F:
        """What `read` returns, or `fallback` with its error noted."""
        try:
            return read()
        except ConfigError as exc:
            self.errors.append(exc)
            return fallback

    def check(self) -> None:
        """Raise every error noted so far, as one."""
        if self.errors:
            raise config_errors(self.errors)


def unknown_key(key: str, allowed: set[str]) -> str:
    """What to say of an unknown key: the likely one meant, else what is allowed."""
    likely = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    if likely:
        return f"unknown key; did you mean {likely[0]!r}?"
    return f"unknown key; expected one of: {', '.join(sorted(allowed))}"


def yaml_key(f: dataclasses.Field[Any]) -> str:
    """The YAML key of a field (its name unless the metadata says otherwise)."""
    return str(f.metadata.get("key") or f.name)


def read_fields(
    cls: type[T],
    file: Path,
    data: Any,
    path: str,
    *,
    base: Path | None = None,
    skip: frozenset[str] = frozenset(),
    extra_keys: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], Section]:
    """The values given for `cls`'s plain fields (bool, numbers, text, paths), validated.

    Fields in `skip` are left to the caller (nested sections); `extra_keys` are
    further keys the caller reads itself. Missing keys keep the field's default.
    """
    # Settings are the fields declared with setting(); others (Config.path) are not keys.
    fields = [f for f in dataclasses.fields(cls) if "key" in f.metadata]  # type: ignore[arg-type]
    allowed = {yaml_key(f) for f in fields} | set(extra_keys)
    section = Section(file, data, path, allowed, defer=True)
    hints = _hints(cls)  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    problems = section.problems
    for f in fields:
        if f.name in skip or yaml_key(f) not in section.data:
            continue
        try:
            values[f.name] = section.value(f, hints[f.name], base)
        except ConfigError as exc:  # every wrong key of the section is told at once
            problems.append(exc)
    if problems:
        raise config_errors(problems)
    return values, section


def read_section(cls: type[T], file: Path, data: Any, path: str) -> T:
    """A whole section of plain fields (worker, retention, logging…)."""
    values, _section = read_fields(cls, file, data, path)
    return cls(**values)
