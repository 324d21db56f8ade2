"""`setting`: how a config field is declared, once, with its default, its bounds and
choices, and what it means. The reader (config.reader) validates YAML against these
fields; `check-config` prints them back (config.dump); the JSON Schema and the
reference are generated from them."""

from __future__ import annotations

from dataclasses import field
from typing import Any


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
