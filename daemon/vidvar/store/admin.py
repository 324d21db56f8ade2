"""Store: operator actions (cancel, retry), retention records and settling files."""

from __future__ import annotations

import time
from collections.abc import Iterable

from vidvar.store.models import TERMINAL_STATES, FileRecord, Job, JobChange, Phase, Settling, State
from vidvar.store.sqlstore import StoreCore, display, file_from, job_from, retrying


class AdminMixin(StoreCore):
    """request_cancel, retry, retention queries, settling files."""

    @retrying
    def request_cancel(self, job_id: str) -> str:
        """Cancel a queued job at once, or flag a running one; returns the new state
        (`cancelled`, `cancelling`, or the state of a job that had already ended)."""
        now = time.time()
        with self._write() as tx:
            row = tx.one("job_state", id=job_id)
            if row is None:
                raise KeyError(job_id)
            if tx.run("cancel_queued_job", id=job_id, now=now):
                tx.run("cancel_queued_files", job_id=job_id)
                return State.CANCELLED
            if tx.run("request_cancel", id=job_id, now=now):
                return Phase.CANCELLING
            return str(row["state"])

    @retrying
    def set_verdict(
        self,
        job_id: str,
        name: str,
        variation: int,
        verdict: str | None,
        format: str = "source",
    ) -> bool:
        """Record a person's verdict on one output (None clears it); False when the job
        has no such file, variation or format."""
        with self._write() as tx:
            changed = tx.run(
                "set_verdict",
                job_id=job_id,
                name=name,
                variation=variation,
                verdict=verdict,
                format=format,
            )
        return changed > 0

    @retrying
    def retry(self, job_id: str) -> int:
        """Re-queue the failed and cancelled files of a finished job (reading sources
        back from failed_dir), or wake a job waiting on an environmental cause at once;
        returns how many files go back to work."""
        now = time.time()
        with self._write() as tx:
            row = tx.one("job_by_id", id=job_id)
            if row is None:
                raise KeyError(job_id)
            if row["state"] == State.QUEUED:
                tx.run("wake_waiting_job", id=job_id, now=now)
                files = tx.all("files_of_job", job_id=job_id)
                self._notify_enqueued(tx)
                return sum(1 for f in files if f["state"] in (State.QUEUED, State.PROCESSING))
            if row["state"] not in TERMINAL_STATES:
                return 0
            tx.run("retry_sources_from_failed_dir", job_id=job_id)
            changed = tx.run("retry_files", job_id=job_id)
            if changed:
                tx.run("requeue_job", id=job_id, now=now)
                self._notify_enqueued(tx)
            return changed

    # -- retention: only what the store says vidvar wrote or archived ---------------

    @retrying
    def expired_jobs(self, cutoff: float, *, limit: int = 200) -> list[Job]:
        """Finished jobs older than `cutoff` whose folder retention has not removed yet."""
        with self._read() as tx:
            return [job_from(r) for r in tx.all("expired_jobs", cutoff=cutoff, limit=limit)]

    @retrying
    def mark_job_purged(self, job_id: str) -> None:
        """Retention removed this job's folder."""
        with self._write() as tx:
            tx.run("mark_job_purged", id=job_id, now=time.time())

    @retrying
    def expired_archives(self, watch: str, cutoff: float, *, limit: int = 500) -> list[FileRecord]:
        """Sources of `watch` archived before `cutoff` and not yet deleted by retention."""
        with self._read() as tx:
            rows = tx.all("expired_archives", watch=watch, cutoff=cutoff, limit=limit)
        return [file_from(r) for r in rows]

    @retrying
    def mark_archive_purged(self, file_id: int) -> None:
        """Retention deleted this archived source."""
        with self._write() as tx:
            tx.run("mark_archive_purged", id=file_id, now=time.time())

    # -- settling files ---------------------------------------------------------------

    @retrying
    def set_settling(
        self, owner: str, watch: str, seen: Iterable[Settling], gone: Iterable[str]
    ) -> None:
        """Record entries of `watch` now settling (and forget those in `gone`)."""
        with self._write() as tx:
            for name in gone:
                tx.run("delete_settling", watch=watch, name=display(name))
            for entry in seen:
                tx.run(
                    "upsert_settling",
                    watch=watch,
                    name=display(entry.name),
                    owner=owner,
                    size=entry.size,
                    seen_at=entry.seen_at,
                    settles_at=entry.settles_at,
                )

    @retrying
    def clear_settling(self, owner: str, watch: str | None = None) -> None:
        """Forget the settling entries recorded by `owner` (of one hot folder, or all)."""
        with self._write() as tx:
            if watch is None:
                tx.run("clear_settling", owner=owner)
            else:
                tx.run("clear_settling_of_watch", owner=owner, watch=watch)

    @retrying
    def settling(self, *, limit: int = 100) -> tuple[list[Settling], int]:
        """Entries settling in the inboxes of live workers (oldest first) and their count."""
        with self._read() as tx:
            rows = tx.all("all_settling", limit=limit)
            total = tx.one("count_settling")
        entries = [
            Settling(r["watch"], r["name"], r["size"], r["seen_at"], r["settles_at"]) for r in rows
        ]
        return entries, int(total["n"]) if total else 0

    # -- job events ---------------------------------------------------------------------

    @retrying
    def job_events(self, after: int, *, limit: int = 1000) -> list[JobChange]:
        """Changes numbered above `after`, in order."""
        with self._read() as tx:
            rows = tx.all("job_events_after", after=after, limit=limit)
        return [
            JobChange(
                r["seq"],
                r["job_id"],
                r["at"],
                r["state"],
                r["phase"],
                r["progress"],
                r["waiting_reason"],
            )
            for r in rows
        ]

    @retrying
    def last_event(self) -> int:
        """The number of the latest change (0 when there is none)."""
        with self._read() as tx:
            row = tx.one("last_job_event")
        return int(row["seq"]) if row and row["seq"] is not None else 0

    @retrying
    def prune_events(self, keep: int = 20_000) -> None:
        """Forget all but the latest `keep` changes."""
        with self._write() as tx:
            tx.run("prune_job_events", keep=keep)
