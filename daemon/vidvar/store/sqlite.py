"""SQLite adapter: WAL, a busy timeout, writes inside BEGIN IMMEDIATE."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vidvar.errors import AlreadyRunning, StoreCorrupt, StoreUnavailable
from vidvar.store.connections import ThreadConnections
from vidvar.store.queries import latest_version, load_queries
from vidvar.store.sqlstore import Row, Tx, plain_values
from vidvar.store.store import SqlStore

BUSY_TIMEOUT_MS = 30_000
MEMORY = ":memory:"
# PRAGMA application_id of a vidvar database ("vdvr"): a foreign SQLite file is refused.
APPLICATION_ID = 0x76647672
_DAMAGED_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


class _SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection, queries: dict[str, tuple[str, ...]]) -> None:
        self.conn = conn
        self.queries = queries

    def _execute(self, query: str, params: dict[str, Any]) -> sqlite3.Cursor:
        cursor = None
        params = plain_values(params)
        for statement in self.queries[query]:
            cursor = self.conn.execute(statement, params)
        assert cursor is not None
        return cursor

    def all(self, query: str, **params: Any) -> list[Row]:
        cursor = self._execute(query, params)
        if cursor.description is None:
            return []
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def run(self, query: str, **params: Any) -> int:
        return self._execute(query, params).rowcount


class SqliteStore(SqlStore):
    """The embedded default: one file on local disk, shared by local processes.

    `readonly` opens an existing database for reading only: it never creates the
    file nor changes its schema (status, health).
    """

    dialect = "sqlite"
    outage_seconds = 300.0  # a lock held by another process: retried, never a job failure

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._queries = load_queries("sqlite", "named")
        # ":memory:": one database in memory shared by this process's threads, for fast
        # engine tests; a keeper connection holds it for the store's life.
        self.memory = str(path) == MEMORY
        self._uri = f"file:vidvar-{id(self)}?mode=memory&cache=shared" if self.memory else ""
        self._keeper = sqlite3.connect(self._uri, uri=True) if self.memory else None
        if readonly and not self.memory and not self.path.exists():
            raise StoreUnavailable(
                f"no database at {self.path} yet: the daemon creates it when it first starts"
            )
        if not readonly and not self.memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self._open)
        self.damage: str | None = None  # set when a statement finds the file damaged
        self._run_lock: int | None = None
        try:
            self._check_file()
            if readonly:
                self._check_version()
            else:
                self.migrate()
                self._connections.get().execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except StoreCorrupt:
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise StoreUnavailable(f"the database {self.path} is locked", str(exc)) from exc
            raise StoreCorrupt(self._damaged(exc), str(exc)) from exc
        st = None if self.memory else os.stat(self.path)
        self._identity = (st.st_dev, st.st_ino) if st else (0, 0)

    def _damaged(self, exc: Exception | str) -> str:
        return (
            f"the database {self.path} cannot be read ({exc}): it is damaged or not a vidvar "
            f"database. Stop vidvar, move it aside (mv {self.path} {self.path}.damaged) and "
            "start vidvar again: it starts a new database and queues again the files still "
            "in the inbox. Or restore a backup"
        )

    def _check_file(self) -> None:
        """StoreCorrupt for a damaged file (PRAGMA quick_check) or a foreign one (an
        SQLite file with other tables and without vidvar's application_id)."""
        conn = self._connections.get()
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
        if problems != ["ok"]:
            raise StoreCorrupt(self._damaged("; ".join(problems)[:300]))
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        if app_id == APPLICATION_ID:
            return
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if tables and not {"schema_migrations", "jobs"} <= tables:
            shown = ", ".join(sorted(tables)[:5])
            raise StoreCorrupt(
                f"the database {self.path} is not a vidvar database (it holds other tables: "
                f"{shown}); point `database:` at a new file, vidvar creates it"
            )

    def _convert(self, exc: sqlite3.DatabaseError) -> None:
        """A statement that finds the file damaged: remembered (check() then stops the
        daemon with one plain sentence) and raised as StoreCorrupt."""
        if getattr(exc, "sqlite_errorcode", None) in _DAMAGED_CODES:
            self.damage = self._damaged(exc)
            raise StoreCorrupt(self.damage, str(exc)) from exc

    def _check_version(self) -> None:
        found, wanted = self.schema_version(), latest_version(self.dialect)
        if found < wanted:
            raise StoreUnavailable(
                f"the database {self.path} is from an older vidvar (schema {found}, this release "
                f"reads {wanted}); start the daemon once to upgrade it"
            )

    def _open(self) -> sqlite3.Connection:
        if self.memory:
            target = self._uri
        else:
            target = f"file:{self.path}?mode=ro" if self.readonly else str(self.path)
        conn = sqlite3.connect(
            target,
            uri=self.readonly or self.memory,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not self.readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable across application crashes in WAL mode; a power cut can
            # lose the last commits but never corrupts the file.
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _is_transient(self, exc: Exception) -> bool:
        # Another process held the write lock past busy_timeout: wait more, the caller's
        # work is fine. Anything else (a damaged file) is not worth a retry.
        return isinstance(exc, sqlite3.OperationalError) and (
            "locked" in str(exc) or "busy" in str(exc)
        )

    def _unavailable_message(self, exc: Exception) -> str:
        return f"the database {self.path} stayed locked by another process"

    @contextmanager
    def _write(self) -> Iterator[Tx]:
        conn = self._connections.get()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(conn, self._queries)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._convert(exc)
            raise

    @contextmanager
    def _read(self) -> Iterator[Tx]:
        conn = self._connections.get()
        try:
            conn.execute("BEGIN")
            try:
                yield _SqliteTx(conn, self._queries)
            finally:
                conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._convert(exc)
            raise

    def _run_ddl(self, tx: Tx, statement: str) -> None:
        assert isinstance(tx, _SqliteTx)
        tx.conn.execute(statement)

    def check(self) -> None:
        """StoreCorrupt when the database file was deleted or replaced since it was opened:
        writes would go to a file nobody else sees; or when a statement found it damaged."""
        if self.damage:
            raise StoreCorrupt(self.damage)
        if self.memory:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StoreCorrupt(
                f"the database {self.path} was deleted while vidvar was running"
            ) from None
        if (st.st_dev, st.st_ino) != self._identity:
            raise StoreCorrupt(f"the database {self.path} was replaced while vidvar was running")

    def hold_run_lock(self) -> None:
        """An exclusive flock on `<database>.lock`, which holds the running pid."""
        if self.memory:
            return
        path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(
                f"another vidvar run (pid {holder}) already uses the database {self.path}; "
                "stop it first (only one `vidvar run` per store; add workers with "
                "`vidvar worker` on PostgreSQL)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._run_lock = fd

    def close(self) -> None:
        """Close every thread's connection (an in-memory database is then gone)."""
        self._connections.close_all()
        if self._run_lock is not None:
            os.close(self._run_lock)  # the flock goes with it
            self._run_lock = None
        if self._keeper is not None:
            self._keeper.close()
