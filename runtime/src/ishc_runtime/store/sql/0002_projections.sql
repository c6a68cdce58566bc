-- Written in the same transaction as a projection's rows: exactly-once effect.
CREATE TABLE projection_checkpoints (
    projection text        NOT NULL,
    source     text        NOT NULL,
    stream_seq bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (projection, source)
);

-- Messages a projection could not apply. `disposition`: parked (skipped, the projection went
-- on) or blocking (the projection stopped on it). `resolved_at` is set by a redrive.
CREATE TABLE parked_messages (
    id           bigserial   PRIMARY KEY,
    projection   text        NOT NULL,
    source       text        NOT NULL,
    stream_seq   bigint      NOT NULL,
    subject      text        NOT NULL,
    event_id     uuid,
    event_type   text,
    reason       text        NOT NULL,
    detail       text        NOT NULL,
    payload      bytea       NOT NULL,
    headers      jsonb       NOT NULL DEFAULT '{}',
    disposition  text        NOT NULL CHECK (disposition IN ('parked', 'blocking')),
    attempts     integer     NOT NULL DEFAULT 1,
    parked_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolved_at  timestamptz,
    resolution   text,
    UNIQUE (projection, source, stream_seq)
);
CREATE INDEX parked_messages_open ON parked_messages (projection) WHERE resolved_at IS NULL;
