-- A loan on a date before it was rescheduled is read with the schedule in force that day
-- (issue #19): each schedule is kept with the day it took effect (the disbursement, then each
-- rescheduling) instead of the new one replacing the old.
ALTER TABLE finance_installments ADD COLUMN valid_from date;
ALTER TABLE finance_installments DROP CONSTRAINT finance_installments_pkey;

-- The schedules replaced so far are gone: the loan book starts again from its streams' first
-- event on the next start (ADR 0040).
TRUNCATE finance_loans, finance_installments, finance_repayments, finance_loan_pauses;
DELETE FROM projection_checkpoints WHERE projection = 'finance_loan_book';
UPDATE parked_messages SET resolved_at = clock_timestamp(), resolution = 'rebuilt'
WHERE projection = 'finance_loan_book' AND resolved_at IS NULL;

ALTER TABLE finance_installments ALTER COLUMN valid_from SET NOT NULL;
ALTER TABLE finance_installments ADD PRIMARY KEY (loan_id, valid_from, number);
