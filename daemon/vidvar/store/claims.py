"""Store: claiming a job and the writes of its owner, each fenced by the claim."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from vidvar.errors import LostClaim
from vidvar.store.models import TERMINAL_STATES, Claim, OutputRecord, State
from vidvar.store.sqlstore import StoreCore, Tx, encode_path, retrying


def _json(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value, sort_keys=True) if value else None


class ClaimsMixin(StoreCore):
    """claim, the owner's fenced writes, and giving a job back."""

    def claim(self, worker_id: str) -> Claim | None:
        """Take the oldest queued job that is not waiting, or None."""
        return self._claim(worker_id, secrets.token_hex(8))

    @retrying
    def _claim(self, worker_id: str, token: str) -> Claim | None:
        now = time.time()
        with self._write() as tx:
            row = tx.one("claim_again", worker_id=worker_id, token=token) or tx.one(
                "claim_next", worker_id=worker_id, token=token, now=now
            )
        return Claim(job_id=row["id"], worker_id=worker_id, token=token) if row else None

    def _fence(self, claim: Claim) -> dict[str, Any]:
        return {"job_id": claim.job_id, "worker_id": claim.worker_id, "token": claim.token}

    def _touch(self, tx: Tx, claim: Claim) -> None:
        if not tx.run("touch_job", now=time.time(), **self._fence(claim)):
            raise LostClaim(f"job {claim.job_id} is no longer held by worker {claim.worker_id}")

    def _fenced_file(self, claim: Claim, query: str, file_id: int, **params: Any) -> None:
        with self._write() as tx:
            self._touch(tx, claim)
            tx.run(query, file_id=file_id, job_id=claim.job_id, **params)

    @retrying
    def is_cancel_requested(self, claim: Claim) -> bool:
        """True when someone asked to cancel the claimed job; LostClaim when it was taken."""
        with self._read() as tx:
            row = tx.one("claimed_job", job_id=claim.job_id)
        if (
            row is None
            or row["worker_id"] != claim.worker_id
            or row["lease_token"] != claim.token
            or row["state"] != State.PROCESSING
        ):
            raise LostClaim(f"job {claim.job_id} is no longer held by worker {claim.worker_id}")
        return bool(row["cancel_requested"])

    @retrying
    def start_file(self, claim: Claim, file_id: int) -> None:
        """File → processing."""
        self._fenced_file(claim, "start_file", file_id)

    @retrying
    def set_file_duration(self, claim: Claim, file_id: int, duration: float) -> None:
        """Store the probed duration."""
        self._fenced_file(claim, "set_file_duration", file_id, duration=duration)

    @retrying
    def set_phase(self, claim: Claim, phase: str | None) -> None:
        """What the job is doing now: encoding, verifying, measuring, cancelling."""
        with self._write() as tx:
            if not tx.run("set_phase", phase=phase, now=time.time(), **self._fence(claim)):
                raise LostClaim(f"job {claim.job_id} is no longer held by {claim.worker_id}")

    @retrying
    def set_progress(
        self,
        claim: Claim,
        file_id: int,
        file_progress: int,
        job_progress: int,
        *,
        speed: float | None = None,
        eta_seconds: float | None = None,
    ) -> None:
        """Store file and job progress percent, the encode's speed and its ETA."""
        with self._write() as tx:
            fence = self._fence(claim)
            if not tx.run("set_job_progress", progress=job_progress, now=time.time(), **fence):
                raise LostClaim(f"job {claim.job_id} is no longer held by {claim.worker_id}")
            tx.run(
                "set_file_progress",
                file_id=file_id,
                job_id=claim.job_id,
                progress=file_progress,
                speed=speed,
                eta=eta_seconds,
            )

    @retrying
    def set_ffmpeg(
        self, claim: Claim, file_id: int, pid: int | None, started_at: float | None
    ) -> None:
        """Store (or clear) the pid of the running ffmpeg."""
        self._fenced_file(claim, "set_ffmpeg", file_id, pid=pid, started_at=started_at)

    @retrying
    def add_output(self, claim: Claim, file_id: int, output: OutputRecord) -> None:
        """Record a verified output and count it."""
        with self._write() as tx:
            self._touch(tx, claim)
            inserted = tx.run(
                "insert_output",
                file_id=file_id,
                variation=output.variation,
                format=output.format,
                path=output.path,
                size=output.size,
                effects=json.dumps(output.effects, sort_keys=True),
                seed=output.seed,
                figures=_json(output.figures),
                placement=_json(output.placement),
            )
            if inserted:
                tx.run("count_output", file_id=file_id, job_id=claim.job_id)

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
            if state != State.COMPLETED:
                tx.run("delete_outputs_of_file", file_id=file_id)
            tx.run(
                "finish_file",
                file_id=file_id,
                job_id=claim.job_id,
                state=state,
                error=error,
                warning=warning,
                figures=_json(figures),
            )

    @retrying
    def requeue_file(self, claim: Claim, file_id: int, *, count_attempt: bool = False) -> None:
        """The file goes back to queued and its outputs are forgotten; `count_attempt`
        when it was the file's own doing (an unexpected error), not a stop or a cause
        outside it."""
        with self._write() as tx:
            self._touch(tx, claim)
            tx.run("reset_file", file_id=file_id, add_attempts=1 if count_attempt else 0)

    @retrying
    def note_source_changed(self, claim: Claim, file_id: int, signature: str) -> None:
        """The source changed after it settled: remember its new signature."""
        self._fenced_file(claim, "note_source_changed", file_id, source_sig=signature)

    @retrying
    def set_source_path(self, claim: Claim, file_id: int, path: str) -> None:
        """The source was found under another name (renamed while it waited)."""
        self._fenced_file(claim, "set_source_path", file_id, source_path=encode_path(path))

    @retrying
    def adopt_identity(self, claim: Claim, file_id: int, identity: str, signature: str) -> None:
        """Record which file the source is, for a file queued without one (a retry)."""
        self._fenced_file(
            claim, "adopt_identity", file_id, source_identity=identity, source_sig=signature
        )

    @retrying
    def mark_disposed(self, claim: Claim, file_id: int, where: str, disposal: str) -> None:
        """Remember where the source went (`disposal`: archived, deleted, kept, failed,
        missing), so disposal runs once and retention knows what it may delete."""
        self._fenced_file(
            claim,
            "mark_disposed",
            file_id,
            disposed_to=encode_path(where),
            disposal=disposal,
            now=time.time(),
        )

    @retrying
    def finish_job(self, claim: Claim, state: str, error: str | None = None) -> None:
        """Job → terminal state; the claim ends."""
        assert state in TERMINAL_STATES
        with self._write() as tx:
            fence = self._fence(claim)
            if not tx.run("finish_job", state=state, error=error, now=time.time(), **fence):
                raise LostClaim(f"job {claim.job_id} is no longer held by {claim.worker_id}")

    @retrying
    def release_job(
        self, claim: Claim, *, waiting_reason: str | None = None, retry_in: float = 0.0
    ) -> None:
        """Give the job back to the queue; the claim ends. With `waiting_reason` it waits
        `retry_in` seconds before any worker takes it again (an environmental cause)."""
        now = time.time()
        with self._write() as tx:
            released = tx.run(
                "release_job",
                now=now,
                not_before=now + retry_in if retry_in else None,
                waiting_reason=waiting_reason,
                **self._fence(claim),
            )
            if not released:
                raise LostClaim(f"job {claim.job_id} is no longer held by {claim.worker_id}")
            self._notify_enqueued(tx)
