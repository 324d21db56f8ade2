"""PostgreSQL adapter: several machines share one queue.

Claims are one short transaction with FOR UPDATE SKIP LOCKED (no lock is held
while ffmpeg runs); LISTEN/NOTIFY wakes idle workers at once; a lost connection
is retried with back-off (see sqlstore.retrying), so a short outage neither fails
a job nor kills its ffmpeg.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from vidvar.log import get_logger
from vidvar.store.connections import ThreadConnections
from vidvar.store.sqlstore import Row, SqlStore, Tx

CHANNEL = "vidvar_jobs"
MIGRATION_LOCK = 7_315_001  # pg_advisory_xact_lock key for schema changes


class _PgTx(Tx):
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = self.conn.execute(sql.replace("?", "%s"), tuple(params))
        return list(cur.fetchall()) if cur.description is not None else []

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.conn.execute(sql.replace("?", "%s"), tuple(params)).rowcount)


class PostgresStore(SqlStore):
    """The shared store for several worker machines."""

    dialect = "postgres"

    def __init__(self, url: str, *, outage_seconds: float = 300.0) -> None:
        self.url = url
        self.outage_seconds = outage_seconds
        self.log = get_logger(store="postgres")
        self._connections: ThreadConnections[psycopg.Connection[Any]] = ThreadConnections(
            lambda: psycopg.connect(self.url, row_factory=dict_row, connect_timeout=10),
            usable=lambda conn: not conn.closed,
        )
        self._closed = threading.Event()
        self.migrate()

    def _is_transient(self, exc: Exception) -> bool:
        return isinstance(exc, psycopg.OperationalError)

    @contextmanager
    def _write(self) -> Iterator[Tx]:
        conn = self._connections.get()
        try:
            with conn.transaction():
                yield _PgTx(conn)
        except psycopg.OperationalError:
            # The connection is unusable now; the retry opens a fresh one.
            self._connections.drop()
            raise

    _read = _write

    def _claim_sql(self) -> str:
        return (
            "UPDATE jobs SET state = 'processing', worker_id = ?, lease_token = ?,"
            " started_at = COALESCE(started_at, ?), updated_at = ?, error = NULL"
            " WHERE id = (SELECT id FROM jobs WHERE state = 'queued'"
            " ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"
        )

    def _lock_for_migration(self, tx: Tx) -> None:
        tx.all("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))

    def _notify_enqueued(self, tx: Tx) -> None:
        tx.run(f"NOTIFY {CHANNEL}")

    def listen(self, wake: Callable[[], None]) -> None:
        """A thread that calls `wake` on every NOTIFY; it reconnects after outages."""
        threading.Thread(
            target=self._listen_loop, args=(wake,), daemon=True, name="pg-listen"
        ).start()

    def _listen_loop(self, wake: Callable[[], None]) -> None:
        delay = 0.5
        while not self._closed.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    delay = 0.5
                    wake()  # anything queued while nobody listened
                    while not self._closed.is_set():
                        for _note in conn.notifies(timeout=1.0, stop_after=1):
                            wake()
            except psycopg.Error as exc:
                self.log.debug("listen connection lost", error=str(exc).strip())
                self._closed.wait(delay)
                delay = min(delay * 2, 10.0)

    def close(self) -> None:
        """Close every connection and stop listening."""
        self._closed.set()
        self._closing = True
        self._connections.close_all()
