-- The ownership directory (ishc_runtime.ownership, ADR 0033): which club each object id this
-- service sees belongs to. One row per (object, club, stream that placed it); `version` is that
-- stream's version, so an older event replayed late changes nothing.
CREATE TABLE finance_ownership (
    kind      text    NOT NULL,
    object_id uuid    NOT NULL,
    club_id   uuid    NOT NULL,
    source    text    NOT NULL,
    version   integer NOT NULL,
    active    boolean NOT NULL,
    PRIMARY KEY (kind, object_id, club_id, source)
);
