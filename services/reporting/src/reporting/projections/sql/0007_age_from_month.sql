-- Reporting keeps no birth dates (issue #20): only the month a member turns 60, the one age
-- fact its indicators need. Reporting dates are month ends, so "60 or older on the reporting
-- date" is exactly "turns 60 in that month or before".
ALTER TABLE rpt_members ADD COLUMN sixty_from date;
UPDATE rpt_members
SET sixty_from = date_trunc('month', birth_date + interval '60 years')::date
WHERE birth_date IS NOT NULL;
-- The dropped column's old values stay in dead tuples until the table is rewritten: the
-- upgrade notes (docs/privacy.md) ask for VACUUM FULL rpt_members once after this migration.
ALTER TABLE rpt_members DROP COLUMN birth_date;
