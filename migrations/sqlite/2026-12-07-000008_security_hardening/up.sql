-- From this version on, login_attempts.email holds the SHA-256 (hex) of the normalised email,
-- not the email: attempts outlive a deleted account by up to two hours. Rows from before the
-- upgrade stop counting within 15 minutes and are pruned.
DELETE FROM login_attempts;

-- Which browser an attempt came from (the id in its device cookie, when it carried a valid one):
-- failures from a known browser count against that browser, not toward the account lock.
ALTER TABLE login_attempts ADD COLUMN device TEXT;
CREATE INDEX login_attempts_by_device ON login_attempts (device, attempted_at);

-- Sign-ups per client address, for the registration limit.
CREATE TABLE registration_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    ip TEXT NOT NULL,
    attempted_at TEXT NOT NULL
);
CREATE INDEX registration_attempts_by_ip ON registration_attempts (ip, attempted_at);

-- Integrators' API tokens: only a SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- comma-separated scope names: read, trade, manage
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    token_hint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);

-- A deleted account's security log, kept 90 days under a hash of its email, then removed.
CREATE TABLE deleted_account_events (
    id TEXT PRIMARY KEY NOT NULL,
    email_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    created_at TEXT NOT NULL,
    deleted_at TEXT NOT NULL
);
CREATE INDEX deleted_account_events_by_deletion ON deleted_account_events (deleted_at);
CREATE INDEX deleted_account_events_by_email ON deleted_account_events (email_hash);
