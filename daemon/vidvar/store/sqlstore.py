"""Store logic shared by the SQLite and PostgreSQL adapters.

SQL here is written once with `?` placeholders; each adapter supplies
connections, transactions and the few statements whose dialects differ.
"""

from __future__ import annotations

import functools
import json
import random
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from importlib import resources
from typing import Any, TypeVar

from vidvar.log import get_logger
from vidvar.store.models import (
    TERMINAL_STATES,
    Claim,
    FileRecord,
    Job,
    LostClaim,
    NewJob,
    OutputRecord,
    Recovered,
    StoreUnavailable,
    WorkerRecord,
)

Row = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])
_log = get_logger(component="store")

_JOB_COLUMNS = (
    "id, watch, source_path, source_key, kind, origin, job_dir, variations, profile, encoder, "
    "state, progress, attempts, error, cancel_requested, worker_id, lease_token, created_at, "
    "started_at, finished_at, updated_at"
)
_FILE_COLUMNS = (
    "id, job_id, position, source_path, name, state, progress, duration, completed_variations, "
    "error, warning, attempts, ffmpeg_pid, ffmpeg_started_at, disposed_to, figures"
)


class Tx(ABC):
    """One open transaction or read."""

    @abstractmethod
    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows as dicts."""

    @abstractmethod
    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute; return the number of rows changed."""

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row, or None."""
        rows = self.all(sql, params)
        return rows[0] if rows else None


def retrying(method: F) -> F:
    """Re-run a store method (one transaction) while the adapter calls the error transient.

    Every method is safe to repeat: enqueue has a unique key, fenced writes check
    the claim, outputs are keyed by variation, and a claim whose reply was lost is
    given back by the same worker's next claim.
    """

    @functools.wraps(method)
    def wrapper(self: SqlStore, *args: Any, **kwargs: Any) -> Any:
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
                    raise StoreUnavailable(f"the database is unreachable: {exc}") from exc
                if failures == 1:
                    _log.warning("database unreachable; retrying", error=str(exc).strip())
                time.sleep(delay + random.uniform(0, delay / 2))
                delay = min(delay * 2, 5.0)
                continue
            if failures:
                _log.info("database reachable again", retries=failures)
            return result

    return wrapper  # type: ignore[return-value]


def _job(row: Row) -> Job:
    return Job(
        id=row["id"],
        watch=row["watch"],
        source_path=row["source_path"],
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
    )


def _file(row: Row, outputs: tuple[OutputRecord, ...] = ()) -> FileRecord:
    return FileRecord(
        id=row["id"],
        job_id=row["job_id"],
        position=row["position"],
        source_path=row["source_path"],
        name=row["name"],
        state=row["state"],
        progress=row["progress"],
        duration=row["duration"],
        completed_variations=row["completed_variations"],
        error=row["error"],
        warning=row["warning"],
        attempts=row["attempts"],
        ffmpeg_pid=row["ffmpeg_pid"],
        ffmpeg_started_at=row["ffmpeg_started_at"],
        disposed_to=row["disposed_to"],
        figures=json.loads(row["figures"]) if row["figures"] else None,
        outputs=outputs,
    )


def new_job_id() -> str:
    """Short random ids: easy to type as a prefix, unique enough across machines."""
    return secrets.token_hex(6)


def load_migrations(dialect: str) -> list[tuple[int, str]]:
    """(version, sql) pairs shipped in vidvar/store/sql/<dialect>/NNN_name.sql, in order."""
    folder = resources.files("vidvar.store").joinpath("sql", dialect)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


class SqlStore(ABC):
    """The job store over a DB-API connection; see vidvar.store.base.JobStore."""

    dialect: str = ""
    outage_seconds: float = 0.0  # how long transient errors are retried
    _closing: bool = False

    def _is_transient(self, exc: Exception) -> bool:
        """True for errors worth a retry (a lost server connection)."""
        return False

    # -- what adapters provide ------------------------------------------------

    @abstractmethod
    def _write(self) -> AbstractContextManager[Tx]:
        """A write transaction that serialises with other writers."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Tx]:
        """A read-only snapshot."""

    @abstractmethod
    def _claim_sql(self) -> str:
        """UPDATE … RETURNING id that takes the oldest queued job for (worker, token, now, now)."""

    def close(self) -> None:  # noqa: B027 - adapters without connections to drop
        """Release connections."""

    def _lock_for_migration(self, tx: Tx) -> None:  # noqa: B027 - SQLite's write lock suffices
        """Serialise migrations of processes starting together."""

    def listen(self, wake: Callable[[], None]) -> None:  # noqa: B027 - SQLite has no NOTIFY
        """Call `wake` when another process enqueues (PostgreSQL LISTEN); polling otherwise."""

    def _notify_enqueued(self, tx: Tx) -> None:  # noqa: B027 - only PostgreSQL notifies
        """Wake idle workers elsewhere (PostgreSQL NOTIFY); nothing by default."""

    # -- schema -----------------------------------------------------------------

    def migrate(self) -> int:
        """Apply pending migrations; return the schema version now in force."""
        with self._write() as tx:
            self._lock_for_migration(tx)
            tx.run(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            )
            row = tx.one("SELECT MAX(version) AS v FROM schema_migrations")
            current = int(row["v"]) if row and row["v"] is not None else 0
            for version, sql in load_migrations(self.dialect):
                if version <= current:
                    continue
                for statement in _split_sql(sql):
                    tx.run(statement)
                tx.run(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, time.time()),
                )
                current = version
        return current

    # -- enqueue and read -------------------------------------------------------

    @retrying
    def enqueue(self, new: NewJob) -> tuple[Job, bool]:
        """Queue a job; the same source_key returns the existing job and False."""
        now = time.time()
        job_id = new_job_id()
        with self._write() as tx:
            # A unique constraint, not check-then-insert: two racing enqueuers make one job.
            inserted = tx.run(
                "INSERT INTO jobs (id, watch, source_path, source_key, kind, origin, job_dir,"
                " variations, profile, encoder, state, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)"
                " ON CONFLICT (source_key) DO NOTHING",
                (
                    job_id,
                    new.watch,
                    new.source_path,
                    new.source_key,
                    new.kind,
                    new.origin,
                    new.job_dir.replace("{id}", job_id),
                    new.variations,
                    new.profile,
                    new.encoder,
                    now,
                    now,
                ),
            )
            if inserted:
                for position, item in enumerate(new.files):
                    tx.run(
                        "INSERT INTO files (job_id, position, source_path, name)"
                        " VALUES (?, ?, ?, ?)",
                        (job_id, position, item.path, item.name),
                    )
                self._notify_enqueued(tx)
            row = tx.one(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE source_key = ?", (new.source_key,))
        assert row is not None
        return _job(row), bool(inserted)

    @retrying
    def get_job(self, job_ref: str) -> Job | None:
        """A job by id or unique id prefix (None when unknown or ambiguous)."""
        with self._read() as tx:
            row = tx.one(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_ref,))
            if row is None and job_ref:
                rows = tx.all(
                    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE substr(id, 1, ?) = ? LIMIT 2",
                    (len(job_ref), job_ref),
                )
                row = rows[0] if len(rows) == 1 else None
        return _job(row) if row else None

    @retrying
    def list_jobs(self, *, limit: int = 50, states: Sequence[str] | None = None) -> list[Job]:
        """Newest jobs first."""
        with self._read() as tx:
            if states:
                marks = ", ".join("?" for _ in states)
                rows = tx.all(
                    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state IN ({marks})"
                    " ORDER BY created_at DESC LIMIT ?",
                    (*states, limit),
                )
            else:
                rows = tx.all(
                    f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,)
                )
        return [_job(r) for r in rows]

    @retrying
    def files(self, job_id: str, *, with_outputs: bool = True) -> list[FileRecord]:
        """The files of a job in order, with their outputs."""
        with self._read() as tx:
            rows = tx.all(
                f"SELECT {_FILE_COLUMNS} FROM files WHERE job_id = ? ORDER BY position", (job_id,)
            )
            outs: dict[int, list[OutputRecord]] = {}
            if with_outputs and rows:
                for o in tx.all(
                    "SELECT o.file_id, o.variation, o.path, o.size, o.effects, o.seed, o.figures"
                    " FROM outputs o JOIN files f ON f.id = o.file_id"
                    " WHERE f.job_id = ? ORDER BY o.file_id, o.variation",
                    (job_id,),
                ):
                    outs.setdefault(o["file_id"], []).append(
                        OutputRecord(
                            variation=o["variation"],
                            path=o["path"],
                            size=o["size"],
                            effects=json.loads(o["effects"]),
                            seed=o["seed"],
                            figures=json.loads(o["figures"]) if o["figures"] else None,
                        )
                    )
        return [_file(r, tuple(outs.get(r["id"], ()))) for r in rows]

    @retrying
    def counts(self) -> dict[str, int]:
        """Number of jobs per state."""
        with self._read() as tx:
            rows = tx.all("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    # -- workers ----------------------------------------------------------------

    @retrying
    def register_worker(self, worker_id: str, host: str, pid: int) -> None:
        """Record a live worker."""
        now = time.time()
        with self._write() as tx:
            tx.run(
                "INSERT INTO workers (id, host, pid, started_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
                (worker_id, host, pid, now, now),
            )

    @retrying
    def heartbeat(self, worker_id: str, info: dict[str, Any] | None = None) -> None:
        """Renew the worker's lease and publish its health."""
        with self._write() as tx:
            if info is None:
                tx.run("UPDATE workers SET heartbeat_at = ? WHERE id = ?", (time.time(), worker_id))
            else:
                tx.run(
                    "UPDATE workers SET heartbeat_at = ?, info = ? WHERE id = ?",
                    (time.time(), json.dumps(info), worker_id),
                )

    @retrying
    def unregister_worker(self, worker_id: str) -> None:
        """Forget a worker that stopped cleanly."""
        with self._write() as tx:
            tx.run("DELETE FROM workers WHERE id = ?", (worker_id,))

    @retrying
    def workers(self) -> list[WorkerRecord]:
        """Registered workers."""
        with self._read() as tx:
            rows = tx.all(
                "SELECT w.id, w.host, w.pid, w.started_at, w.heartbeat_at, w.info,"
                " (SELECT j.id FROM jobs j WHERE j.worker_id = w.id"
                "  AND j.state = 'processing' LIMIT 1) AS job_id"
                " FROM workers w ORDER BY w.started_at"
            )
        return [
            WorkerRecord(
                id=r["id"],
                host=r["host"],
                pid=r["pid"],
                started_at=r["started_at"],
                heartbeat_at=r["heartbeat_at"],
                job_id=r["job_id"],
                info=json.loads(r["info"] or "{}"),
            )
            for r in rows
        ]

    # -- claim and fenced writes ------------------------------------------------

    def claim(self, worker_id: str) -> Claim | None:
        """Take the oldest queued job, or None."""
        return self._claim(worker_id, secrets.token_hex(8))

    @retrying
    def _claim(self, worker_id: str, token: str) -> Claim | None:
        now = time.time()
        with self._write() as tx:
            # A retry after a lost reply finds the claim it already made.
            row = tx.one(
                "SELECT id FROM jobs WHERE worker_id = ? AND lease_token = ?"
                " AND state = 'processing'",
                (worker_id, token),
            ) or tx.one(self._claim_sql(), (worker_id, token, now, now))
        return Claim(job_id=row["id"], worker_id=worker_id, token=token) if row else None

    def _touch(self, tx: Tx, claim: Claim, sets: str = "", params: Sequence[Any] = ()) -> None:
        changed = tx.run(
            f"UPDATE jobs SET updated_at = ?{', ' + sets if sets else ''}"
            " WHERE id = ? AND worker_id = ? AND lease_token = ? AND state = 'processing'",
            (time.time(), *params, claim.job_id, claim.worker_id, claim.token),
        )
        if not changed:
            raise LostClaim(f"job {claim.job_id} is no longer held by worker {claim.worker_id}")

    @retrying
    def is_cancel_requested(self, claim: Claim) -> bool:
        """True when someone asked to cancel the claimed job; LostClaim when it was taken."""
        with self._read() as tx:
            row = tx.one(
                "SELECT cancel_requested, worker_id, lease_token, state FROM jobs WHERE id = ?",
                (claim.job_id,),
            )
        if (
            row is None
            or row["worker_id"] != claim.worker_id
            or row["lease_token"] != claim.token
            or row["state"] != "processing"
        ):
            raise LostClaim(f"job {claim.job_id} is no longer held by worker {claim.worker_id}")
        return bool(row["cancel_requested"])

    def _file_update(self, claim: Claim, file_id: int, sets: str, params: Sequence[Any]) -> None:
        with self._write() as tx:
            self._touch(tx, claim)
            tx.run(
                f"UPDATE files SET {sets} WHERE id = ? AND job_id = ?",
                (*params, file_id, claim.job_id),
            )

    @retrying
    def start_file(self, claim: Claim, file_id: int) -> None:
        """File → processing."""
        self._file_update(claim, file_id, "state = 'processing', progress = 0, error = NULL", ())

    @retrying
    def set_file_duration(self, claim: Claim, file_id: int, duration: float) -> None:
        """Store the probed duration."""
        self._file_update(claim, file_id, "duration = ?", (duration,))

    @retrying
    def set_progress(
        self, claim: Claim, file_id: int, file_progress: int, job_progress: int
    ) -> None:
        """Store file and job progress percent."""
        with self._write() as tx:
            self._touch(tx, claim, "progress = ?", (job_progress,))
            tx.run(
                "UPDATE files SET progress = ? WHERE id = ? AND job_id = ?",
                (file_progress, file_id, claim.job_id),
            )

    @retrying
    def set_ffmpeg(
        self, claim: Claim, file_id: int, pid: int | None, started_at: float | None
    ) -> None:
        """Store (or clear) the pid of the running ffmpeg."""
        self._file_update(
            claim, file_id, "ffmpeg_pid = ?, ffmpeg_started_at = ?", (pid, started_at)
        )

    @retrying
    def add_output(self, claim: Claim, file_id: int, output: OutputRecord) -> None:
        """Record a verified output and count it."""
        with self._write() as tx:
            self._touch(tx, claim)
            inserted = tx.run(
                "INSERT INTO outputs (file_id, variation, path, size, effects, seed, figures)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (file_id, variation) DO NOTHING",
                (
                    file_id,
                    output.variation,
                    output.path,
                    output.size,
                    json.dumps(output.effects, sort_keys=True),
                    output.seed,
                    json.dumps(output.figures, sort_keys=True) if output.figures else None,
                ),
            )
            if inserted:
                tx.run(
                    "UPDATE files SET completed_variations = completed_variations + 1"
                    " WHERE id = ? AND job_id = ?",
                    (file_id, claim.job_id),
                )

    @retrying
    def finish_file(
        self,
        claim: Claim,
        file_id: int,
        state: str,
        error: str | None = None,
        warning: str | None = None,
        figures: dict[str, Any] | None = None,
    ) -> None:
        """File → completed, failed or cancelled (with its outputs' summary figures)."""
        assert state in TERMINAL_STATES
        with self._write() as tx:
            self._touch(tx, claim)
            if state != "completed":
                tx.run("DELETE FROM outputs WHERE file_id = ?", (file_id,))
            tx.run(
                "UPDATE files SET state = ?, error = ?, warning = ?, figures = ?,"
                " ffmpeg_pid = NULL, ffmpeg_started_at = NULL,"
                " progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END,"
                " completed_variations ="
                " CASE WHEN ? = 'completed' THEN completed_variations ELSE 0 END"
                " WHERE id = ? AND job_id = ?",
                (
                    state,
                    error,
                    warning,
                    json.dumps(figures, sort_keys=True) if figures else None,
                    state,
                    state,
                    file_id,
                    claim.job_id,
                ),
            )

    @retrying
    def requeue_file(self, claim: Claim, file_id: int) -> None:
        """An interrupted file goes back to queued; its outputs are forgotten."""
        with self._write() as tx:
            self._touch(tx, claim)
            _reset_files(tx, "id = ?", (file_id,))

    @retrying
    def mark_disposed(self, claim: Claim, file_id: int, where: str) -> None:
        """Remember where the source went, so disposal runs once."""
        self._file_update(claim, file_id, "disposed_to = ?", (where,))

    @retrying
    def finish_job(self, claim: Claim, state: str, error: str | None = None) -> None:
        """Job → terminal state; the claim ends."""
        assert state in TERMINAL_STATES
        now = time.time()
        with self._write() as tx:
            self._touch(
                tx,
                claim,
                "state = ?, error = ?, finished_at = ?, worker_id = NULL,"
                " lease_token = NULL, progress = CASE WHEN ? = 'completed' THEN 100"
                " ELSE progress END",
                (state, error, now, state),
            )

    @retrying
    def release_job(self, claim: Claim) -> None:
        """Give the job back to the queue (clean shutdown); the claim ends."""
        with self._write() as tx:
            self._touch(tx, claim, "state = 'queued', worker_id = NULL, lease_token = NULL")
            self._notify_enqueued(tx)

    # -- operator actions -----------------------------------------------------

    @retrying
    def request_cancel(self, job_id: str) -> str:
        """Cancel a queued job at once, or flag a running one; returns the new state."""
        now = time.time()
        with self._write() as tx:
            row = tx.one("SELECT state FROM jobs WHERE id = ?", (job_id,))
            if row is None:
                raise KeyError(job_id)
            state = row["state"]
            if state == "queued":
                tx.run(
                    "UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?,"
                    " error = 'cancelled by request' WHERE id = ?",
                    (now, now, job_id),
                )
                tx.run(
                    "UPDATE files SET state = 'cancelled' WHERE job_id = ?"
                    " AND state IN ('queued', 'processing')",
                    (job_id,),
                )
                return "cancelled"
            if state == "processing":
                tx.run(
                    "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                    (now, job_id),
                )
                return "cancelling"
            return str(state)

    @retrying
    def retry(self, job_id: str) -> int:
        """Re-queue the failed and cancelled files of a finished job; returns how many."""
        now = time.time()
        with self._write() as tx:
            row = tx.one("SELECT state FROM jobs WHERE id = ?", (job_id,))
            if row is None:
                raise KeyError(job_id)
            if row["state"] not in TERMINAL_STATES:
                return 0
            # The source of a failed file was moved to failed_dir: read it from there.
            tx.run(
                "UPDATE files SET source_path = disposed_to WHERE job_id = ?"
                " AND state IN ('failed', 'cancelled') AND disposed_to IS NOT NULL"
                " AND disposed_to <> ''",
                (job_id,),
            )
            changed = _reset_files(
                tx,
                "job_id = ? AND state IN ('failed', 'cancelled')",
                (job_id,),
                reset_attempts=True,
            )
            if changed:
                tx.run(
                    "UPDATE jobs SET state = 'queued', error = NULL, finished_at = NULL,"
                    " cancel_requested = 0, attempts = 0, updated_at = ? WHERE id = ?",
                    (now, job_id),
                )
                self._notify_enqueued(tx)
            return changed

    @retrying
    def recover(
        self, *, lease_seconds: float, max_attempts: int, is_dead: Callable[[WorkerRecord], bool]
    ) -> list[Recovered]:
        """Put back work left `processing` by workers that died.

        A worker is dead when `is_dead` says so (a local pid that is gone) or its
        heartbeat is older than `lease_seconds`. The file it was encoding gets one
        more attempt; past `max_attempts` it fails so a poisonous file cannot
        crash-loop the service.
        """
        now = time.time()
        recovered: list[Recovered] = []
        with self._write() as tx:
            workers = {w.id: w for w in self._workers_in(tx)}
            dead_ids = {
                w.id for w in workers.values() if is_dead(w) or now - w.heartbeat_at > lease_seconds
            }
            for row in tx.all(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state = 'processing'"):
                if row["worker_id"] in workers and row["worker_id"] not in dead_ids:
                    continue
                job = _job(row)
                interrupted = tuple(
                    _file(f)
                    for f in tx.all(
                        f"SELECT {_FILE_COLUMNS} FROM files"
                        " WHERE job_id = ? AND state = 'processing'",
                        (job.id,),
                    )
                )
                gave_up = []
                for f in interrupted:
                    if f.attempts + 1 >= max_attempts:
                        times = f.attempts + 1
                        tx.run("DELETE FROM outputs WHERE file_id = ?", (f.id,))
                        tx.run(
                            "UPDATE files SET state = 'failed', attempts = ?, ffmpeg_pid = NULL,"
                            " ffmpeg_started_at = NULL, completed_variations = 0, error = ?"
                            " WHERE id = ?",
                            (
                                times,
                                f"the worker stopped {times} times while processing this "
                                "file; giving up so it cannot stop the service again",
                                f.id,
                            ),
                        )
                        gave_up.append(f.name)
                    else:
                        _reset_files(tx, "id = ?", (f.id,), bump_attempts=True)
                if job.cancel_requested:
                    tx.run(
                        "UPDATE files SET state = 'cancelled' WHERE job_id = ?"
                        " AND state = 'queued'",
                        (job.id,),
                    )
                    tx.run(
                        "UPDATE jobs SET state = 'cancelled', worker_id = NULL, lease_token = NULL,"
                        " finished_at = ?, updated_at = ?, error = 'cancelled by request'"
                        " WHERE id = ?",
                        (now, now, job.id),
                    )
                else:
                    tx.run(
                        "UPDATE jobs SET state = 'queued', worker_id = NULL, lease_token = NULL,"
                        " attempts = attempts + 1, updated_at = ? WHERE id = ?",
                        (now, job.id),
                    )
                recovered.append(
                    Recovered(job=job, interrupted=interrupted, gave_up=tuple(gave_up))
                )
            for worker_id in dead_ids:
                tx.run("DELETE FROM workers WHERE id = ?", (worker_id,))
            if recovered:
                self._notify_enqueued(tx)
        return recovered

    def _workers_in(self, tx: Tx) -> Iterator[WorkerRecord]:
        for r in tx.all("SELECT id, host, pid, started_at, heartbeat_at, info FROM workers"):
            yield WorkerRecord(
                id=r["id"],
                host=r["host"],
                pid=r["pid"],
                started_at=r["started_at"],
                heartbeat_at=r["heartbeat_at"],
                job_id=None,
                info=json.loads(r["info"] or "{}"),
            )


def _reset_files(
    tx: Tx,
    where: str,
    params: Sequence[Any],
    *,
    bump_attempts: bool = False,
    reset_attempts: bool = False,
) -> int:
    """Back to queued, forgetting outputs: a file is all-or-nothing."""
    tx.run(f"DELETE FROM outputs WHERE file_id IN (SELECT id FROM files WHERE {where})", params)
    attempts = "0" if reset_attempts else ("attempts + 1" if bump_attempts else "attempts")
    return tx.run(
        f"UPDATE files SET state = 'queued', progress = 0, completed_variations = 0,"
        f" error = NULL, warning = NULL, ffmpeg_pid = NULL, ffmpeg_started_at = NULL,"
        f" disposed_to = NULL, attempts = {attempts} WHERE {where}",
        params,
    )


def _split_sql(script: str) -> list[str]:
    """Statements of a migration file (no semicolons inside our statements)."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
