"""The JSON Schema of vidvar.yaml, generated from the one declaration of settings
(config.schema and config.service), so that editors (the YAML language server)
complete and check keys and the schema can never drift from what the reader accepts."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vidvar.config.placement import ASPECT_SIZES, ASPECTS, FITS, MAX_SIDE, Format
from vidvar.config.reader import yaml_key
from vidvar.config.schema import Config, WatchConfig
from vidvar.effects.catalogue import CATALOGUE

SCHEMA_ID = "https://vidvar.invalid/vidvar.schema.json"
SCHEMA_FILE = "vidvar.schema.json"  # written beside the config by `vidvar init`


def settings_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a whole config file."""
    schema = _section(Config)
    watch = schema["properties"]["watch"]
    # `watch:` may be one mapping as well as a list of them.
    schema["properties"]["watch"] = {
        "description": watch["description"],
        "anyOf": [watch, watch["items"]],
    }
    schema["properties"]["profiles"]["additionalProperties"] = _effects_profile()
    # An encoder profile's name is its key in `encoders:`.
    del schema["properties"]["encoders"]["additionalProperties"]["properties"]["name"]
    schema["required"] = ["watch"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "vidvar configuration",
        **schema,
    }


def _section(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties = {}
    for f in dataclasses.fields(cls):
        if "key" not in f.metadata:
            continue  # not a setting (Config.path, Config.warnings)
        properties[yaml_key(f)] = _value(hints[f.name], f)
    required = ["inbox", "output"] if cls is WatchConfig else []
    section: dict[str, Any] = {
        "type": "object",
        "description": " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split()),
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        section["required"] = required
    return section


def _value(kind: Any, f: dataclasses.Field[Any]) -> dict[str, Any]:
    meta = f.metadata
    schema = _type(kind, meta)
    if meta.get("doc"):
        schema["description"] = meta["doc"]
    default = _default(f)
    if default is not None:
        schema["default"] = default
    return schema


def _type(kind: Any, meta: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(kind, types.UnionType) and type(None) in kind.__args__:
        (inner,) = [a for a in kind.__args__ if a is not type(None)]
        return {"anyOf": [_type(inner, meta), {"type": "null"}]}
    origin = typing.get_origin(kind)
    if origin is tuple:
        return {"type": "array", "items": _type(typing.get_args(kind)[0], {})}
    if origin in (Mapping, dict) or kind is Mapping:
        value = typing.get_args(kind)[1]
        return {"type": "object", "additionalProperties": _type(value, {})}
    if kind is Format:
        return _format()
    if dataclasses.is_dataclass(kind):
        return _section(kind)  # type: ignore[arg-type]
    if kind is bool:
        return {"type": "boolean"}
    if kind in (int, float):
        schema: dict[str, Any] = {"type": "integer" if kind is int else "number"}
        for ours, theirs in (
            ("minimum", "minimum"),
            ("above", "exclusiveMinimum"),
            ("maximum", "maximum"),
        ):
            if meta.get(ours) is not None:
                schema[theirs] = meta[ours]
        return schema
    schema = {"type": "string", "minLength": 1}
    if meta.get("choices"):
        schema["enum"] = list(meta["choices"])
    if meta.get("pattern"):
        schema["pattern"] = f"^(?:{meta['pattern']})$"
    return schema


def _default(f: dataclasses.Field[Any]) -> Any:
    value = f.default if f.default is not dataclasses.MISSING else None
    if isinstance(value, Path):
        return None  # resolved against the config file's folder; said in the doc
    if isinstance(value, tuple):
        return [v.aspect if isinstance(v, Format) else v for v in value]
    if value in ("", None) or dataclasses.is_dataclass(value):
        return None
    return value


def _format() -> dict[str, Any]:
    """A placement format: an aspect, or an aspect with a size and a fit."""
    side = {"type": "integer", "minimum": 16, "maximum": MAX_SIDE}
    return {
        "anyOf": [
            {"type": "string", "enum": list(ASPECTS)},
            {
                "type": "object",
                "properties": {
                    "aspect": {"type": "string", "enum": list(ASPECT_SIZES)},
                    "width": side,
                    "height": side,
                    "fit": {"type": "string", "enum": list(FITS)},
                },
                "required": ["aspect"],
                "additionalProperties": False,
            },
        ]
    }


def _effects_profile() -> dict[str, Any]:
    effects = {}
    for name, effect in CATALOGUE.items():
        body: dict[str, Any] = {
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
        }
        if effect.has_range:
            low, high = effect.limits
            bound = {"type": "number", "minimum": low, "maximum": high}
            body["range"] = {"type": "array", "items": bound, "minItems": 2, "maxItems": 2}
        effects[name] = {
            "anyOf": [
                {"type": "boolean"},
                {"type": "null"},
                {"type": "object", "properties": body, "additionalProperties": False},
            ]
        }
    return {
        "type": "object",
        "description": "an effects profile: which effects, how often and how strong",
        "properties": {
            "min_distance": {"type": "number", "minimum": 0, "maximum": 1},
            "effects": {"type": "object", "properties": effects, "additionalProperties": False},
        },
        "additionalProperties": False,
    }
