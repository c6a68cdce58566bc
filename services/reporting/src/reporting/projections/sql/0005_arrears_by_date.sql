-- Arrears and PAR on a reporting date are computed from business dates (issue #19): the
-- schedule with its interest, the repayments received by that date, the pause windows and the
-- product's arrears tolerance. rpt_loan_arrears (the scheduler's alerts) is no longer read.
ALTER TABLE rpt_installments ADD COLUMN interest bigint NOT NULL DEFAULT 0;

CREATE TABLE rpt_loan_terms (
    loan_id           uuid   PRIMARY KEY,
    arrears_tolerance bigint NOT NULL
);

CREATE TABLE rpt_loan_pauses (
    loan_id   uuid NOT NULL,
    starts_on date NOT NULL,
    ends_on   date NOT NULL,
    PRIMARY KEY (loan_id, starts_on)
);

-- Interest, tolerance and pauses need the whole history: reporting's finance projection
-- starts again from the first finance event on the next start (ADR 0040).
TRUNCATE rpt_funds, rpt_club_money, rpt_loans, rpt_installments, rpt_repayments,
    rpt_loan_arrears, rpt_assets, rpt_loan_terms, rpt_loan_pauses;
DELETE FROM projection_checkpoints WHERE projection = 'reporting_finance';
UPDATE parked_messages SET resolved_at = clock_timestamp(), resolution = 'rebuilt'
WHERE projection = 'reporting_finance' AND resolved_at IS NULL;
