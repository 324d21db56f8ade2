-- SQLite's versions of the queries whose dialects differ (see ../queries.sql).

-- name: claim_next
-- Inside BEGIN IMMEDIATE: no other writer runs between the choice and the update.
UPDATE jobs SET state = 'processing', worker_id = :worker_id, lease_token = :token,
    started_at = COALESCE(started_at, :now), updated_at = :now, error = NULL, phase = NULL,
    waiting_reason = NULL, not_before = NULL
WHERE id = (SELECT id FROM jobs WHERE state = 'queued'
            AND (not_before IS NULL OR not_before <= :now)
            ORDER BY created_at, id LIMIT 1)
RETURNING id
