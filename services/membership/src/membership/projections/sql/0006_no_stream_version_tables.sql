-- Read-your-writes is the runtime's (ishc_runtime.service.consistency.reflects, ADR 0034):
-- a token is checked against the store seq each projection has taken. The per-projection
-- tables of the last version applied per stream, which the queries waited on before, have
-- had no reader since; the projections no longer write them.
DROP TABLE IF EXISTS membership_roster_streams;
DROP TABLE IF EXISTS membership_people_streams;
DROP TABLE IF EXISTS membership_composition_streams;
DROP TABLE IF EXISTS membership_attendance_streams;
