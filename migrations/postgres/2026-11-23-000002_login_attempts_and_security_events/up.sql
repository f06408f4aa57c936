-- Every login attempt, kept for the rate limits (per client IP and per account, 15 minutes).
CREATE TABLE login_attempts (
    id uuid PRIMARY KEY,
    ip text NOT NULL,
    -- the normalised email tried, whether or not an account has it
    email text NOT NULL,
    succeeded boolean NOT NULL,
    attempted_at timestamptz NOT NULL
);
CREATE INDEX login_attempts_by_ip ON login_attempts (ip, attempted_at);
CREATE INDEX login_attempts_by_email ON login_attempts (email, attempted_at);

-- Each user's own audit log: logins, password changes, session revocations, 2FA changes.
-- Never a secret.
CREATE TABLE security_events (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL,
    ip text,
    user_agent text,
    created_at timestamptz NOT NULL
);
CREATE INDEX security_events_by_user ON security_events (user_id, created_at);
