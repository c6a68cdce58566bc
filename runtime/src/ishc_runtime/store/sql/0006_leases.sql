-- Leases (ishc_runtime.leases): at most one active worker per role among a service's replicas,
-- fenced at every commit by (holder, epoch). Replaces session advisory locks, which died with
-- their session without the holder knowing (issue #17, ADR 0004).
--   role        'relay:<STREAM>', 'scheduler', 'projection:<projection>:<source>'
--   holder      the instance id of the process holding it (ServiceSettings.instance_id)
--   epoch       + 1 at every acquisition: work of an earlier tenure can no longer commit
--   expires_at  by the database's clock, the one every replica shares; pushed forward by the
--               holder's heartbeat; once past, another instance may take the role
CREATE TABLE leases (
    role        text        PRIMARY KEY,
    holder      text        NOT NULL,
    epoch       bigint      NOT NULL,
    expires_at  timestamptz NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL
);
