-- The service's source of truth. `pos` is insertion order (taken at INSERT, so concurrent
-- writers commit it out of order); `seq` is set after commit by the single sequencer and is
-- the gap-free, commit-ordered position the relay publishes by (DESIGN §4).
CREATE TABLE events (
    pos            bigserial   PRIMARY KEY,
    seq            bigint,
    event_id       uuid        NOT NULL,
    stream_id      text        NOT NULL,
    stream_type    text        NOT NULL,
    version        integer     NOT NULL CHECK (version >= 1),
    type           text        NOT NULL,
    schema_version integer     NOT NULL CHECK (schema_version >= 1),
    data           jsonb       NOT NULL,
    metadata       jsonb       NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);
CREATE UNIQUE INDEX events_seq_key ON events (seq);
CREATE INDEX events_unsequenced ON events (pos) WHERE seq IS NULL;

-- Idempotent commands: the first result is kept, a repeat returns it and appends nothing.
CREATE TABLE commands (
    command_id  uuid        PRIMARY KEY,
    result      jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- One snapshot per stream; ignored when its state_version differs from the code's.
CREATE TABLE snapshots (
    stream_id     text        PRIMARY KEY,
    stream_type   text        NOT NULL,
    version       integer     NOT NULL,
    state_version integer     NOT NULL,
    state         jsonb       NOT NULL,
    taken_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- How far the relay has published into JetStream (by `seq`).
CREATE TABLE relay_checkpoints (
    stream     text        PRIMARY KEY,
    seq        bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
