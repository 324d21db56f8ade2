-- vidvar schema, version 7: a person's verdict on each output (approved, rejected or none).
ALTER TABLE outputs ADD COLUMN verdict TEXT;
