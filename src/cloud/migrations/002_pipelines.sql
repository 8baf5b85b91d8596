-- 002 pipelines: a pipeline is a named bundle of files (a duckpipe or dbt
-- project) with immutable, numbered, content-addressed versions.

CREATE TABLE pipelines (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_-]{0,62}$'),
    kind            text NOT NULL CHECK (kind IN ('duckpipe', 'dbt')),
    current_version int NOT NULL DEFAULT 0,
    created_by      uuid NOT NULL REFERENCES users(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TABLE pipeline_versions (
    pipeline_id   uuid NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    number        int NOT NULL CHECK (number >= 1),
    digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    parent        int,
    diverged_from int,   -- the current version this one was not made from, when it diverged
    rollback_of   int,   -- the version whose content a rollback restored
    author_id     uuid REFERENCES users(id),
    message       text NOT NULL DEFAULT '',
    file_count    int NOT NULL,
    size          bigint NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline_id, number)
);
CREATE INDEX pipeline_versions_by_digest ON pipeline_versions (pipeline_id, digest);

CREATE TABLE pipeline_files (
    pipeline_id uuid NOT NULL,
    number      int NOT NULL,
    path        text NOT NULL,
    content     text NOT NULL,
    sha256      text NOT NULL,
    PRIMARY KEY (pipeline_id, number, path),
    FOREIGN KEY (pipeline_id, number) REFERENCES pipeline_versions ON DELETE CASCADE
);

-- A version, once written, never changes.
CREATE FUNCTION pipeline_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'pipeline versions are immutable' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER pipeline_versions_no_update BEFORE UPDATE ON pipeline_versions
    FOR EACH ROW EXECUTE FUNCTION pipeline_versions_immutable();
CREATE TRIGGER pipeline_files_no_update BEFORE UPDATE ON pipeline_files
    FOR EACH ROW EXECUTE FUNCTION pipeline_versions_immutable();
