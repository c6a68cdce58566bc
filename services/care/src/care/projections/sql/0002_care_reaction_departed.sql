-- People whose membership ended, so a referral or an assignment that reaches the reaction
-- after the departure is still acted on (membership and care streams arrive independently).
CREATE TABLE care_reaction_departed (
    person_id uuid    PRIMARY KEY,
    left_on   date    NOT NULL,
    died      boolean NOT NULL
);
