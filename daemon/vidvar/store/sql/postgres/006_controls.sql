-- vidvar schema, version 6: daemon-wide controls set by people (a pause, for now),
-- one JSON value per name, read by every daemon sharing the store.
CREATE TABLE controls (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
