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
