-- Clubs going dormant, coming back or dissolved (N1 "active").
CREATE TABLE rpt_club_status (
    club_id    uuid NOT NULL,
    version    int  NOT NULL,
    changed_on date NOT NULL,
    status     text NOT NULL,
    PRIMARY KEY (club_id, version)
);
