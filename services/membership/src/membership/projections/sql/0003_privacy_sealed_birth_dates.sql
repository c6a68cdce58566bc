-- Birth dates are kept sealed with the member's key (ishc_runtime.privacy.protect_text, ADR
-- 0051): ciphertext is text. Ages are computed by the queries after opening.
ALTER TABLE membership_roster ALTER COLUMN birth_date TYPE text USING birth_date::text;
ALTER TABLE membership_people ALTER COLUMN birth_date TYPE text USING birth_date::text;
ALTER TABLE membership_composition_members ALTER COLUMN birth_date TYPE text USING birth_date::text;
