-- Birth dates are kept sealed with membership's key (granted: ADR 0052): ciphertext is text.
-- The check-up coverage query selects the members aged 60 after opening them.
ALTER TABLE care_members ALTER COLUMN birth_date TYPE text USING birth_date::text;
