"""Reading a YAML file for config: strict (a key given twice is an error), optionally
without aliases and with a size limit (for files anyone can drop), and its mistakes
said in plain words with their line and column."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from vidvar.errors import ConfigError, brief


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
