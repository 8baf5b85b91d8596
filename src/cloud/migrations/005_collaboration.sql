-- 005 collaboration: sign-in by device (RFC 8628) for the desktop app and the
-- CLI, and comments with @mentions that notify the people mentioned.

CREATE TABLE device_codes (
    id               uuid PRIMARY KEY,
    device_code_hash bytea NOT NULL UNIQUE,
    user_code        text NOT NULL UNIQUE CHECK (user_code ~ '^[A-Z]{4}-[A-Z]{4}$'),
    client_name      text NOT NULL DEFAULT '',
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'approved', 'denied', 'consumed')),
    interval_s       int NOT NULL DEFAULT 5,
    last_poll_at     timestamptz,
    user_id          uuid REFERENCES users(id),
    address          text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    decided_at       timestamptz
);

CREATE TABLE comments (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    target_kind  text NOT NULL CHECK (target_kind IN ('run', 'artifact', 'version')),
    target_id    text NOT NULL,
    author_id    uuid REFERENCES users(id),
    body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_by_target ON comments (workspace_id, target_kind, target_id, created_at);

CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users(id),
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    comment_id   uuid NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('mention')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz,
    UNIQUE (user_id, comment_id)
);
CREATE INDEX notifications_unread ON notifications (user_id, created_at) WHERE read_at IS NULL;
