-- Consents as a service knows them from membership's ConsentGiven / ConsentWithdrawn
-- (ishc_runtime.consent): what a service checks before processing for a purpose that needs
-- consent. Business dates; the payload of a command never decides it.
CREATE TABLE IF NOT EXISTS consents (
    consent_id   uuid PRIMARY KEY,
    person_id    uuid NOT NULL,
    club_id      uuid,
    purpose      text NOT NULL,
    given_on     date NOT NULL,
    withdrawn_on date
);
CREATE INDEX IF NOT EXISTS consents_person ON consents (person_id, purpose);
