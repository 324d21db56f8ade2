-- vidvar schema, version 8: placement formats. A job keeps the formats and HDR handling
-- it was queued with; an output is one variation in one format (`source` for the
-- source's shape, as every earlier output was), with its size, fit and framing.
ALTER TABLE jobs ADD COLUMN placement TEXT;
ALTER TABLE outputs ADD COLUMN format TEXT NOT NULL DEFAULT 'source';
ALTER TABLE outputs ADD COLUMN placement TEXT;
ALTER TABLE outputs DROP CONSTRAINT outputs_pkey;
ALTER TABLE outputs ADD PRIMARY KEY (file_id, variation, format);
