-- Read models of the care service (projections/cases.py, checkups.py, application/reactions.py).

CREATE TABLE care_cases (
    case_id             uuid    PRIMARY KEY,
    club_id             uuid    NOT NULL,
    person_id           uuid    NOT NULL,
    member_id           uuid,
    full_name           text    NOT NULL,
    status              text    NOT NULL,
    referred_on         date    NOT NULL,
    plan_id             uuid,
    visits_per_week     integer,
    starts_on           date,
    volunteer_ids       uuid[]  NOT NULL DEFAULT '{}',
    reassignment_needed boolean NOT NULL DEFAULT false,
    escalations         integer NOT NULL DEFAULT 0,
    closed_on           date,
    closed_reason       text,
    version             integer NOT NULL
);
CREATE INDEX care_cases_club ON care_cases (club_id, status);

-- One row per visit id: done (counted), merged (an offline duplicate, not counted), missed.
CREATE TABLE care_visits (
    visit_id      uuid   PRIMARY KEY,
    case_id       uuid   NOT NULL,
    club_id       uuid   NOT NULL,
    volunteer_ids uuid[] NOT NULL DEFAULT '{}',
    visited_on    date   NOT NULL,
    iso_week      text   NOT NULL,
    status        text   NOT NULL,
    merged_into   uuid
);
CREATE INDEX care_visits_week ON care_visits (case_id, iso_week);
CREATE INDEX care_visits_club_week ON care_visits (club_id, iso_week);

-- Closed recipient-weeks; `met_late` marks a miss turned into a hit by a late visit.
CREATE TABLE care_weeks (
    case_id        uuid    NOT NULL,
    iso_week       text    NOT NULL,
    club_id        uuid    NOT NULL,
    week_starts_on date,
    required       integer NOT NULL,
    done           integer NOT NULL,
    met            boolean NOT NULL,
    met_late       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (case_id, iso_week)
);
CREATE INDEX care_weeks_club ON care_weeks (club_id, iso_week);

-- Care's own view of membership (never membership's tables): ages and clubs for check-ups.
CREATE TABLE care_members (
    member_id  uuid    PRIMARY KEY,
    person_id  uuid    NOT NULL,
    club_id    uuid    NOT NULL,
    full_name  text    NOT NULL,
    birth_date date,
    active     boolean NOT NULL DEFAULT true
);
CREATE INDEX care_members_club ON care_members (club_id);

CREATE TABLE care_health_checks (
    check_id   uuid PRIMARY KEY,
    person_id  uuid NOT NULL,
    club_id    uuid NOT NULL,
    checked_on date NOT NULL
);
CREATE INDEX care_health_checks_person ON care_health_checks (person_id, checked_on);

-- What the membership reaction needs to find the cases a person or volunteer is on.
CREATE TABLE care_reaction_cases (
    case_id   uuid    PRIMARY KEY,
    person_id uuid    NOT NULL,
    open      boolean NOT NULL DEFAULT true
);
CREATE INDEX care_reaction_cases_person ON care_reaction_cases (person_id);

CREATE TABLE care_reaction_volunteers (
    volunteer_id uuid PRIMARY KEY,
    person_id    uuid NOT NULL
);
CREATE INDEX care_reaction_volunteers_person ON care_reaction_volunteers (person_id);

CREATE TABLE care_reaction_assignments (
    case_id      uuid NOT NULL,
    volunteer_id uuid NOT NULL,
    PRIMARY KEY (case_id, volunteer_id)
);
CREATE INDEX care_reaction_assignments_volunteer ON care_reaction_assignments (volunteer_id);
