"""mkdocs hooks: the Reference pages' generated parts, made from vidvar's own code at
build time (the settings' declarations and the command line parser), so that they
cannot drift from what vidvar accepts."""

from __future__ import annotations

import argparse
from typing import Any

GENERATED = "<!-- generated: {} -->"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each generated marker with its text."""
    if GENERATED.format("config") in markdown:
        markdown = markdown.replace(GENERATED.format("config"), config_reference())
    if GENERATED.format("cli") in markdown:
        markdown = markdown.replace(GENERATED.format("cli"), cli_reference())
    return markdown


def config_reference() -> str:
    """A table per section of vidvar.yaml, from the JSON Schema of the settings."""
    from vidvar.config.jsonschema import settings_schema

    schema = settings_schema()
    out: list[str] = []
    _section(out, "Top level", "", schema)
    return "\n".join(out)


def _section(out: list[str], title: str, path: str, schema: dict[str, Any]) -> None:
    rows, nested = [], []
    for key, body in schema.get("properties", {}).items():
        item = _object_of(body)
        full = f"{path}.{key}" if path else key
        if item is not None and item.get("properties") and key not in ("profiles",):
            many = _is_list(body) or _is_map(body)
            nested.append(
                (full + ("[]" if _is_list(body) else ".NAME" if _is_map(body) else ""), item)
            )
            if not many:
                continue
        rows.append(
            f"| `{key}` | {_kind(body)} | {_default(body)} | {body.get('description', '')} |"
        )
    out.append(f"### {title}\n")
    if schema.get("description") and path:
        out.append(schema["description"] + "\n")
    if rows:
        out.append("| key | takes | default | meaning |\n| --- | --- | --- | --- |")
        out.extend(rows)
        out.append("")
    for full, item in nested:
        _section(out, f"`{full}`", full, item)


def _object_of(body: dict[str, Any]) -> dict[str, Any] | None:
    for candidate in (body, body.get("items") or {}, body.get("additionalProperties") or {}):
        if (
            isinstance(candidate, dict)
            and candidate.get("type") == "object"
            and candidate.get("properties")
        ):
            return candidate
    for option in body.get("anyOf", []):
        found = _object_of(option)
        if found is not None:
            return found
    return None


def _is_list(body: dict[str, Any]) -> bool:
    return body.get("type") == "array" or any(
        o.get("type") == "array" for o in body.get("anyOf", [])
    )


def _is_map(body: dict[str, Any]) -> bool:
    return body.get("type") == "object" and isinstance(body.get("additionalProperties"), dict)


def _kind(body: dict[str, Any]) -> str:
    if "anyOf" in body:
        return " or ".join(_kind(o) for o in body["anyOf"] if o.get("type") != "null") + (
            " or null" if any(o.get("type") == "null" for o in body["anyOf"]) else ""
        )
    kind = body.get("type", "")
    if body.get("enum"):
        return " \\| ".join(f"`{v}`" for v in body["enum"])
    if kind in ("integer", "number"):
        low = body.get("minimum", body.get("exclusiveMinimum"))
        high = body.get("maximum")
        word = "whole number" if kind == "integer" else "number"
        if low is not None and high is not None:
            return f"{word} {low:g} to {high:g}"
        if low is not None:
            return f"{word} from {low:g}"
        return word
    if kind == "array":
        return f"list of {_kind(body.get('items') or {})}"
    if kind == "object":
        return "mapping"
    if kind == "string" and body.get("pattern"):
        return "text (checked)"
    return {"string": "text", "boolean": "true/false"}.get(kind, kind)


def _default(body: dict[str, Any]) -> str:
    if "default" not in body:
        return ""
    value = body["default"]
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return (
            "`[" + ", ".join(str(v) for v in value) + "]`"
            if len(value) < 8
            else "see `config/vidvar.yaml`"
        )
    return f"`{value}`"


def cli_reference() -> str:
    """Every subcommand with its description, usage, options and examples."""
    from vidvar.cli import build_parser

    parser = build_parser()
    out = [f"```\n{parser.format_usage().strip()}\n```\n"]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        out.append(f"### `vidvar {name}`\n")
        out.append((command.description or "").replace("\n", " ") + "\n")
        out.append(f"```\n{command.format_usage().strip()}\n```\n")
        rows = []
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            names = (
                ", ".join(f"`{o}`" for o in action.option_strings)
                or f"`{action.metavar or action.dest}`"
            )
            meaning = (action.help or "").replace("|", "\\|")
            rows.append(f"| {names} | {meaning} |")
        if rows:
            out.append("| argument | meaning |\n| --- | --- |")
            out.extend(rows)
            out.append("")
        if command.epilog and "examples:" in command.epilog:
            examples = command.epilog.split("examples:\n", 1)[1].split("\n\n", 1)[0]
            out.append(f"```sh\n{examples}\n```\n")
    return "\n".join(out)
