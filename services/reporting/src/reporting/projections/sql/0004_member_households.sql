-- A member's household over time. Reports on a past period count the household a member
-- belonged to then (poverty status, poor families supported, N13 households helped), not the
-- one they moved to since. One row per event that set it: joining (from the joining date) and
-- each profile update that changed or cleared it (from the day it happened, in Viet Nam).
-- At a given day the member's household is the row of highest stream version in force.
CREATE TABLE rpt_member_households (
    member_id    uuid NOT NULL,
    version      bigint NOT NULL,
    valid_from   date NOT NULL,
    household_id uuid,
    PRIMARY KEY (member_id, version)
);

-- Read models built before this table existed keep their members' current household from the
-- day they joined (version 0 sorts before every event); rebuilding reporting_membership
-- replaces it with the full history.
INSERT INTO rpt_member_households (member_id, version, valid_from, household_id)
SELECT member_id, 0, joined_on, household_id FROM rpt_members;

-- The household now lives here only: a copy on the member would be today's, which no report
-- may use, kept up to date for nothing.
ALTER TABLE rpt_members DROP COLUMN household_id;
