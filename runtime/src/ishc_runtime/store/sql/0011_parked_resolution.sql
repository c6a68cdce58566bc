-- Who settled a dead letter (redrive or discard, from the gateway or the CLI) and, for a
-- discard, why: an event dropped from a read model must say by whom and on what grounds.
ALTER TABLE parked_messages ADD COLUMN IF NOT EXISTS resolved_by text;
ALTER TABLE parked_messages ADD COLUMN IF NOT EXISTS resolution_note text;
