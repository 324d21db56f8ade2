-- Named queries shared by the SQLite and PostgreSQL adapters.
-- Each block starts with "-- name: <name>"; parameters are :name, bound natively
-- by SQLite and converted once to psycopg's %(name)s at load time. A dialect's
-- sql/<dialect>/queries.sql replaces blocks of the same name.

-- ---------------------------------------------------------------- schema

-- name: create_migrations_table
CREATE TABLE IF NOT EXISTS schema_migrations
    (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)

-- name: schema_version
SELECT MAX(version) AS v FROM schema_migrations

-- name: record_migration
INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :now)

-- ---------------------------------------------------------------- jobs: enqueue and read

-- name: insert_job
INSERT INTO jobs (id, watch, source_path, source_key, kind, origin, job_dir, variations,
                  profile, encoder, problem, placement, state, created_at, updated_at)
VALUES (:id, :watch, :source_path, :source_key, :kind, :origin, :job_dir, :variations,
        :profile, :encoder, :problem, :placement, 'queued', :now, :now)
ON CONFLICT (source_key) DO NOTHING

-- name: insert_file
INSERT INTO files (job_id, position, source_path, name, stem, source_identity, source_sig)
VALUES (:job_id, :position, :source_path, :name, :stem, :source_identity, :source_sig)

-- name: active_job_with_identity
-- A job not yet finished that already holds this source (renamed or rewritten since).
SELECT j.* FROM jobs j JOIN files f ON f.job_id = j.id
WHERE f.source_identity = :identity AND j.watch = :watch
  AND j.state IN ('queued', 'processing')
LIMIT 1

-- name: job_by_key
SELECT * FROM jobs WHERE source_key = :source_key

-- name: job_by_id
SELECT * FROM jobs WHERE id = :id

-- name: jobs_for_source
-- The jobs made of what arrived at this path of a hot folder, newest first (an upload
-- is followed to the one that was not there before it).
SELECT * FROM jobs WHERE watch = :watch AND source_path = :source_path
ORDER BY created_at DESC LIMIT 100

-- name: jobs_by_prefix
SELECT * FROM jobs WHERE substr(id, 1, :length) = :prefix ORDER BY created_at DESC LIMIT :limit

