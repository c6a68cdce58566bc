-- What a projection has taken from each source, beside where it stands: the first stream
-- sequence it took and how many messages since (applied, parked or not handled). Between
-- first_seq and stream_seq every message of the stream must have been taken once, except
-- those deleted from the stream; anything else is an event the projection skipped, which
-- `projection_status` reports (`unaccounted`) and the metric
-- ishc_projection_unaccounted_events shows. Rows older than this column are taken as whole:
-- from 1, every message up to their checkpoint.
ALTER TABLE projection_checkpoints
    ADD COLUMN first_seq bigint,
    ADD COLUMN taken     bigint NOT NULL DEFAULT 0;
UPDATE projection_checkpoints SET first_seq = 1, taken = stream_seq WHERE stream_seq > 0;
