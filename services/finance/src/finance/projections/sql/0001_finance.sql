-- Finance's own view of membership: who is an active member, which decisions were taken.
CREATE TABLE finance_members (
    member_id    uuid PRIMARY KEY,
    club_id      uuid NOT NULL,
    household_id uuid,
    status       text NOT NULL,          -- active | left
    joined_on    date NOT NULL,
    left_on      date,
    left_reason  text
);
CREATE INDEX finance_members_club ON finance_members (club_id);

CREATE TABLE finance_decisions (
    decision_id uuid PRIMARY KEY,
    meeting_id  uuid NOT NULL,
    club_id     uuid NOT NULL,
    kind        text NOT NULL,
    subject_id  uuid
);

CREATE TABLE finance_clubs (
    club_id     uuid PRIMARY KEY,
    meeting_day int
);

-- Fund balances and the monthly statement (ledger: policy "stop").
CREATE TABLE finance_funds (
    fund_id   uuid PRIMARY KEY,
    club_id   uuid NOT NULL,
    fund_type text,
    cash      bigint NOT NULL,
    version   int NOT NULL
);

CREATE TABLE finance_fund_months (
    fund_id  uuid NOT NULL,
    month    date NOT NULL,                -- first day of the month
    club_id  uuid NOT NULL,
    inflow   bigint NOT NULL,
    outflow  bigint NOT NULL,
    PRIMARY KEY (fund_id, month)
);

-- The loan book with arrears.
CREATE TABLE finance_loans (
    loan_id               uuid PRIMARY KEY,
    club_id               uuid NOT NULL,
    member_id             uuid NOT NULL,
    status                text NOT NULL,
    principal             bigint NOT NULL,
    principal_paid        bigint NOT NULL DEFAULT 0,
    interest_paid         bigint NOT NULL DEFAULT 0,
    disbursed_on          date,
    closed_on             date,
    days_overdue          int NOT NULL DEFAULT 0,
    bucket                text,
    case_open             boolean NOT NULL DEFAULT false,
    version               int NOT NULL
);
CREATE INDEX finance_loans_member ON finance_loans (member_id);
CREATE INDEX finance_loans_club ON finance_loans (club_id);

CREATE TABLE finance_installments (
    loan_id   uuid NOT NULL,
    number    int NOT NULL,
    due_on    date NOT NULL,
    principal bigint NOT NULL,
    interest  bigint NOT NULL,
    PRIMARY KEY (loan_id, number)
);
