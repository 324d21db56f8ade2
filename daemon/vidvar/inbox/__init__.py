"""The inbox side of a file's journey: hot folders watched, entries settled and
queued, junk ignored, sources opened safely, and where a source goes when its job ends."""
