-- vidvar schema, version 4: every change of a job's state, phase, progress or waiting
-- reason, in order, for `vidvar status --follow` and the web page's event stream.
CREATE TABLE job_events (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id         TEXT NOT NULL,
    at             DOUBLE PRECISION NOT NULL,
    state          TEXT NOT NULL,
    phase          TEXT,
    progress       INTEGER NOT NULL,
    waiting_reason TEXT
);
CREATE FUNCTION vidvar_job_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM NEW.state
       OR OLD.phase IS DISTINCT FROM NEW.phase OR OLD.progress IS DISTINCT FROM NEW.progress
       OR OLD.waiting_reason IS DISTINCT FROM NEW.waiting_reason THEN
        INSERT INTO job_events (job_id, at, state, phase, progress, waiting_reason)
        VALUES (NEW.id, NEW.updated_at, NEW.state, NEW.phase, NEW.progress, NEW.waiting_reason);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER jobs_changed AFTER INSERT OR UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION vidvar_job_changed();
