-- Visits per recipient-week (issue #19): the visits of each case's week, counted from the
-- visits themselves. The count a week's verdict carried is what was known when it was judged,
-- so a visit keyed in after the verdict (that does not change it) was missing or not,
-- depending on entry order.
CREATE TABLE rpt_care_week_visits (
    case_id        uuid NOT NULL,
    week_starts_on date NOT NULL,
    visits         int  NOT NULL,
    PRIMARY KEY (case_id, week_starts_on)
);

-- Needs every visit again: reporting's care projection starts from the first care event on
-- the next start (ADR 0040).
TRUNCATE rpt_care_cases, rpt_care_weeks, rpt_visits, rpt_health_checks, rpt_care_week_visits;
DELETE FROM projection_checkpoints WHERE projection = 'reporting_care';
UPDATE parked_messages SET resolved_at = clock_timestamp(), resolution = 'rebuilt'
WHERE projection = 'reporting_care' AND resolved_at IS NULL;
