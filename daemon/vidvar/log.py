"""structlog set-up: a console renderer on a terminal, JSON lines otherwise.

Under journald (stderr is the stream $JOURNAL_STREAM names) every line starts
with its syslog priority, `<3>` for errors, `<4>` warnings, `<6>` info, `<7>`
debug, so `journalctl -p warning` shows what matters. NO_COLOR turns colours off.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
_PRIORITIES = {"debug": 7, "info": 6, "warning": 4, "error": 3, "exception": 3, "critical": 2}


def under_journald(stream: Any = None) -> bool:
    """True when `stream` (stderr) is connected to journald ($JOURNAL_STREAM)."""
    stream = stream or sys.stderr
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{st.st_dev}:{st.st_ino}"


class _Priority:
    """Wraps the renderer: `<N>` + the rendered line, N the level's syslog priority."""

    def __init__(self, renderer: Any) -> None:
        self.renderer = renderer

    def __call__(self, logger: Any, method: str, event: dict[str, Any]) -> str:
        level = str(event.get("level", method))
        return f"<{_PRIORITIES.get(level, 6)}>{self.renderer(logger, method, event)}"


def setup_logging(level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog for the process; `fmt` is auto, json or console."""
    tty = sys.stderr.isatty()
    use_console = fmt == "console" or (fmt == "auto" and tty)
    colors = tty and not os.environ.get("NO_COLOR")
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=colors)
        if use_console
        else structlog.processors.JSONRenderer()
    )
    if under_journald():
        renderer = _Priority(renderer)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
        # Logs go to stderr so stdout stays clean for `status --json`; under systemd
        # journald captures both.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(**bindings: Any) -> Any:
    """A bound logger; pass job_id/file_id so every line carries them."""
    return structlog.get_logger("vidvar").bind(**bindings)
