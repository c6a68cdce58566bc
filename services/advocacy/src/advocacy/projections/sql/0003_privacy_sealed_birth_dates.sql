-- Birth dates are kept sealed with membership's key (granted: ADR 0052): ciphertext is text.
-- A screening opens the person's birth date when it gathers the facts.
ALTER TABLE advocacy_people ALTER COLUMN birth_date TYPE text USING birth_date::text;
