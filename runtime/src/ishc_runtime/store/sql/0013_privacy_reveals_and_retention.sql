-- Operators' reveals of sensitive fields (`ishc events show|tail --reveal`, `ishc dlq show
-- --reveal`): who, when, what, the stream and the person it is about when known. Written in
-- the store that was read, before anything is shown; a reveal that cannot be recorded shows
-- nothing. Names and ids only.
CREATE TABLE IF NOT EXISTS privacy_reveals (
    reveal_id   bigserial   PRIMARY KEY,
    revealed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    operator    text        NOT NULL,
    host        text,
    target      text        NOT NULL,
    stream_id   text,
    person_id   uuid
);
CREATE INDEX IF NOT EXISTS privacy_reveals_person ON privacy_reveals (person_id)
    WHERE person_id IS NOT NULL;

-- Retention periods ended here (ExpireRetention, from the `retention` reference list): which
-- rule, which stream and category, the business dates, how many keys went. Kept after the data.
CREATE TABLE IF NOT EXISTS privacy_retention (
    command_id     uuid        PRIMARY KEY,
    rule           text        NOT NULL,
    subject        text        NOT NULL,
    category       text        NOT NULL,
    started_on     date        NOT NULL,
    ends_on        date        NOT NULL,
    keys_destroyed integer     NOT NULL,
    expired_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS privacy_retention_subject ON privacy_retention (subject);
