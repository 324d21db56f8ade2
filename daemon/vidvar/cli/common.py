"""Helpers the subcommands share: JSON output and short human forms."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def print_json(data: Any) -> None:
    """JSON for scripts on stdout."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def age(ts: float | None) -> str:
    """`5s`, `3m`, `2h`, `4d` since `ts`."""
    if ts is None:
        return "-"
    seconds = max(0, int(time.time() - ts))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def short_path(path: str) -> str:
    """The last component of a path, for tables."""
    return Path(path).name or path


def fail(message: str, *, as_json: bool = False, code: int = 1) -> int:
    """Say what went wrong on stderr (as JSON with --json); returns the exit code."""
    if as_json:
        json.dump({"error": message}, sys.stderr, ensure_ascii=False)
        sys.stderr.write("\n")
    else:
        print(f"vidvar: {message}", file=sys.stderr)
    return code
