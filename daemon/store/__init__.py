"""Job stores: open_store() picks the adapter from the database setting."""

from __future__ import annotations

from daemon.store.base import JobStore
from daemon.store.models import (
    Claim,
    FileRecord,
    Job,
    LostClaim,
    NewFile,
    NewJob,
    OutputRecord,
    Recovered,
    WorkerRecord,
)


class StoreUnavailable(Exception):
    """The store cannot be opened (missing driver, unreachable server)."""


def open_store(database: str) -> JobStore:
    """An SQLite store for a path, a PostgreSQL store for postgresql://…; migrated."""
    if database.startswith(("postgresql://", "postgres://")):
        try:
            from daemon.store.postgres import PostgresStore  # type: ignore[import-not-found]
        except ImportError as exc:  # psycopg is an optional extra
            raise StoreUnavailable(
                "PostgreSQL support needs psycopg: pip install 'vidvar[postgres]'"
            ) from exc
        store: JobStore = PostgresStore(database)
        return store
    from daemon.store.sqlite import SqliteStore

    return SqliteStore(database)


__all__ = [
    "Claim",
    "FileRecord",
    "Job",
    "JobStore",
    "LostClaim",
    "NewFile",
    "NewJob",
    "OutputRecord",
    "Recovered",
    "StoreUnavailable",
    "WorkerRecord",
    "open_store",
]
