-- Membership read models. Each projection owns its tables (a rebuild truncates exactly
-- these) and a <projection>_streams table: the last version applied per source stream,
-- which is what a read-your-writes query waits on.

-- membership_roster
CREATE TABLE membership_clubs (
    club_id         uuid PRIMARY KEY,
    name            text NOT NULL,
    admin_unit      text NOT NULL,
    founded_on      date NOT NULL,
    status          text NOT NULL,
    charter_version integer NOT NULL DEFAULT 0,
    meeting_day     integer
);
CREATE TABLE membership_club_units (
    club_id       uuid NOT NULL,
    scheme        text NOT NULL,
    province_code text NOT NULL,
    province_name text NOT NULL,
    district_code text,
    district_name text,
    ward_code     text NOT NULL,
    ward_name     text NOT NULL,
    valid_from    date,
    valid_to      date,
    PRIMARY KEY (club_id, scheme)
);
CREATE TABLE membership_roster (
    member_id       uuid PRIMARY KEY,
    person_id       uuid NOT NULL,
    club_id         uuid NOT NULL,
    full_name       text NOT NULL,
    sex             text NOT NULL,
    birth_date      date,
    household_id    uuid,
    village         text,
    joined_on       date NOT NULL,
    left_on         date,
    leave_reason    text,
    womens_union    boolean,
    ethnic_minority boolean,
    has_disability  boolean NOT NULL DEFAULT false
);
CREATE INDEX membership_roster_club ON membership_roster (club_id);
CREATE INDEX membership_roster_person ON membership_roster (person_id);
CREATE TABLE membership_board_seats (
    club_id       uuid NOT NULL,
    board_term_id uuid NOT NULL,
    member_id     uuid NOT NULL,
    role          text NOT NULL,
    PRIMARY KEY (club_id, role, member_id)
);
CREATE TABLE membership_roster_volunteers (
    volunteer_id           uuid PRIMARY KEY,
    club_id                uuid NOT NULL,
    person_id              uuid NOT NULL,
    member_id              uuid,
    full_name              text NOT NULL,
    registered_on          date NOT NULL,
    skills                 text[] NOT NULL,
    participation_level    text,
    confidentiality_signed boolean NOT NULL
);
CREATE TABLE membership_roster_households (
    household_id uuid NOT NULL,
    version      integer NOT NULL,
    status       text NOT NULL,
    valid_from   date NOT NULL,
    valid_to     date,
    PRIMARY KEY (household_id, version)
);
CREATE TABLE membership_roster_streams (stream_id text PRIMARY KEY, version integer NOT NULL);

-- membership_people
CREATE TABLE membership_people (
    person_id       uuid PRIMARY KEY,
    full_name       text NOT NULL,
    sex             text NOT NULL,
    birth_date      date,
    village         text,
    household_id    uuid,
    womens_union    boolean,
    ethnic_minority boolean,
    has_disability  boolean NOT NULL DEFAULT false,
    -- Sensitive values stay in the (to be encrypted) events; the profile says only whether
    -- they are on file.
    has_id_number   boolean NOT NULL DEFAULT false,
    has_phone       boolean NOT NULL DEFAULT false
);
CREATE TABLE membership_people_memberships (
    member_id    uuid PRIMARY KEY,
    person_id    uuid NOT NULL,
    club_id      uuid NOT NULL,
    joined_on    date NOT NULL,
    left_on      date,
    leave_reason text
);
CREATE TABLE membership_people_consents (
    consent_id   uuid PRIMARY KEY,
    person_id    uuid NOT NULL,
    club_id      uuid NOT NULL,
    purpose      text NOT NULL,
    given_on     date NOT NULL,
    withdrawn_on date
);
CREATE TABLE membership_people_streams (stream_id text PRIMARY KEY, version integer NOT NULL);

-- membership_composition
CREATE TABLE membership_composition_members (
    member_id    uuid PRIMARY KEY,
    person_id    uuid NOT NULL,
    club_id      uuid NOT NULL,
    sex          text NOT NULL,
    birth_date   date,
    household_id uuid,
    joined_on    date NOT NULL,
    left_on      date
);
CREATE INDEX membership_composition_club ON membership_composition_members (club_id);
CREATE TABLE membership_composition_households (
    household_id uuid NOT NULL,
    version      integer NOT NULL,
    status       text NOT NULL,
    valid_from   date NOT NULL,
    valid_to     date,
    PRIMARY KEY (household_id, version)
);
CREATE TABLE membership_composition_streams (stream_id text PRIMARY KEY, version integer NOT NULL);

-- membership_attendance
CREATE TABLE membership_attendance_meetings (
    meeting_id uuid PRIMARY KEY,
    club_id    uuid NOT NULL,
    held_on    date NOT NULL,
    kind       text NOT NULL,
    guests     integer NOT NULL DEFAULT 0
);
CREATE TABLE membership_attendance_marks (
    meeting_id uuid NOT NULL,
    member_id  uuid NOT NULL,
    mark       text NOT NULL,  -- present | excused
    PRIMARY KEY (meeting_id, member_id)
);
CREATE TABLE membership_attendance_members (
    member_id uuid PRIMARY KEY,
    club_id   uuid NOT NULL,
    joined_on date NOT NULL,
    left_on   date
);
CREATE TABLE membership_attendance_decisions (
    decision_id uuid PRIMARY KEY,
    meeting_id  uuid NOT NULL,
    club_id     uuid NOT NULL,
    kind        text NOT NULL,
    summary     text NOT NULL,
    member_id   uuid,
    subject_id  uuid,
    amount      bigint
);
CREATE TABLE membership_attendance_streams (stream_id text PRIMARY KEY, version integer NOT NULL);
