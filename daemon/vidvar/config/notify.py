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
        NotifyConfig, file, data, path, skip=frozenset({"webhooks", "on_finish"})
    )
    hooks = section.data.get("webhooks") or []
    if not isinstance(hooks, list):
        raise section.error("webhooks", f"expected a list of webhooks, found {type_name(hooks)}")
    values["webhooks"] = tuple(
        _read_webhook(file, hook, f"{path}.webhooks[{i}]") for i, hook in enumerate(hooks)
    )
    if section.has("on_finish"):
        values["on_finish"] = _read_command(section, section.data["on_finish"])
    return NotifyConfig(**values)


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
