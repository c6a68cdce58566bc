-- The ethnic-minority flag is kept sealed as the event's own ciphertext (keep_text, like the
-- birth date in 0003): an erasure then makes it unreadable here as everywhere, and a rebuild
-- writes what the live read model holds. Flags stored before stay readable as 'true' or
-- 'false' until the read models are rebuilt (`ishc projections rebuild membership
-- membership_roster`, then membership_people).
ALTER TABLE membership_roster ALTER COLUMN ethnic_minority TYPE text USING ethnic_minority::text;
ALTER TABLE membership_people ALTER COLUMN ethnic_minority TYPE text USING ethnic_minority::text;
