-- A loan's figures on a date before it was rescheduled are read with the schedule in force
-- that day (issue #19): each schedule is kept with the day it took effect (the disbursement,
-- then each rescheduling) instead of the new one replacing the old.
ALTER TABLE rpt_installments ADD COLUMN valid_from date;
ALTER TABLE rpt_installments DROP CONSTRAINT rpt_installments_pkey;

-- The schedules replaced so far are gone: reporting's finance projection starts again from
-- the first finance event on the next start (ADR 0040).
TRUNCATE rpt_funds, rpt_club_money, rpt_loans, rpt_installments, rpt_repayments,
    rpt_loan_arrears, rpt_assets, rpt_loan_terms, rpt_loan_pauses;
DELETE FROM projection_checkpoints WHERE projection = 'reporting_finance';
UPDATE parked_messages SET resolved_at = clock_timestamp(), resolution = 'rebuilt'
WHERE projection = 'reporting_finance' AND resolved_at IS NULL;

ALTER TABLE rpt_installments ALTER COLUMN valid_from SET NOT NULL;
ALTER TABLE rpt_installments ADD PRIMARY KEY (loan_id, valid_from, number);
