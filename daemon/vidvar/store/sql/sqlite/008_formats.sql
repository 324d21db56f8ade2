-- vidvar schema, version 8: placement formats. A job keeps the formats and HDR handling
-- it was queued with; an output is one variation in one format (`source` for the
-- source's shape, as every earlier output was), with its size, fit and framing.
ALTER TABLE jobs ADD COLUMN placement TEXT;
CREATE TABLE outputs_v8 (
    file_id   INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    variation INTEGER NOT NULL,
    format    TEXT NOT NULL DEFAULT 'source',
    path      TEXT NOT NULL,
    size      INTEGER NOT NULL,
    effects   TEXT NOT NULL,
    seed      INTEGER NOT NULL,
    figures   TEXT,
    verdict   TEXT,
    placement TEXT,
    PRIMARY KEY (file_id, variation, format)
);
INSERT INTO outputs_v8 (file_id, variation, format, path, size, effects, seed, figures, verdict)
SELECT file_id, variation, 'source', path, size, effects, seed, figures, verdict FROM outputs;
DROP TABLE outputs;
ALTER TABLE outputs_v8 RENAME TO outputs;
