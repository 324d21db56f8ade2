"""Where each key of a YAML document stands (line and column), so that a config error
can point at it as `file:line:column`, the way editors and compilers do."""

from __future__ import annotations

import re

import yaml

from vidvar.errors import ConfigError, ConfigErrors

Positions = dict[str, tuple[int, int]]
_LAST_STEP = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def key_positions(text: str) -> Positions:
    """`watch[0].variations` → (line, column), 1-based, for every key and list item of
    `text`; empty when the text is not YAML (its own error says where)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    positions: Positions = {}
    stack: list[tuple[yaml.Node | None, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = f"{path}.{key_node.value}" if path else str(key_node.value)
                    positions.setdefault(key, _mark(key_node))
                    stack.append((value, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                positions.setdefault(f"{path}[{i}]", _mark(item))
                stack.append((item, f"{path}[{i}]"))
    return positions


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def locate(error: ConfigError, positions: Positions) -> ConfigError:
    """`error` with the line and column of its key (or of the nearest enclosing key)."""
    if isinstance(error, ConfigErrors):
        located = [locate(e, positions) for e in error.errors]
        return ConfigErrors(sorted(located, key=lambda e: (e.line, e.column)))
    key = error.key
    while key:
        # `watch:` may be one mapping, which is read as the list's first item.
        for candidate in (key, key.replace("[0]", "")):
            if candidate in positions:
                return error.at(*positions[candidate])
        parent = _LAST_STEP.sub("", key)
        key = parent if parent != key else ""  # a top-level key the file does not hold
    return error
