-- Data keys handed to another service under a grant (ADR 0052), for the access report: which
-- reader got the key of which stream and category (so could open that person's data), first
-- and last time, how often. A reader keeps keys for up to 30 s (`SubjectKeys.max_age`), so a
-- row counts handovers, not each read. Written by the owner as it answers. Names and ids only.
CREATE TABLE IF NOT EXISTS privacy_grants_served (
    reader          text        NOT NULL,
    subject         text        NOT NULL,
    category        text        NOT NULL,
    person_id       uuid,
    first_served_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_served_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    times           bigint      NOT NULL DEFAULT 1,
    PRIMARY KEY (reader, subject, category)
);
CREATE INDEX IF NOT EXISTS privacy_grants_served_person ON privacy_grants_served (person_id)
    WHERE person_id IS NOT NULL;
