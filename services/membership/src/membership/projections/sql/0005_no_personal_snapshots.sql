-- Person and household states hold names, birth dates and certificates; they are no longer
-- snapshotted (tests/architecture/test_snapshots.py). Snapshots written before held them in
-- clear: gone (a load replays the stream instead).
DELETE FROM snapshots WHERE stream_type IN ('member', 'household');
