"""Named queries and migrations shipped as .sql files.

`sql/queries.sql` holds blocks headed `-- name: <name>`, shared by both
adapters; `sql/<dialect>/queries.sql` replaces blocks of the same name.
Parameters are written `:name`. SQLite binds them as they are; for psycopg
they are rewritten once, at load time, to `%(name)s` by a scanner that knows
string literals, quoted names, comments and `::` casts, and doubles every
literal `%`. Migrations are `sql/<dialect>/NNN_description.sql`.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def _read(*parts: str) -> str:
    return resources.files("vidvar.store").joinpath("sql", *parts).read_text(encoding="utf-8")


def parse_blocks(text: str) -> dict[str, str]:
    """`-- name:` blocks of a file → {name: sql}; text before the first block is ignored."""
    blocks: dict[str, str] = {}
    matches = list(_HEADER.finditer(text))
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
        name = match.group(1)
        if name in blocks:
            raise ValueError(f"query {name!r} is defined twice")
        blocks[name] = text[match.end() : end].strip()
    return blocks


def _scan(sql: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: 'quoted' (literals, quoted names), 'comment', 'param',
    'semicolon' or 'text'."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "$":
            match = re.match(r"\$[A-Za-z_]*\$", sql[i:])
            if match:  # PostgreSQL's $tag$ … $tag$ (function bodies)
                tag = match.group(0)
                end = sql.find(tag, i + len(tag))
                end = n if end < 0 else end + len(tag)
                tokens.append(("quoted", sql[i:end]))
                i = end
                continue
            tokens.append(("text", ch))
            i += 1
        elif ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # '' or "" escapes the quote
                        end += 2
                        continue
                    break
                end += 1
            tokens.append(("quoted", sql[i : end + 1]))
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            tokens.append(("comment", sql[i:end]))
            i = end
        elif sql.startswith("::", i):
            tokens.append(("text", "::"))
            i += 2
        elif ch == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", sql[i + 1 :])
            assert match is not None
            tokens.append(("param", match.group(0)))
            i += 1 + len(match.group(0))
        elif ch == ";":
            tokens.append(("semicolon", ";"))
            i += 1
        else:
            tokens.append(("text", ch))
            i += 1
    return tokens


def _inside_trigger(statement: str) -> bool:
    """True within SQLite's CREATE TRIGGER … BEGIN … END, whose body has semicolons."""
    words = statement.upper().split()
    return words[:2] == ["CREATE", "TRIGGER"] and "BEGIN" in words and words[-1] != "END"


def statements(sql: str, style: str) -> list[str]:
    """The statements of one block, comments dropped, parameters in `style`:
    'named' (`:name`, SQLite) or 'pyformat' (`%(name)s`, psycopg)."""
    result: list[str] = []
    current: list[str] = []
    for kind, text in _scan(sql):
        if kind == "semicolon" and not _inside_trigger("".join(current)):
            result.append("".join(current).strip())
            current = []
        elif kind == "semicolon":
            current.append(text)
        elif kind == "comment":
            continue
        elif kind == "param":
            current.append(f":{text}" if style == "named" else f"%({text})s")
        elif kind == "text" and style == "pyformat":
            current.append(text.replace("%", "%%"))
        else:
            current.append(text)
    result.append("".join(current).strip())
    return [s for s in result if s]


@cache
def load_queries(dialect: str, style: str) -> dict[str, tuple[str, ...]]:
    """Every named query for `dialect`, as statements ready for its driver."""
    blocks = parse_blocks(_read("queries.sql"))
    blocks.update(parse_blocks(_read(dialect, "queries.sql")))
    return {name: tuple(statements(sql, style)) for name, sql in blocks.items()}


def load_migrations(dialect: str) -> list[tuple[int, list[str]]]:
    """(version, statements) of every migration shipped for `dialect`, in order."""
    folder = resources.files("vidvar.store").joinpath("sql", dialect)
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            sql = entry.read_text(encoding="utf-8")
            found.append((int(match.group(1)), statements(sql, "named")))
    return sorted(found)


def latest_version(dialect: str) -> int:
    """The schema version this release expects."""
    return max(version for version, _sql in load_migrations(dialect))
