-- Access audit (ADR 0053): reads of personal data through the gateway, projected from the
-- gateway's AccessRecorded facts. Ids, field names, categories and codes only: no values.
CREATE TABLE IF NOT EXISTS access_audit (
    access_id uuid PRIMARY KEY,
    read_at timestamptz NOT NULL,
    principal_id text NOT NULL,
    role text NOT NULL,
    route text NOT NULL,
    purpose text NOT NULL,
    subject_ids uuid[] NOT NULL,
    field_names text[] NOT NULL,
    categories text[] NOT NULL,
    correlation_id uuid,
    part integer NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS access_audit_subjects ON access_audit USING gin (subject_ids);
CREATE INDEX IF NOT EXISTS access_audit_read_at ON access_audit (read_at);
