-- Data keys for field-level encryption (ishc_runtime.privacy, ADR 0051). One per (subject,
-- category): the subject is the stream the sealed values were written to, the category the
-- kind of personal data. `wrapped` is the key encrypted by the master key `master_key_id`;
-- both are NULL once the key is destroyed (erasure): the row stays, so "erased" can be told
-- from "never had a key".
CREATE TABLE IF NOT EXISTS privacy_keys (
    subject       text        NOT NULL,
    category      text        NOT NULL,
    person_id     uuid,
    master_key_id text,
    wrapped       bytea,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    destroyed_at  timestamptz,
    PRIMARY KEY (subject, category),
    CHECK ((wrapped IS NULL) = (master_key_id IS NULL))
);
CREATE INDEX IF NOT EXISTS privacy_keys_person ON privacy_keys (person_id);
CREATE INDEX IF NOT EXISTS privacy_keys_master ON privacy_keys (master_key_id)
    WHERE wrapped IS NOT NULL;

-- Erasures done here (EraseSubject): who, why, on what legal basis. Personal data erased, the
-- record of the erasure kept: it is what answers a data subject's or an inspector's question.
CREATE TABLE IF NOT EXISTS privacy_erasures (
    command_id     uuid        PRIMARY KEY,
    person_id      uuid        NOT NULL,
    other_ids      uuid[]      NOT NULL DEFAULT '{}',
    actor          text        NOT NULL,
    reason         text        NOT NULL,
    legal_basis    text        NOT NULL,
    keys_destroyed integer     NOT NULL,
    erased_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS privacy_erasures_person ON privacy_erasures (person_id);
