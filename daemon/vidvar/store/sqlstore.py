"""What both SQL adapters share: transactions over named queries, retries, rows → models.

Adapters (sqlite, postgres) supply connections and transactions; the concerns
(jobs, claims, workers, admin) are mixins over this core, each speaking only
through named queries (store.queries).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from enum import Enum
from typing import Any, TypeVar

from vidvar.errors import StoreUnavailable
from vidvar.log import get_logger
from vidvar.store.models import FileRecord, Job, OutputRecord

Row = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])
_log = get_logger(component="store")


class Tx(ABC):
    """One open transaction: runs named queries with named parameters."""

    @abstractmethod
    def all(self, query: str, **params: Any) -> list[Row]:
        """Rows of the (last statement of the) named query, as dicts."""

    @abstractmethod
    def run(self, query: str, **params: Any) -> int:
        """Execute the named query; the number of rows its last statement changed."""

    def one(self, query: str, **params: Any) -> Row | None:
        """The first row, or None."""
        rows = self.all(query, **params)
        return rows[0] if rows else None


def retrying(method: F) -> F:
    """Re-run a store method (one transaction) while the adapter calls the error transient.

    Every method is safe to repeat: enqueue has a unique key, fenced writes check
    the claim, outputs are keyed by variation, and a claim whose reply was lost is
    given back by the same worker's next claim.
    """

    @functools.wraps(method)
    def wrapper(self: StoreCore, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.outage_seconds
        delay = 0.2
        failures = 0
        while True:
            try:
                result = method(self, *args, **kwargs)
            except Exception as exc:
                if not self._is_transient(exc):
                    raise
                failures += 1
                if time.monotonic() > deadline or self._closing:
                    raise StoreUnavailable(self._unavailable_message(exc), str(exc)) from exc
                if failures == 1:
                    _log.warning("database busy or unreachable; retrying", error=str(exc).strip())
                time.sleep(delay + random.uniform(0, delay / 2))
                delay = min(delay * 2, 5.0)
                continue
            if failures:
                _log.info("database answers again", retries=failures)
            return result

    return wrapper  # type: ignore[return-value]


def plain_values(params: dict[str, Any]) -> dict[str, Any]:
    """Enum members (states, phases) as their string values: a driver may adapt an
    enum by its name instead."""
    return {k: v.value if isinstance(v, Enum) else v for k, v in params.items()}


# -- paths that are not valid UTF-8 ---------------------------------------------------


def encode_path(path: str) -> str:
    """A path as database text: itself when it is valid UTF-8, else `b64:` and its
    bytes in base64 (absolute paths start with `/`, so the prefix is unambiguous)."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        raw = os.fsencode(path)
        return "b64:" + base64.b64encode(raw).decode("ascii")


def decode_path(text: str | None) -> str | None:
    """The path a database text stands for (see encode_path)."""
    if text is None or not text.startswith("b64:"):
        return text
    return os.fsdecode(base64.b64decode(text[4:]))


