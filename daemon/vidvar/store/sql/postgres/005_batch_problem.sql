-- vidvar schema, version 5: a batch whose own vidvar.yaml is invalid fails with this note.
ALTER TABLE jobs ADD COLUMN problem TEXT;
