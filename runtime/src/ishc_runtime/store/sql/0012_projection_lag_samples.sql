-- Each projection's lag, one sample a minute, written by every instance's watch round (the
-- largest lag seen that minute stands) and kept a day: the operator screen draws the last hour
-- from here, not from one gateway's memory, so restarts of either lose nothing.
CREATE TABLE IF NOT EXISTS projection_lag_samples (
    projection text        NOT NULL,
    source     text        NOT NULL,
    sampled_at timestamptz NOT NULL,
    lag        bigint      NOT NULL,
    PRIMARY KEY (projection, source, sampled_at)
);
CREATE INDEX IF NOT EXISTS projection_lag_samples_at ON projection_lag_samples (sampled_at);
