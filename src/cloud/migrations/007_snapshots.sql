-- 007 snapshots: a schedule may ask for Parquet snapshots of chosen results
-- (analysis ids), the higher tier of sharing: off (empty) unless asked for.

ALTER TABLE schedules ADD COLUMN snapshot jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(snapshot) = 'array');
