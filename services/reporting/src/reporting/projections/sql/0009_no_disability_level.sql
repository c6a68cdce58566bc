-- Indicators count people with a disability from the assessment's date (disability_on); the
-- level is sensitive and no indicator reads it, so reporting no longer keeps it.
ALTER TABLE rpt_members DROP COLUMN disability_level;