-- name: recent_jobs
SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: search_jobs
-- History: newest first, narrowed by a piece of the name (LIKE pattern, \ escapes),
-- a state, a hot folder and a time span; each filter is off when its value is null
-- (the casts tell PostgreSQL the type of a parameter that may be null).
SELECT * FROM jobs
WHERE (CAST(:pattern AS TEXT) IS NULL OR LOWER(source_path) LIKE CAST(:pattern AS TEXT) ESCAPE '\')
  AND (CAST(:state AS TEXT) IS NULL OR state = CAST(:state AS TEXT))
  AND (CAST(:watch AS TEXT) IS NULL OR watch = CAST(:watch AS TEXT))
  AND (CAST(:since AS DOUBLE PRECISION) IS NULL OR created_at >= CAST(:since AS DOUBLE PRECISION))
  AND (CAST(:until AS DOUBLE PRECISION) IS NULL OR created_at < CAST(:until AS DOUBLE PRECISION))
ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset

-- name: count_search_jobs
SELECT COUNT(*) AS n FROM jobs
WHERE (CAST(:pattern AS TEXT) IS NULL OR LOWER(source_path) LIKE CAST(:pattern AS TEXT) ESCAPE '\')
  AND (CAST(:state AS TEXT) IS NULL OR state = CAST(:state AS TEXT))
  AND (CAST(:watch AS TEXT) IS NULL OR watch = CAST(:watch AS TEXT))
  AND (CAST(:since AS DOUBLE PRECISION) IS NULL OR created_at >= CAST(:since AS DOUBLE PRECISION))
  AND (CAST(:until AS DOUBLE PRECISION) IS NULL OR created_at < CAST(:until AS DOUBLE PRECISION))

-- name: jobs_changed_since
SELECT * FROM jobs WHERE updated_at > :since ORDER BY updated_at, id LIMIT :limit

-- name: files_of_job
SELECT * FROM files WHERE job_id = :job_id ORDER BY position

-- name: outputs_of_job
SELECT o.* FROM outputs o JOIN files f ON f.id = o.file_id
WHERE f.job_id = :job_id ORDER BY o.file_id, o.variation, o.format

-- name: file_counts_of_job
SELECT state, COUNT(*) AS n FROM files WHERE job_id = :job_id GROUP BY state

-- name: count_jobs_by_state
SELECT state, COUNT(*) AS n FROM jobs GROUP BY state

-- ---------------------------------------------------------------- workers

-- name: register_worker
INSERT INTO workers (id, host, pid, started_at, heartbeat_at)
VALUES (:id, :host, :pid, :now, :now)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at

-- name: heartbeat
INSERT INTO workers (id, host, pid, started_at, heartbeat_at, info)
VALUES (:id, :host, :pid, :started_at, :now, COALESCE(:info, '{}'))
ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at,
    info = COALESCE(:info, workers.info)

-- name: delete_worker
DELETE FROM workers WHERE id = :id

-- name: all_workers
SELECT w.*, (SELECT j.id FROM jobs j WHERE j.worker_id = w.id
             AND j.state = 'processing' LIMIT 1) AS job_id
FROM workers w ORDER BY w.started_at

-- name: processing_jobs
SELECT * FROM jobs WHERE state = 'processing'

-- name: processing_files_of_job
SELECT * FROM files WHERE job_id = :job_id AND state = 'processing'

-- name: give_up_file
DELETE FROM outputs WHERE file_id = :id;
UPDATE files SET state = 'failed', attempts = :attempts, ffmpeg_pid = NULL,
    ffmpeg_started_at = NULL, completed_variations = 0, speed = NULL, eta_seconds = NULL,
    error = :error
WHERE id = :id

-- name: cancel_queued_files
UPDATE files SET state = 'cancelled', error = 'cancelled by request'
WHERE job_id = :job_id AND state IN ('queued', 'processing')

-- name: recover_cancelled_job
UPDATE jobs SET state = 'cancelled', worker_id = NULL, lease_token = NULL, phase = NULL,
    finished_at = :now, updated_at = :now, error = 'cancelled by request'
WHERE id = :id

-- name: recover_job
UPDATE jobs SET state = 'queued', worker_id = NULL, lease_token = NULL, phase = NULL,
    attempts = attempts + 1, updated_at = :now
WHERE id = :id

-- ---------------------------------------------------------------- claims and fenced writes

-- name: claim_again
-- A retry after a lost reply finds the claim it already made.
SELECT id FROM jobs WHERE worker_id = :worker_id AND lease_token = :token
  AND state = 'processing'

-- name: touch_job
UPDATE jobs SET updated_at = :now
WHERE id = :job_id AND worker_id = :worker_id AND lease_token = :token AND state = 'processing'

-- name: claimed_job
SELECT cancel_requested, worker_id, lease_token, state FROM jobs WHERE id = :job_id

-- name: start_file
UPDATE files SET state = 'processing', progress = 0, error = NULL, speed = NULL,
    eta_seconds = NULL
WHERE id = :file_id AND job_id = :job_id

-- name: set_file_duration
UPDATE files SET duration = :duration WHERE id = :file_id AND job_id = :job_id

-- name: set_job_progress
UPDATE jobs SET progress = :progress, updated_at = :now
WHERE id = :job_id AND worker_id = :worker_id AND lease_token = :token AND state = 'processing'

-- name: set_file_progress
UPDATE files SET progress = :progress, speed = :speed, eta_seconds = :eta
WHERE id = :file_id AND job_id = :job_id

-- name: set_phase
UPDATE jobs SET phase = :phase, updated_at = :now
WHERE id = :job_id AND worker_id = :worker_id AND lease_token = :token AND state = 'processing'

-- name: set_ffmpeg
UPDATE files SET ffmpeg_pid = :pid, ffmpeg_started_at = :started_at
WHERE id = :file_id AND job_id = :job_id

-- name: insert_output
INSERT INTO outputs (file_id, variation, format, path, size, effects, seed, figures, placement)
VALUES (:file_id, :variation, :format, :path, :size, :effects, :seed, :figures, :placement)
ON CONFLICT (file_id, variation, format) DO NOTHING

-- name: count_output
UPDATE files SET completed_variations = completed_variations + 1
WHERE id = :file_id AND job_id = :job_id

-- name: delete_outputs_of_file
DELETE FROM outputs WHERE file_id = :file_id

-- name: finish_file
UPDATE files SET state = :state, error = :error, warning = :warning, figures = :figures,
    ffmpeg_pid = NULL, ffmpeg_started_at = NULL, speed = NULL, eta_seconds = NULL,
    progress = CASE WHEN :state = 'completed' THEN 100 ELSE progress END,
    completed_variations = CASE WHEN :state = 'completed' THEN completed_variations ELSE 0 END
WHERE id = :file_id AND job_id = :job_id

-- name: reset_file
-- Back to queued, forgetting outputs: a file is all-or-nothing.
DELETE FROM outputs WHERE file_id = :file_id;
UPDATE files SET state = 'queued', progress = 0, completed_variations = 0, error = NULL,
    warning = NULL, ffmpeg_pid = NULL, ffmpeg_started_at = NULL, disposed_to = NULL,
    disposal = NULL, disposed_at = NULL, speed = NULL, eta_seconds = NULL,
    attempts = attempts + :add_attempts
WHERE id = :file_id

-- name: note_source_changed
UPDATE files SET source_sig = :source_sig, changes = changes + 1
WHERE id = :file_id AND job_id = :job_id

-- name: mark_disposed
UPDATE files SET disposed_to = :disposed_to, disposal = :disposal, disposed_at = :now
WHERE id = :file_id AND job_id = :job_id

-- name: finish_job
UPDATE jobs SET state = :state, error = :error, finished_at = :now, updated_at = :now,
    worker_id = NULL, lease_token = NULL, phase = NULL, waiting_reason = NULL,
    not_before = NULL, progress = CASE WHEN :state = 'completed' THEN 100 ELSE progress END
WHERE id = :job_id AND worker_id = :worker_id AND lease_token = :token AND state = 'processing'

-- name: release_job
UPDATE jobs SET state = 'queued', worker_id = NULL, lease_token = NULL, phase = NULL,
    updated_at = :now, not_before = :not_before, waiting_reason = :waiting_reason
WHERE id = :job_id AND worker_id = :worker_id AND lease_token = :token AND state = 'processing'

-- ---------------------------------------------------------------- operator actions

-- name: job_state
SELECT state FROM jobs WHERE id = :id

-- name: cancel_queued_job
UPDATE jobs SET state = 'cancelled', finished_at = :now, updated_at = :now, phase = NULL,
    waiting_reason = NULL, not_before = NULL, error = 'cancelled by request'
WHERE id = :id AND state = 'queued'

-- name: request_cancel
UPDATE jobs SET cancel_requested = 1, phase = 'cancelling', updated_at = :now
WHERE id = :id AND state = 'processing'

-- name: retry_sources_from_failed_dir
-- The source of a failed file was moved to failed_dir: read it from there, whatever
-- file stands there now (the user may have put a repaired one in its place).
UPDATE files SET source_path = disposed_to, source_identity = NULL, source_sig = NULL
WHERE job_id = :job_id AND state IN ('failed', 'cancelled') AND disposal = 'failed'
  AND disposed_to IS NOT NULL AND disposed_to <> ''

-- name: retry_files
DELETE FROM outputs WHERE file_id IN
    (SELECT id FROM files WHERE job_id = :job_id AND state IN ('failed', 'cancelled'));
UPDATE files SET state = 'queued', progress = 0, completed_variations = 0, error = NULL,
    warning = NULL, ffmpeg_pid = NULL, ffmpeg_started_at = NULL, disposed_to = NULL,
    disposal = NULL, disposed_at = NULL, speed = NULL, eta_seconds = NULL, attempts = 0,
    changes = 0
WHERE job_id = :job_id AND state IN ('failed', 'cancelled')

-- name: requeue_job
UPDATE jobs SET state = 'queued', error = NULL, finished_at = NULL, cancel_requested = 0,
    attempts = 0, phase = NULL, waiting_reason = NULL, not_before = NULL, purged_at = NULL,
    updated_at = :now
WHERE id = :id

-- name: wake_waiting_job
UPDATE jobs SET not_before = NULL, updated_at = :now WHERE id = :id AND state = 'queued'

-- ---------------------------------------------------------------- retention

-- name: expired_jobs
SELECT * FROM jobs WHERE state IN ('completed', 'failed', 'cancelled')
  AND finished_at < :cutoff AND purged_at IS NULL
ORDER BY finished_at LIMIT :limit

-- name: mark_job_purged
UPDATE jobs SET purged_at = :now WHERE id = :id

-- name: expired_archives
SELECT f.* FROM files f JOIN jobs j ON j.id = f.job_id
WHERE j.watch = :watch AND f.disposal = 'archived' AND f.disposed_at < :cutoff
  AND f.archive_purged_at IS NULL
ORDER BY f.disposed_at LIMIT :limit

-- name: mark_archive_purged
UPDATE files SET archive_purged_at = :now WHERE id = :id

-- ---------------------------------------------------------------- settling files

-- name: clear_settling
DELETE FROM settling WHERE owner = :owner

-- name: clear_settling_of_watch
DELETE FROM settling WHERE owner = :owner AND watch = :watch

-- name: upsert_settling
INSERT INTO settling (watch, name, owner, size, seen_at, settles_at)
VALUES (:watch, :name, :owner, :size, :seen_at, :settles_at)
ON CONFLICT (watch, name) DO UPDATE SET owner = excluded.owner, size = excluded.size,
    settles_at = excluded.settles_at

-- name: delete_settling
DELETE FROM settling WHERE watch = :watch AND name = :name

-- name: all_settling
SELECT s.* FROM settling s JOIN workers w ON w.id = s.owner ORDER BY s.seen_at LIMIT :limit

-- name: count_settling
SELECT COUNT(*) AS n FROM settling s JOIN workers w ON w.id = s.owner

-- name: set_source_path
UPDATE files SET source_path = :source_path WHERE id = :file_id AND job_id = :job_id

-- name: adopt_identity
UPDATE files SET source_identity = :source_identity, source_sig = :source_sig
WHERE id = :file_id AND job_id = :job_id

-- ---------------------------------------------------------------- job events

-- name: job_events_after
SELECT * FROM job_events WHERE seq > :after ORDER BY seq LIMIT :limit

-- name: last_job_event
SELECT MAX(seq) AS seq FROM job_events

-- name: prune_job_events
DELETE FROM job_events WHERE seq < (SELECT MAX(seq) FROM job_events) - :keep

-- ---------------------------------------------------------------- controls (pause)

-- name: set_control
INSERT INTO controls (name, value, updated_at) VALUES (:name, :value, :now)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at

-- name: get_control
SELECT value, updated_at FROM controls WHERE name = :name

-- name: delete_control
DELETE FROM controls WHERE name = :name

-- ---------------------------------------------------------------- review

-- name: set_verdict
UPDATE outputs SET verdict = :verdict
WHERE variation = :variation AND format = :format
  AND file_id IN (SELECT id FROM files WHERE job_id = :job_id AND name = :name)

-- ---------------------------------------------------------------- metrics

-- name: count_files_by_state
SELECT state, COUNT(*) AS n FROM files GROUP BY state

-- name: work_totals
-- Variations made, and seconds from start to end of every finished job.
SELECT (SELECT COUNT(*) FROM outputs) AS variations,
       (SELECT COALESCE(SUM(finished_at - started_at), 0) FROM jobs
        WHERE finished_at IS NOT NULL AND started_at IS NOT NULL) AS job_seconds,
       (SELECT COALESCE(SUM(duration), 0) FROM files WHERE state = 'completed') AS video_seconds
