-- vidvar schema, version 2: measured distinctness of outputs and their per-file summary
ALTER TABLE outputs ADD COLUMN figures TEXT;
ALTER TABLE files ADD COLUMN figures TEXT;
