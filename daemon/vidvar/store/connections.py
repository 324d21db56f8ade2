"""One database connection per thread, closed together: the watcher threads enqueue
while the worker writes, and DB-API connections are not shared across threads."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

C = TypeVar("C")


class ThreadConnections(Generic[C]):
    """Hands each thread its own connection, opening it on first use."""

    def __init__(self, connect: Callable[[], C], usable: Callable[[C], bool] | None = None) -> None:
        self._connect = connect
        self._usable = usable or (lambda _conn: True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[C] = []

    def get(self) -> C:
        """This thread's connection, (re)opened when missing or no longer usable."""
        conn: C | None = getattr(self._local, "conn", None)
        if conn is None or not self._usable(conn):
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def drop(self) -> None:
        """Close and forget this thread's connection (it broke); the next get() reopens."""
        conn: Any = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close_all(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(Exception):
                    conn.close()  # type: ignore[attr-defined]
            self._all.clear()
        self._local = threading.local()
