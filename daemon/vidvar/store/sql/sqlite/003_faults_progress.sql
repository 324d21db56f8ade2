-- vidvar schema, version 3: fault handling (waiting jobs, source identity, disposal,
-- retention by record), finer progress (phase, speed, ETA) and settling files.
ALTER TABLE jobs ADD COLUMN phase TEXT;
ALTER TABLE jobs ADD COLUMN waiting_reason TEXT;
ALTER TABLE jobs ADD COLUMN not_before REAL;
ALTER TABLE jobs ADD COLUMN purged_at REAL;
ALTER TABLE files ADD COLUMN stem TEXT;
ALTER TABLE files ADD COLUMN source_identity TEXT;
ALTER TABLE files ADD COLUMN source_sig TEXT;
ALTER TABLE files ADD COLUMN speed REAL;
ALTER TABLE files ADD COLUMN eta_seconds REAL;
ALTER TABLE files ADD COLUMN disposal TEXT;
ALTER TABLE files ADD COLUMN disposed_at REAL;
ALTER TABLE files ADD COLUMN archive_purged_at REAL;
ALTER TABLE files ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
CREATE INDEX files_identity ON files (source_identity);
CREATE INDEX jobs_finished ON jobs (finished_at);
CREATE INDEX jobs_updated ON jobs (updated_at);
CREATE TABLE settling (
    watch      TEXT NOT NULL,
    name       TEXT NOT NULL,
    owner      TEXT NOT NULL,
    size       INTEGER NOT NULL,
    seen_at    REAL NOT NULL,
    settles_at REAL NOT NULL,
    PRIMARY KEY (watch, name)
);
