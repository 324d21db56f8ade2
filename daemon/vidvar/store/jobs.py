"""Store: queueing jobs and reading them back."""

from __future__ import annotations

import json
import time

from vidvar.store.models import FileRecord, Job, JobSearch, NewJob, OutputRecord
from vidvar.store.sqlstore import (
    StoreCore,
    display,
    encode_path,
    file_from,
    job_from,
    output_from,
    retrying,
)


class JobsMixin(StoreCore):
    """enqueue, get_job, list_jobs, files, counts."""

    @retrying
    def enqueue(self, new: NewJob) -> tuple[Job, bool]:
        """Queue a job; the same source_key returns the existing job and False, and so
        does a source that an unfinished job of the same hot folder already holds (a
        file renamed or rewritten while it waits or is processed)."""
        now = time.time()
        with self._write() as tx:
            for item in new.files:
                if item.identity is None:
                    continue
                held = tx.one("active_job_with_identity", identity=item.identity, watch=new.watch)
                if held is not None:
                    return job_from(held), False
            # A unique constraint, not check-then-insert: two racing enqueuers make one job.
            inserted = tx.run(
                "insert_job",
                id=new.id,
                watch=new.watch,
                source_path=encode_path(new.source_path),
                source_key=new.source_key,
                kind=new.kind,
                origin=new.origin,
                job_dir=new.job_dir,
                variations=new.variations,
                profile=new.profile,
                encoder=new.encoder,
                problem=new.problem,
                placement=json.dumps(new.placement) if new.placement else None,
                now=now,
            )
            if inserted:
                for position, item in enumerate(new.files):
                    tx.run(
                        "insert_file",
                        job_id=new.id,
                        position=position,
                        source_path=encode_path(item.path),
                        name=display(item.name),
                        stem=item.stem or None,
                        source_identity=item.identity,
                        source_sig=item.signature,
                    )
                self._notify_enqueued(tx)
            row = tx.one("job_by_key", source_key=new.source_key)
        assert row is not None
        return job_from(row), bool(inserted)

    @retrying
    def get_job(self, job_ref: str) -> Job | None:
        """A job by id or unique id prefix (None when unknown or ambiguous)."""
        matches = self.match_jobs(job_ref, limit=2)
        return matches[0] if len(matches) == 1 else None

    @retrying
    def match_jobs(self, job_ref: str, *, limit: int = 10) -> list[Job]:
        """The job with this id, or the jobs whose id starts with it (newest first)."""
        if not job_ref:
            return []
        with self._read() as tx:
            row = tx.one("job_by_id", id=job_ref)
            if row is not None:
                return [job_from(row)]
            rows = tx.all("jobs_by_prefix", length=len(job_ref), prefix=job_ref, limit=limit)
        return [job_from(r) for r in rows]

    @retrying
    def jobs_for_source(self, watch: str, source_path: str) -> list[Job]:
        """The jobs queued from `source_path` of hot folder `watch`, newest first."""
        with self._read() as tx:
            rows = tx.all("jobs_for_source", watch=watch, source_path=source_path)
        return [job_from(r) for r in rows]

    @retrying
    def search_jobs(self, search: JobSearch) -> tuple[list[Job], int]:
        """One page of history matching `search`, newest first, and how many match."""
        pattern = None
        if search.name:
            escaped = search.name.lower().replace("\\", "\\\\").replace("%", "\\%")
            pattern = "%" + escaped.replace("_", "\\_") + "%"
        where = {
            "pattern": pattern,
            "state": search.state,
            "watch": search.watch,
            "since": search.since,
            "until": search.until,
        }
        with self._read() as tx:
            rows = tx.all("search_jobs", **where, limit=search.limit, offset=search.offset)
            total = tx.one("count_search_jobs", **where) or {"n": 0}
        return [job_from(r) for r in rows], int(total["n"])

    @retrying
    def list_jobs(self, *, limit: int = 50) -> list[Job]:
        """Newest jobs first."""
        with self._read() as tx:
            rows = tx.all("recent_jobs", limit=limit)
        return [job_from(r) for r in rows]

    @retrying
    def changed_jobs(self, since: float, *, limit: int = 500) -> list[Job]:
        """Jobs updated after `since` (epoch seconds), oldest change first."""
        with self._read() as tx:
            rows = tx.all("jobs_changed_since", since=since, limit=limit)
        return [job_from(r) for r in rows]

    @retrying
    def files(self, job_id: str, *, with_outputs: bool = True) -> list[FileRecord]:
        """The files of a job in order, with their outputs."""
        with self._read() as tx:
            rows = tx.all("files_of_job", job_id=job_id)
            outs: dict[int, list[OutputRecord]] = {}
            if with_outputs and rows:
                for o in tx.all("outputs_of_job", job_id=job_id):
                    outs.setdefault(o["file_id"], []).append(output_from(o))
        return [file_from(r, tuple(outs.get(r["id"], ()))) for r in rows]

    @retrying
    def file_counts(self, job_id: str) -> dict[str, int]:
        """Number of a job's files per state."""
        with self._read() as tx:
            rows = tx.all("file_counts_of_job", job_id=job_id)
        return {r["state"]: int(r["n"]) for r in rows}

    @retrying
    def counts(self) -> dict[str, int]:
        """Number of jobs per state."""
        with self._read() as tx:
            rows = tx.all("count_jobs_by_state")
        return {r["state"]: int(r["n"]) for r in rows}

    @retrying
    def file_totals(self) -> tuple[dict[str, int], dict[str, float]]:
        """Files per state, and work totals: `variations` made, `job_seconds` from start
        to end of finished jobs, `video_seconds` of completed sources (for metrics)."""
        with self._read() as tx:
            rows = tx.all("count_files_by_state")
            totals = tx.one("work_totals") or {}
        return (
            {r["state"]: int(r["n"]) for r in rows},
            {k: float(v or 0) for k, v in totals.items()},
        )
