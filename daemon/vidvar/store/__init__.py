"""Job stores: open_store() picks the adapter from the database setting."""

from __future__ import annotations

from vidvar.store.base import JobStore
from vidvar.store.models import (
    Claim,
    FileRecord,
    Job,
    LostClaim,
    NewFile,
    NewJob,
    OutputRecord,
    Recovered,
    StoreUnavailable,
    WorkerRecord,
)


def open_store(database: str) -> JobStore:
    """An SQLite store for a path, a PostgreSQL store for postgresql://…; migrated."""
    if database.startswith(("postgresql://", "postgres://")):
        import psycopg

        from vidvar.store.postgres import PostgresStore

        try:
            store: JobStore = PostgresStore(database)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {exc}".strip()) from exc
        return store
    from vidvar.store.sqlite import SqliteStore

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
