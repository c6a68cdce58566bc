-- Screening and person states hold personal facts; they are no longer snapshotted
-- (tests/architecture/test_snapshots.py). Snapshots written before held them in clear: gone
-- (a load replays the stream instead).
DELETE FROM snapshots WHERE stream_type IN ('screening', 'person');
