-- PostgreSQL's versions of the queries whose dialects differ (see ../queries.sql).

-- name: claim_next
-- SKIP LOCKED: workers on several machines each take a different job, no waiting.
UPDATE jobs SET state = 'processing', worker_id = :worker_id, lease_token = :token,
    started_at = COALESCE(started_at, :now), updated_at = :now, error = NULL, phase = NULL,
    waiting_reason = NULL, not_before = NULL
WHERE id = (SELECT id FROM jobs WHERE state = 'queued'
            AND (not_before IS NULL OR not_before <= :now)
            ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id

-- name: lock_for_migration
SELECT pg_advisory_xact_lock(:key)

-- name: notify_enqueued
NOTIFY vidvar_jobs

-- name: listen
LISTEN vidvar_jobs

-- name: try_run_lock
-- Held by the one `vidvar run` for its session's life (a second run is refused).
SELECT pg_try_advisory_lock(:key) AS locked
