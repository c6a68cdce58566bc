-- Advocacy's own view of people (from membership events): what the rules read.
CREATE TABLE advocacy_people (
    person_id        uuid PRIMARY KEY,
    member_id        uuid,
    club_id          uuid NOT NULL,
    household_id     uuid,
    birth_date       date,
    disability_level text,
    left_on          date,
    leave_reason     text
);

CREATE TABLE advocacy_household_status (
    household_id uuid NOT NULL,
    valid_from   date NOT NULL,
    valid_to     date,
    status       text NOT NULL,
    standard     text NOT NULL,
    PRIMARY KEY (household_id, valid_from)
);

CREATE TABLE advocacy_household_members (
    household_id uuid NOT NULL,
    person_id    uuid NOT NULL,
    PRIMARY KEY (household_id, person_id)
);

-- Entitlement cases by stage (open claims, households helped).
CREATE TABLE advocacy_claims (
    case_id         uuid PRIMARY KEY,
    person_id       uuid NOT NULL,
    club_id         uuid NOT NULL,
    scheme          text NOT NULL,
    stage           text NOT NULL,
    opened_on       date NOT NULL,
    flags           text[] NOT NULL DEFAULT '{}',
    submitted_on    date,
    office          text,
    decision_due_on date,
    overdue         boolean NOT NULL DEFAULT false,
    approved_on     date,
    monthly_amount  bigint,
    lump_sum        bigint,
    closed_on       date,
    version         integer NOT NULL
);
CREATE INDEX advocacy_claims_club ON advocacy_claims (club_id, stage);
CREATE INDEX advocacy_claims_person ON advocacy_claims (person_id, scheme);

-- The latest screening per person and scheme (the outreach worklist reads it).
CREATE TABLE advocacy_latest_screenings (
    person_id               uuid NOT NULL,
    scheme                  text NOT NULL,
    club_id                 uuid NOT NULL,
    member_id               uuid,
    screening_id            uuid NOT NULL,
    as_of                   date NOT NULL,
    result                  text NOT NULL,
    expected_monthly_amount bigint,
    rule_version            text NOT NULL,
    parameters_version      text,
    reasons                 text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (person_id, scheme)
);
CREATE INDEX advocacy_latest_screenings_club ON advocacy_latest_screenings (club_id, result);
