-- 006 pinning: a pipeline may be pinned to one of its versions; its schedules
-- (and runs that name no version) then run that one, not the newest.

ALTER TABLE pipelines ADD COLUMN pinned_version int CHECK (pinned_version >= 1);
