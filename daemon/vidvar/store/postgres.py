"""PostgreSQL adapter: several machines share one queue.

Claims are one short transaction with FOR UPDATE SKIP LOCKED (no lock is held
while ffmpeg runs); LISTEN/NOTIFY wakes idle workers at once; a lost connection
is retried with back-off (see sqlstore.retrying), so a short outage neither fails
a job nor kills its ffmpeg.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from vidvar.errors import AlreadyRunning
from vidvar.log import get_logger
from vidvar.store.connections import ThreadConnections
from vidvar.store.queries import latest_version, load_queries
from vidvar.store.sqlstore import Row, Tx, plain_values
from vidvar.store.store import SqlStore

MIGRATION_LOCK = 7_315_001  # pg_advisory_xact_lock key for schema changes
RUN_LOCK = 7_315_002  # pg_try_advisory_lock key held by the one `vidvar run`


class _PgTx(Tx):
    def __init__(self, conn: psycopg.Connection[Any], queries: dict[str, tuple[str, ...]]) -> None:
        self.conn = conn
        self.queries = queries

    def _execute(self, query: str, params: dict[str, Any]) -> Any:
        cursor = None
        params = plain_values(params)
        for statement in self.queries[query]:
            cursor = self.conn.execute(statement, params)
        return cursor

    def all(self, query: str, **params: Any) -> list[Row]:
        cursor = self._execute(query, params)
        return list(cursor.fetchall()) if cursor.description is not None else []

    def run(self, query: str, **params: Any) -> int:
        return int(self._execute(query, params).rowcount)


class PostgresStore(SqlStore):
    """The shared store for several worker machines."""

    dialect = "postgres"

    def __init__(self, url: str, *, outage_seconds: float = 300.0, readonly: bool = False) -> None:
        self.url = url
        self.outage_seconds = outage_seconds
        self.log = get_logger(store="postgres")
        self._queries = load_queries("postgres", "pyformat")
        self._connections: ThreadConnections[psycopg.Connection[Any]] = ThreadConnections(
            lambda: psycopg.connect(self.url, row_factory=dict_row, connect_timeout=10),
            usable=lambda conn: not conn.closed,
        )
        self._closed = threading.Event()
        self._run_lock: psycopg.Connection[Any] | None = None
        if readonly:
            found, wanted = self.schema_version(), latest_version(self.dialect)
            if found < wanted:
                from vidvar.errors import StoreUnavailable

                raise StoreUnavailable(
                    f"the database is from an older vidvar (schema {found}, this release reads "
                    f"{wanted}); start the daemon once to upgrade it"
                )
        else:
            self.migrate()

    def _is_transient(self, exc: Exception) -> bool:
        return isinstance(exc, psycopg.OperationalError)

    @contextmanager
    def _write(self) -> Iterator[Tx]:
        conn = self._connections.get()
        try:
            with conn.transaction():
                yield _PgTx(conn, self._queries)
        except psycopg.OperationalError:
            # The connection is unusable now; the retry opens a fresh one.
            self._connections.drop()
            raise

    _read = _write

    def _run_ddl(self, tx: Tx, statement: str) -> None:
        assert isinstance(tx, _PgTx)
        tx.conn.execute(statement)

    def _lock_for_migration(self, tx: Tx) -> None:
        tx.all("lock_for_migration", key=MIGRATION_LOCK)

    def _notify_enqueued(self, tx: Tx) -> None:
        tx.run("notify_enqueued")

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
                    conn.execute(self._queries["listen"][0])
                    delay = 0.5
                    wake()  # anything queued while nobody listened
                    while not self._closed.is_set():
                        for _note in conn.notifies(timeout=1.0, stop_after=1):
                            wake()
            except psycopg.Error as exc:
                self.log.debug("listen connection lost", error=str(exc).strip())
                self._closed.wait(delay)
                delay = min(delay * 2, 10.0)

    def hold_run_lock(self) -> None:
        """A session advisory lock on a connection held for the store's life; the
        holder is named from the workers table (its `run` worker)."""
        conn = psycopg.connect(self.url, row_factory=dict_row, connect_timeout=10, autocommit=True)
        row = conn.execute(self._queries["try_run_lock"][0], {"key": RUN_LOCK}).fetchone()
        if row and row["locked"]:
            self._run_lock = conn
            return
        conn.close()
        holders = [
            f"{w.host} pid {w.pid}" for w in self.workers() if w.info.get("role") == "run"
        ] or ["unknown"]
        raise AlreadyRunning(
            f"another vidvar run ({', '.join(holders)}) already uses this PostgreSQL database; "
            "stop it first (only one `vidvar run` per store; add `vidvar worker` processes)"
        )

    def close(self) -> None:
        """Close every connection and stop listening."""
        self._closed.set()
        self._closing = True
        self._connections.close_all()
        if self._run_lock is not None:
            self._run_lock.close()  # the session lock goes with it
            self._run_lock = None
