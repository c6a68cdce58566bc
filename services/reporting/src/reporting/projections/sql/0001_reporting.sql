-- Reporting facts, kept per club / person / loan / month. Indicators are computed from these
-- by SQL at query time, for any period, level and admin map (see reporting.application).

-- Clubs with their unit in both admin maps (legacy_63 and 2025_34); either may be unknown.
CREATE TABLE rpt_clubs (
    club_id             uuid PRIMARY KEY,
    name                text NOT NULL,
    founded_on          date NOT NULL,
    activity_areas      int  NOT NULL DEFAULT 0,
    legacy_province     text,
    legacy_province_name text,
    legacy_ward         text,
    legacy_ward_name    text,
    new_province        text,
    new_province_name   text,
    new_ward            text,
    new_ward_name       text
);

-- One row per membership. Categories are independent flags (never a partition).
CREATE TABLE rpt_members (
    member_id        uuid PRIMARY KEY,
    club_id          uuid NOT NULL,
    person_id        uuid NOT NULL,
    household_id     uuid,
    sex              text NOT NULL,
    birth_date       date,
    joined_on        date NOT NULL,
    left_on          date,
    womens_union     boolean NOT NULL DEFAULT false,
    ethnic_minority  boolean NOT NULL DEFAULT false,
    disability_on    date,
    disability_level text
);
CREATE INDEX rpt_members_club ON rpt_members (club_id);
CREATE INDEX rpt_members_person ON rpt_members (person_id);
CREATE INDEX rpt_members_household ON rpt_members (household_id);

-- Certified poverty status of a household, effective-dated.
CREATE TABLE rpt_household_status (
    household_id uuid NOT NULL,
    valid_from   date NOT NULL,
    valid_to     date,
    status       text NOT NULL,
    club_id      uuid NOT NULL,
    PRIMARY KEY (household_id, valid_from)
);

CREATE TABLE rpt_volunteers (
    volunteer_id  uuid PRIMARY KEY,
    club_id       uuid NOT NULL,
    registered_on date NOT NULL
);

CREATE TABLE rpt_meetings (
    meeting_id uuid PRIMARY KEY,
    club_id    uuid NOT NULL,
    held_on    date NOT NULL
);

-- Finance.
CREATE TABLE rpt_funds (
    fund_id   uuid PRIMARY KEY,
    club_id   uuid NOT NULL,
    fund_type text NOT NULL,
    first_on  date NOT NULL
);

-- Money per club and month by kind: interest, fee, capital:<source>:<fund_type>, aid.
CREATE TABLE rpt_club_money (
    club_id uuid   NOT NULL,
    month   date   NOT NULL,
    kind    text   NOT NULL,
    amount  bigint NOT NULL,
    PRIMARY KEY (club_id, month, kind)
);

CREATE TABLE rpt_loans (
    loan_id          uuid PRIMARY KEY,
    club_id          uuid NOT NULL,
    member_id        uuid NOT NULL,
    principal        bigint NOT NULL,
    disbursed_on     date NOT NULL,
    repaid_on        date,
    written_off_on   date,
    written_off      bigint NOT NULL DEFAULT 0
);
CREATE INDEX rpt_loans_club ON rpt_loans (club_id);
CREATE INDEX rpt_loans_member ON rpt_loans (member_id);

CREATE TABLE rpt_installments (
    loan_id   uuid   NOT NULL,
    number    int    NOT NULL,
    due_on    date   NOT NULL,
    principal bigint NOT NULL,
    PRIMARY KEY (loan_id, number)
);

CREATE TABLE rpt_repayments (
    repayment_id uuid PRIMARY KEY,
    loan_id      uuid   NOT NULL,
    club_id      uuid   NOT NULL,
    received_on  date   NOT NULL,
    principal    bigint NOT NULL,
    interest     bigint NOT NULL
);
CREATE INDEX rpt_repayments_loan ON rpt_repayments (loan_id);

-- Arrears transitions: 'overdue' (entering a bucket) or 'current'.
CREATE TABLE rpt_loan_arrears (
    loan_id      uuid NOT NULL,
    as_of        date NOT NULL,
    kind         text NOT NULL,
    days_overdue int  NOT NULL,
    version      int  NOT NULL,
    PRIMARY KEY (loan_id, version)
);

CREATE TABLE rpt_assets (
    asset_id  uuid PRIMARY KEY,
    club_id   uuid   NOT NULL,
    member_id uuid   NOT NULL,
    value     bigint NOT NULL,
    lent_on   date   NOT NULL
);

-- Care.
CREATE TABLE rpt_care_cases (
    case_id         uuid PRIMARY KEY,
    club_id         uuid NOT NULL,
    person_id       uuid NOT NULL,
    member_id       uuid,
    referred_on     date NOT NULL,
    plan_starts_on  date,
    visits_per_week int,
    closed_on       date
);

CREATE TABLE rpt_care_weeks (
    case_id         uuid NOT NULL,
    club_id         uuid NOT NULL,
    week_starts_on  date NOT NULL,
    met             boolean NOT NULL,
    visits_done     int NOT NULL,
    PRIMARY KEY (case_id, week_starts_on)
);

CREATE TABLE rpt_visits (
    club_id uuid NOT NULL,
    month   date NOT NULL,
    visits  int  NOT NULL,
    PRIMARY KEY (club_id, month)
);

CREATE TABLE rpt_health_checks (
    check_id   uuid PRIMARY KEY,
    club_id    uuid NOT NULL,
    person_id  uuid NOT NULL,
    checked_on date NOT NULL
);
CREATE INDEX rpt_health_checks_person ON rpt_health_checks (person_id);

-- Advocacy.
CREATE TABLE rpt_entitlement_cases (
    case_id     uuid PRIMARY KEY,
    club_id     uuid NOT NULL,
    person_id   uuid NOT NULL,
    scheme      text NOT NULL,
    opened_on   date NOT NULL,
    approved_on date,
    rejected_on date
);
