-- Disability levels and household poverty statuses are kept sealed with membership's keys
-- (granted: ADR 0052), as birth dates are (0003); a screening opens them when it gathers the
-- facts. A status whose key was destroyed is unknown (NULL). Rows projected before stay as
-- they were until the next assessment or certificate replaces them (docs/privacy.md).
ALTER TABLE advocacy_household_status ALTER COLUMN status DROP NOT NULL;
