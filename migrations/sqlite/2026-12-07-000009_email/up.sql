-- When the user opened the link in the verification email; NULL until then.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;

-- More about a security event where it has more: for email_sent, which kind of mail (never
-- its content).
ALTER TABLE security_events ADD COLUMN detail TEXT;

-- When the owner was told the key passed its 30-day rotation date (once per set of credentials).
ALTER TABLE broker_connections ADD COLUMN rotation_notified_at TEXT;

-- Single-use links mailed to a user: email verification and password reset. Only a SHA-256
-- of the token is kept.
CREATE TABLE email_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- verify_email or reset_password
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX email_tokens_by_user ON email_tokens (user_id, purpose, created_at);

-- Outgoing mail, sent by the server's mail sender and retried until the SMTP server takes it.
-- The body is sealed by the vault (it may hold a reset link) and removed once sent.
CREATE TABLE mail_queue (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body BLOB,
    -- A breach notice's campaign: each user gets one mail per campaign.
    campaign TEXT,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    -- A sender working on the mail holds it until then (several instances share the queue).
    locked_until TEXT,
    sent_at TEXT,
    failed_at TEXT,
    last_error TEXT
);
CREATE INDEX mail_queue_due ON mail_queue (sent_at, failed_at, next_attempt_at);
CREATE UNIQUE INDEX mail_queue_one_per_campaign ON mail_queue (campaign, user_id);
