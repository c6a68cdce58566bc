-- Facts reporting derives from sealed personal data (the month a member turns 60, the
-- ethnic-minority flag, a household's poverty status), by the event they came from, so a
-- rebuild after the person's keys are destroyed counts the person as before
-- (reporting.projections.retained, ADR 0071). None of the projections' tables: no rebuild
-- drops it.
CREATE TABLE rpt_retained_facts (
    event_id uuid NOT NULL,
    fact     text NOT NULL,
    value    text NOT NULL,
    PRIMARY KEY (event_id, fact)
);
