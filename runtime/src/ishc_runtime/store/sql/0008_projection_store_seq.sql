-- (Numbered 0008 beside 0008_scoped_idempotency_keys, the number this work was given;
-- files are applied once each, in name order, so an existing database takes it next.)

-- Read-your-writes for every query (issue #18): the owning store's `seq` of the last event a
-- projection took from a source (the relay's Ishc-Seq header). A consistency token names a
-- stream version; its event's `seq` in the store, against this, says whether a read model
-- reflects the write, whichever table the query reads.
ALTER TABLE projection_checkpoints ADD COLUMN store_seq bigint;
