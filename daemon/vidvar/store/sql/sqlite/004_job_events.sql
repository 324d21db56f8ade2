-- vidvar schema, version 4: every change of a job's state, phase, progress or waiting
-- reason, in order, for `vidvar status --follow` and the web page's event stream.
CREATE TABLE job_events (
    seq            INTEGER PRIMARY KEY,
    job_id         TEXT NOT NULL,
    at             REAL NOT NULL,
    state          TEXT NOT NULL,
    phase          TEXT,
    progress       INTEGER NOT NULL,
    waiting_reason TEXT
);
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
BEGIN
    INSERT INTO job_events (job_id, at, state, phase, progress, waiting_reason)
    VALUES (NEW.id, NEW.updated_at, NEW.state, NEW.phase, NEW.progress, NEW.waiting_reason);
END;
CREATE TRIGGER jobs_changed AFTER UPDATE ON jobs
WHEN OLD.state IS NOT NEW.state OR OLD.phase IS NOT NEW.phase
  OR OLD.progress IS NOT NEW.progress OR OLD.waiting_reason IS NOT NEW.waiting_reason
BEGIN
    INSERT INTO job_events (job_id, at, state, phase, progress, waiting_reason)
    VALUES (NEW.id, NEW.updated_at, NEW.state, NEW.phase, NEW.progress, NEW.waiting_reason);
END;
