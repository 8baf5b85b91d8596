-- 004 schedules: policy only (the server never runs anything). Occurrences are
-- recorded when due; an agent claims one, runs it on its machine and reports.

CREATE TABLE schedules (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    pipeline_id  uuid NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    cron         text NOT NULL,
    timezone     text NOT NULL,
    params       jsonb NOT NULL DEFAULT '{}',
    agent_id     uuid REFERENCES agent_tokens(id) ON DELETE SET NULL, -- NULL: any agent
    grace_s      int NOT NULL DEFAULT 600 CHECK (grace_s BETWEEN 1 AND 86400),
    catch_up     text NOT NULL DEFAULT 'latest' CHECK (catch_up IN ('none', 'latest', 'all')),
    catch_up_max int NOT NULL DEFAULT 10 CHECK (catch_up_max BETWEEN 1 AND 100),
    paused       boolean NOT NULL DEFAULT false,
    next_due     timestamptz,                    -- the next occurrence not yet recorded
    created_by   uuid REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due ON schedules (next_due) WHERE NOT paused;

CREATE TABLE occurrences (
    id           uuid PRIMARY KEY,
    schedule_id  uuid NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    due_at       timestamptz NOT NULL,
    grace_until  timestamptz NOT NULL,
    manual       boolean NOT NULL DEFAULT false,  -- made by "run now", not by the cron
    state        text NOT NULL CHECK (state IN ('due', 'missed', 'started', 'finished', 'skipped')),
    claimed_by   text,                            -- agent:ID or user:ID
    claimed_at   timestamptz,
    run_id       uuid,
    reason       text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (schedule_id, due_at)
);
CREATE INDEX occurrences_open ON occurrences (workspace_id, due_at) WHERE state IN ('due', 'missed');

-- A counter per workspace that moves whenever what agents would be told moves:
-- a poll with the ETag of the last answer is a 304 after one indexed read.
CREATE TABLE schedule_generations (
    workspace_id uuid PRIMARY KEY,
    generation   bigint NOT NULL,
    changed_at   timestamptz NOT NULL
);

CREATE FUNCTION schedule_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO schedule_generations AS g (workspace_id, generation, changed_at)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.workspace_id ELSE NEW.workspace_id END, 1,
                clock_timestamp())
        ON CONFLICT (workspace_id) DO UPDATE
        SET generation = g.generation + 1, changed_at = clock_timestamp();
    RETURN NULL;
END $$;
CREATE TRIGGER occurrences_bump AFTER INSERT OR UPDATE OR DELETE ON occurrences
    FOR EACH ROW EXECUTE FUNCTION schedule_generation_bump();
CREATE TRIGGER schedules_bump AFTER INSERT OR UPDATE OR DELETE ON schedules
    FOR EACH ROW EXECUTE FUNCTION schedule_generation_bump();
