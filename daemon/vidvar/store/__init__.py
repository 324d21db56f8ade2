"""Job stores: open_store() picks the adapter from the database setting.

- `base`: the protocol callers use; `models`: what it returns
- `queries` and `sql/`: named queries and migrations (the only SQL there is)
- `sqlstore` (the core), `jobs`, `claims`, `workers`, `admin`: the concerns
- `sqlite`, `postgres`: the adapters
"""

from __future__ import annotations

from vidvar.errors import LostClaim, StoreCorrupt, StoreUnavailable
from vidvar.store.base import JobStore
from vidvar.store.models import (
    VERDICTS,
    Claim,
    FileRecord,
    Job,
    JobChange,
    JobSearch,
    NewFile,
    NewJob,
    OutputRecord,
    Pause,
    Phase,
    Recovered,
    Settling,
    State,
    WorkerRecord,
    new_job_id,
)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(database: str, *, readonly: bool = False) -> JobStore:
    """An SQLite store for a path, a PostgreSQL store for postgresql://…, migrated.

    `readonly` never creates the database or changes its schema (for status and
    health); StoreUnavailable says why when there is nothing to read yet.
    """
    if database.startswith(POSTGRES_SCHEMES):
        try:
            import psycopg
        except ImportError:
            raise StoreUnavailable(
                "the database is PostgreSQL but psycopg is not installed: "
                "pip install 'vidvar[postgres]'"
            ) from None
        from vidvar.store.postgres import PostgresStore

        try:
            store: JobStore = PostgresStore(database, readonly=readonly)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable("cannot connect to PostgreSQL", str(exc).strip()) from exc
        return store
    from vidvar.store.sqlite import SqliteStore

    return SqliteStore(database, readonly=readonly)


__all__ = [
    "VERDICTS",
    "Claim",
    "FileRecord",
    "Job",
    "JobChange",
    "JobSearch",
    "JobStore",
    "LostClaim",
    "NewFile",
    "NewJob",
    "OutputRecord",
    "Pause",
    "Phase",
    "Recovered",
    "Settling",
    "State",
    "StoreCorrupt",
    "StoreUnavailable",
    "WorkerRecord",
    "new_job_id",
    "open_store",
]