def display(name: str) -> str:
    """A name that can be shown and stored anywhere: bytes that are not UTF-8 as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# -- rows → models -------------------------------------------------------------


def _json(raw: Any) -> Any:
    return json.loads(raw) if raw else None


def job_from(row: Mapping[str, Any]) -> Job:
    """A Job from a `jobs` row."""
    return Job(
        id=row["id"],
        watch=row["watch"],
        source_path=decode_path(row["source_path"]) or "",
        source_key=row["source_key"],
        kind=row["kind"],
        origin=row["origin"],
        job_dir=row["job_dir"],
        variations=row["variations"],
        profile=row["profile"],
        encoder=row["encoder"],
        state=row["state"],
        progress=row["progress"],
        attempts=row["attempts"],
        error=row["error"],
        cancel_requested=bool(row["cancel_requested"]),
        worker_id=row["worker_id"],
        lease_token=row["lease_token"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        updated_at=row["updated_at"],
        phase=row.get("phase"),
        waiting_reason=row.get("waiting_reason"),
        not_before=row.get("not_before"),
        purged_at=row.get("purged_at"),
        problem=row.get("problem"),
        placement=_json(row.get("placement")),
    )


def file_from(row: Mapping[str, Any], outputs: tuple[OutputRecord, ...] = ()) -> FileRecord:
    """A FileRecord from a `files` row (and its outputs)."""
    return FileRecord(
        id=row["id"],
        job_id=row["job_id"],
        position=row["position"],
        source_path=decode_path(row["source_path"]) or "",
        name=row["name"],
        state=row["state"],
        progress=row["progress"],
        duration=row["duration"],
        completed_variations=row["completed_variations"],
        error=row["error"],
        attempts=row["attempts"],
        ffmpeg_pid=row["ffmpeg_pid"],
        ffmpeg_started_at=row["ffmpeg_started_at"],
        disposed_to=decode_path(row["disposed_to"]),
        warning=row["warning"],
        figures=_json(row["figures"]),
        outputs=outputs,
        stem=row.get("stem"),
        source_identity=row.get("source_identity"),
        source_sig=row.get("source_sig"),
        speed=row.get("speed"),
        eta_seconds=row.get("eta_seconds"),
        disposal=row.get("disposal"),
        disposed_at=row.get("disposed_at"),
        changes=row.get("changes") or 0,
    )


def output_from(row: Mapping[str, Any]) -> OutputRecord:
    """An OutputRecord from an `outputs` row."""
    return OutputRecord(
        variation=row["variation"],
        path=row["path"],
        size=row["size"],
        effects=json.loads(row["effects"]),
        seed=row["seed"],
        figures=_json(row["figures"]),
        verdict=row.get("verdict"),
        format=row.get("format") or "source",
        placement=_json(row.get("placement")),
    )


class StoreCore(ABC):
    """Transactions, retries and the schema; the concerns are mixins over this."""

    dialect: str = ""
    outage_seconds: float = 0.0  # how long transient errors are retried
    _closing: bool = False

    def _is_transient(self, exc: Exception) -> bool:
        """True for errors worth a retry (a lost server connection, a lock held)."""
        return False

    def _unavailable_message(self, exc: Exception) -> str:
        return "the database is unreachable"

    @abstractmethod
    def _write(self) -> AbstractContextManager[Tx]:
        """A write transaction that serialises with other writers."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Tx]:
        """A read-only snapshot."""

    def close(self) -> None:  # noqa: B027 - adapters without connections to drop
        """Release connections."""

    def _lock_for_migration(self, tx: Tx) -> None:  # noqa: B027 - SQLite's write lock suffices
        """Serialise migrations of processes starting together."""

    def listen(self, wake: Callable[[], None]) -> None:  # noqa: B027 - SQLite has no NOTIFY
        """Call `wake` when another process enqueues (PostgreSQL LISTEN); polling otherwise."""

    def _notify_enqueued(self, tx: Tx) -> None:  # noqa: B027 - only PostgreSQL notifies
        """Wake idle workers elsewhere (PostgreSQL NOTIFY); nothing by default."""

    def check(self) -> None:  # noqa: B027 - only a database file can be swapped under us
        """Raise StoreCorrupt when the database is no longer the one opened."""

    @abstractmethod
    def _run_ddl(self, tx: Tx, statement: str) -> None:
        """Run one migration statement."""

    def migrate(self) -> int:
        """Apply pending migrations; return the schema version now in force."""
        from vidvar.store.queries import load_migrations

        with self._write() as tx:
            self._lock_for_migration(tx)
            tx.run("create_migrations_table")
            row = tx.one("schema_version")
            current = int(row["v"]) if row and row["v"] is not None else 0
            for version, statements in load_migrations(self.dialect):
                if version <= current:
                    continue
                for statement in statements:
                    self._run_ddl(tx, statement)
                tx.run("record_migration", version=version, now=time.time())
                current = version
        return current

    def schema_version(self) -> int:
        """The schema version in force (0 for an empty database)."""
        with self._read() as tx:
            try:
                row = tx.one("schema_version")
            except Exception:  # no schema_migrations table yet
                return 0
        return int(row["v"]) if row and row["v"] is not None else 0
