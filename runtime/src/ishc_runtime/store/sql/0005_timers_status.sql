-- Timer outcomes besides "fired" (0003 only had fired_at), kept as instants so operators can
-- see when each happened:
--   retry_at     after a failed dispatch, not before this instant (backoff between attempts);
--   failed_at    gave up after the scheduler's max attempts: skipped until rescheduled;
--   cancelled_at cancelled before it fired. The row stays as a tombstone, so a late or
--                repeated `schedule` of the same key (a redelivered reaction) cannot revive it.
ALTER TABLE timers
    ADD COLUMN retry_at     timestamptz,
    ADD COLUMN failed_at    timestamptz,
    ADD COLUMN cancelled_at timestamptz;

-- The scheduler only ever looks for pending timers: index exactly those.
DROP INDEX timers_due;
CREATE INDEX timers_pending ON timers (due_at)
    WHERE fired_at IS NULL AND failed_at IS NULL AND cancelled_at IS NULL;
