-- vidvar schema, version 3: fault handling (waiting jobs, source identity, disposal,
-- retention by record), finer progress (phase, speed, ETA) and settling files.
ALTER TABLE jobs ADD COLUMN phase TEXT;
ALTER TABLE jobs ADD COLUMN waiting_reason TEXT;
ALTER TABLE jobs ADD COLUMN not_before DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN purged_at DOUBLE PRECISION;
ALTER TABLE files ADD COLUMN stem TEXT;
ALTER TABLE files ADD COLUMN source_identity TEXT;
ALTER TABLE files ADD COLUMN source_sig TEXT;
ALTER TABLE files ADD COLUMN speed DOUBLE PRECISION;
ALTER TABLE files ADD COLUMN eta_seconds DOUBLE PRECISION;
ALTER TABLE files ADD COLUMN disposal TEXT;
ALTER TABLE files ADD COLUMN disposed_at DOUBLE PRECISION;
ALTER TABLE files ADD COLUMN archive_purged_at DOUBLE PRECISION;
ALTER TABLE files ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
CREATE INDEX files_identity ON files (source_identity);
CREATE INDEX jobs_finished ON jobs (finished_at);
CREATE INDEX jobs_updated ON jobs (updated_at);
CREATE TABLE settling (
    watch      TEXT NOT NULL,
    name       TEXT NOT NULL,
    owner      TEXT NOT NULL,
    size       BIGINT NOT NULL,
    seen_at    DOUBLE PRECISION NOT NULL,
    settles_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (watch, name)
);
