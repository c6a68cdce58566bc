-- Write-offs and recoveries on the loan book; month closings; in-kind revolving support.
ALTER TABLE finance_loans
    ADD COLUMN written_off bigint NOT NULL DEFAULT 0,
    ADD COLUMN recovered   bigint NOT NULL DEFAULT 0;

CREATE TABLE finance_fund_closings (
    fund_id uuid NOT NULL,
    month   date NOT NULL,
    club_id uuid NOT NULL,
    opening bigint NOT NULL,
    inflow  bigint NOT NULL,
    outflow bigint NOT NULL,
    closing bigint NOT NULL,
    PRIMARY KEY (fund_id, month)
);

CREATE TABLE finance_in_kind (
    asset_id          uuid PRIMARY KEY,
    club_id           uuid NOT NULL,
    member_id         uuid NOT NULL,
    asset_type        text NOT NULL,
    value             bigint NOT NULL,
    lent_on           date NOT NULL,
    pass_on_due       date NOT NULL,
    previous_asset_id uuid,
    passed_on         date,
    version           int NOT NULL
);
CREATE INDEX finance_in_kind_club ON finance_in_kind (club_id);
