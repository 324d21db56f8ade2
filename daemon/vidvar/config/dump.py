"""The resolved config as plain data: what `check-config` prints, loadable as a config."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from vidvar.config.schema import Config
from vidvar.effects.catalogue import CATALOGUE, EffectsProfile


def redact_url(url: str, *, tokens: bool = False) -> str:
    """A URL with its password replaced by ***. With `tokens` (webhook URLs, whose
    secrets often sit in the path or query: Slack, Discord, Teams), every query value
    and every path segment that looks like a token is *** too."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        credentials, host = authority.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        authority = f"{user}:***@{host}" if ":" in credentials else authority
    if not tokens:
        return f"{scheme}://{authority}{slash}{tail}"
    path, question, query = tail.partition("?")
    path = "/".join("***" if _looks_secret(part) else part for part in path.split("/"))
    if question:
        query = "&".join(f"{pair.split('=', 1)[0]}=***" for pair in query.split("&") if pair)
    return f"{scheme}://{authority}{slash}{path}{question}{query}"


def _looks_secret(segment: str) -> bool:
    """A path segment that may be an id or a token: any with a digit in it, 24
    characters or more, or 12 or more in mixed case. Words such as `services` or
    `webhooks` stay, so the URL still says where it goes; hiding a `v1` too is the
    cheaper mistake."""
    mixed = segment.lower() != segment != segment.upper()
    digits = any(c.isdigit() for c in segment)
    return digits or len(segment) >= 24 or (len(segment) >= 12 and mixed)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _profile(profile: EffectsProfile) -> dict[str, Any]:
    return {
        "min_distance": profile.min_distance,
        "effects": {
            e.name: {"probability": e.probability}
            | ({"range": [e.low, e.high]} if CATALOGUE[e.name].has_range else {})
            for e in profile.effects
        },
    }


def _watch(watch: Any) -> dict[str, Any]:
    """A hot folder as plain data; its formats as a config file writes them."""
    data: dict[str, Any] = _plain(dataclasses.asdict(watch))
    data["formats"] = [f.aspect if f.is_source else f.as_dict() for f in watch.formats]
    return data


def config_as_dict(config: Config) -> dict[str, Any]:
    """Every setting in force, defaults included, keyed as in the YAML file; the
    database password is replaced by ***."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if "key" not in f.metadata:
            continue  # not a setting (the file's path, warnings)
        key = f.metadata["key"] or f.name
        value = getattr(config, f.name)
        if f.name == "profiles":
            data[key] = {name: _profile(p) for name, p in value.items()}
        elif f.name == "encoders":
            data[key] = {
                name: {k: v for k, v in dataclasses.asdict(e).items() if k != "name"}
                for name, e in value.items()
            }
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            data[key] = _plain(dataclasses.asdict(value))
        elif f.name == "watches":
            data[key] = [_watch(w) for w in value]
        elif f.name == "schedule":
            data[key] = [{"days": w.days, "from": w.start, "to": w.end} for w in value]
        else:
            data[key] = _plain(value)
    data["database"] = redact_url(config.database)
    if data.get("web", {}).get("password_hash"):
        data["web"]["password_hash"] = "***"
    for notify in [data.get("notify") or {}, *((w.get("notify") or {}) for w in data["watch"])]:
        # Apprise URLs carry their service's token or password in them.
        notify["apprise"] = [f"{u.split('://', 1)[0]}://***" for u in notify.get("apprise") or []]
        for hook in notify.get("webhooks") or []:
            if hook.get("secret"):
                hook["secret"] = "***"
            if hook.get("url"):
                hook["url"] = redact_url(hook["url"], tokens=True)
    return data
