"""VIDVAR_* environment variables that override keys of the config (the container's
simple case: no YAML at all); they win over the file."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from vidvar.config.reader import yaml_key
from vidvar.config.service import WebConfig
from vidvar.errors import ConfigError

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
