-- The pass-on of an in-kind asset is overdue (scheduler fact).
ALTER TABLE finance_in_kind ADD COLUMN overdue_since date;
