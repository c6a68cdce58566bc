-- Durable timers: a due command per key; firing appends through the normal command path.
CREATE TABLE timers (
    key        text        PRIMARY KEY,
    due_at     timestamptz NOT NULL,
    command    jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    fired_at   timestamptz,
    attempts   integer     NOT NULL DEFAULT 0,
    last_error text
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;
