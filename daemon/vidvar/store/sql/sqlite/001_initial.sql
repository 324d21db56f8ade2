-- vidvar schema, version 1 (SQLite)
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    watch            TEXT NOT NULL,
    source_path      TEXT NOT NULL,
    source_key       TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('file', 'batch')),
    origin           TEXT NOT NULL DEFAULT 'inbox' CHECK (origin IN ('inbox', 'manual')),
    job_dir          TEXT NOT NULL,
    variations       INTEGER NOT NULL CHECK (variations > 0),
    profile          TEXT NOT NULL,
    encoder          TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
    progress         INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker_id        TEXT,
    lease_token      TEXT,
    created_at       REAL NOT NULL,
    started_at       REAL,
    finished_at      REAL,
    updated_at       REAL NOT NULL
);
CREATE INDEX jobs_state_created ON jobs (state, created_at);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_worker ON jobs (worker_id);

CREATE TABLE files (
    id                   INTEGER PRIMARY KEY,
    job_id               TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position             INTEGER NOT NULL,
    source_path          TEXT NOT NULL,
    name                 TEXT NOT NULL,
    state                TEXT NOT NULL DEFAULT 'queued'
                         CHECK (state IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
    progress             INTEGER NOT NULL DEFAULT 0,
    duration             REAL,
    completed_variations INTEGER NOT NULL DEFAULT 0,
    error                TEXT,
    warning              TEXT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    ffmpeg_pid           INTEGER,
    ffmpeg_started_at    REAL,
    disposed_to          TEXT,
    UNIQUE (job_id, position)
);

CREATE TABLE outputs (
    file_id   INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    variation INTEGER NOT NULL,
    path      TEXT NOT NULL,
    size      INTEGER NOT NULL,
    effects   TEXT NOT NULL,
    seed      INTEGER NOT NULL,
    PRIMARY KEY (file_id, variation)
);

CREATE TABLE workers (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    info         TEXT NOT NULL DEFAULT '{}'
);
