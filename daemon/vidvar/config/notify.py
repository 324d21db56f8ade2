"""The `notify` section (top level and per hot folder): webhooks and an on_finish command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from vidvar.config.reader import Section, read_fields, type_name
from vidvar.config.schema import NOTIFY_EVENTS, NotifyConfig, Webhook
from vidvar.errors import ConfigError


def read_notify(file: Path, data: Any, path: str) -> NotifyConfig:
    """Validate one `notify` mapping."""
    if data is None:
        return NotifyConfig()
    values, section = read_fields(
        NotifyConfig, file, data, path, skip=frozenset({"webhooks", "on_finish", "apprise"})
    )
    hooks = section.data.get("webhooks") or []
    if not isinstance(hooks, list):
        raise section.error("webhooks", f"expected a list of webhooks, found {type_name(hooks)}")
    values["webhooks"] = tuple(
        _read_webhook(file, hook, f"{path}.webhooks[{i}]") for i, hook in enumerate(hooks)
    )
    if section.has("on_finish"):
        values["on_finish"] = _read_command(section, section.data["on_finish"])
    if section.has("apprise"):
        values["apprise"] = _read_apprise(section, section.data["apprise"])
    return NotifyConfig(**values)


def _read_apprise(section: Section, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(u, str) and "://" in u for u in raw):
        raise section.error(
            "apprise", f"expected a list of Apprise URLs such as tgram://…, found {type_name(raw)}"
        )
    if not raw:
        return ()  # none: Apprise need not be installed
    try:
        import apprise
    except ImportError:
        raise section.error(
            "apprise",
            "Apprise is not installed here: pip install 'vidvar[apprise]' (the container "
            "image has it)",
        ) from None
    for i, url in enumerate(raw):
        if not apprise.Apprise().add(url):
            scheme = url.split("://", 1)[0]
            raise section.error(
                f"apprise[{i}]",
                f"Apprise does not understand this URL (scheme {scheme}://); see "
                "https://github.com/caronc/apprise/wiki for the services and their URLs",
            )
    return tuple(raw)


def _read_webhook(file: Path, data: Any, path: str) -> Webhook:
    values, section = read_fields(Webhook, file, data, path, skip=frozenset({"events"}))
    if "url" not in values:
        raise section.error("url", "missing; expected the http(s):// address to POST to")
    if section.has("events"):
        events = section.data["events"]
        if (
            not isinstance(events, list)
            or not events
            or not all(isinstance(e, str) and e in NOTIFY_EVENTS for e in events)
        ):
            raise section.error(
                "events", f"expected a list of {', '.join(NOTIFY_EVENTS)}, found {events!r}"
            )
        values["events"] = tuple(dict.fromkeys(events))
    return Webhook(**values)


def _read_command(section: Section, raw: Any) -> tuple[str, ...]:
    if raw == []:
        return ()  # none (as check-config prints it)
    if not isinstance(raw, list) or not raw or not all(isinstance(a, str) and a for a in raw):
        raise section.error(
            "on_finish",
            f"expected a command as a list, such as [/usr/local/bin/after-job, --flag], "
            f"found {raw!r}",
        )
    program = raw[0]
    found = shutil.which(program) if os.sep not in program else program
    if not found or not os.access(found, os.X_OK) or not os.path.isfile(found):
        raise ConfigError(
            section.file,
            section.key("on_finish"),
            f"expected an executable program, found nothing runnable at {program!r}",
        )
    return tuple(raw)
