-- Arrears, ageing and outstanding principal on any date are computed when read, from business
-- dates: the schedule, each repayment's received_on and the pause windows (issue #19). The
-- days_overdue/bucket columns of finance_loans stay as the scheduler's last alert.
ALTER TABLE finance_loans ADD COLUMN arrears_tolerance bigint NOT NULL DEFAULT 0;

CREATE TABLE finance_repayments (
    repayment_id uuid PRIMARY KEY,
    loan_id      uuid   NOT NULL,
    club_id      uuid   NOT NULL,
    received_on  date   NOT NULL,
    amount       bigint NOT NULL             -- principal + interest
);
CREATE INDEX finance_repayments_club ON finance_repayments (club_id);
CREATE INDEX finance_repayments_loan ON finance_repayments (loan_id);

CREATE TABLE finance_loan_pauses (
    loan_id   uuid NOT NULL,
    club_id   uuid NOT NULL,
    starts_on date NOT NULL,
    ends_on   date NOT NULL,
    PRIMARY KEY (loan_id, starts_on)
);
CREATE INDEX finance_loan_pauses_club ON finance_loan_pauses (club_id);

-- Fund postings per day (business date): a statement as of any day, not only month ends.
CREATE TABLE finance_fund_days (
    fund_id  uuid   NOT NULL,
    day      date   NOT NULL,
    club_id  uuid   NOT NULL,
    inflow   bigint NOT NULL,
    outflow  bigint NOT NULL,
    PRIMARY KEY (fund_id, day)
);
CREATE INDEX finance_fund_days_club ON finance_fund_days (club_id);

-- The new columns and tables need the whole history: the loan book and the fund projection
-- start again from their streams' first event on the next start (what
-- ishc_runtime.projections.rebuild.reset_projection does; see ADR 0040).
TRUNCATE finance_loans, finance_installments, finance_repayments, finance_loan_pauses,
    finance_funds, finance_fund_months, finance_fund_days, finance_fund_closings;
DELETE FROM projection_checkpoints WHERE projection IN ('finance_loan_book', 'finance_funds');
UPDATE parked_messages SET resolved_at = clock_timestamp(), resolution = 'rebuilt'
WHERE projection IN ('finance_loan_book', 'finance_funds') AND resolved_at IS NULL;
