-- Every login attempt, kept for the rate limits (per client IP and per account, 15 minutes).
CREATE TABLE login_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    ip TEXT NOT NULL,
    -- the normalised email tried, whether or not an account has it
    email TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    attempted_at TEXT NOT NULL
);
CREATE INDEX login_attempts_by_ip ON login_attempts (ip, attempted_at);
CREATE INDEX login_attempts_by_email ON login_attempts (email, attempted_at);

-- Each user's own audit log: logins, password changes, session revocations, 2FA changes.
-- Never a secret.
CREATE TABLE security_events (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX security_events_by_user ON security_events (user_id, created_at);
