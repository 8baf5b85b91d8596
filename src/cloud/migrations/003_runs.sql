-- 003 runs: the ledger of pipeline runs that clients (the local app, agents)
-- report, their log chunks and their artifacts (only metadata: the bytes live
-- in object storage).

CREATE TABLE runs (
    id               uuid PRIMARY KEY,            -- made by the client (UUIDv7)
    workspace_id     uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    pipeline_id      uuid REFERENCES pipelines(id) ON DELETE SET NULL,
    pipeline_version int NOT NULL,
    state            text NOT NULL CHECK (state IN ('pending', 'running', 'success', 'failed',
                                                    'skipped', 'cancelled')),
    trigger          text NOT NULL CHECK (trigger IN ('manual', 'schedule', 'api')),
    schedule_id      uuid,
    occurrence_id    text,
    user_id          uuid REFERENCES users(id),
    agent_id         uuid REFERENCES agent_tokens(id),
    params           jsonb NOT NULL DEFAULT '{}',
    environment      jsonb NOT NULL DEFAULT '{}',
    error_class      text CHECK (error_class IN ('source', 'permission', 'network', 'sql', 'internal')),
    error_message    text,
    request_digest   text NOT NULL,               -- of the creating body: a retry must match it
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_by_workspace ON runs (workspace_id, created_at DESC);
CREATE INDEX runs_by_pipeline ON runs (pipeline_id, created_at DESC);

CREATE TABLE run_logs (
    run_id      uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq         int NOT NULL CHECK (seq >= 1),
    lines       jsonb NOT NULL,                   -- the chunk's JSON-lines, as an array
    digest      text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE artifacts (
    id           uuid PRIMARY KEY,
    run_id       uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('report', 'log', 'snapshot')),
    name         text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL CHECK (size >= 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    object_key   text NOT NULL UNIQUE,
    state        text NOT NULL CHECK (state IN ('pending', 'complete')) DEFAULT 'pending',
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    UNIQUE (run_id, name)
);
