-- Webhooks that receive trading signals. The token (in the URL) is shown once and stored only
-- as its SHA-256, which is how a request finds its webhook.
CREATE TABLE webhooks (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- the token's last 4 characters, to tell tokens apart
    token_hint TEXT NOT NULL,
    -- refuse signals without a valid X-CopyTrade-Signature
    require_signature BOOLEAN NOT NULL,
    -- comma-separated IPs or CIDRs allowed to send; empty: anyone with the URL
    allowed_ips TEXT NOT NULL,
    created_at timestamptz NOT NULL,
    last_signal_at timestamptz
);
CREATE INDEX webhooks_by_user ON webhooks (user_id, created_at);

-- Every signal a webhook received and kept: accepted ones (with what became of them) and
-- malformed ones (with what was wrong). Kept when the webhook is deleted.
CREATE TABLE signals (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    webhook_id uuid REFERENCES webhooks (id) ON DELETE SET NULL,
    received_at timestamptz NOT NULL,
    -- ACCEPTED or REJECTED
    status TEXT NOT NULL,
    -- the sender's `id`, for de-duplication
    dedup_id TEXT,
    -- SHA-256 of the body: the same body within 5 seconds is a duplicate
    body_hash TEXT NOT NULL,
    raw_payload TEXT NOT NULL,
    -- the parsed signal (JSON) when accepted
    parsed TEXT,
    error_field TEXT,
    error TEXT,
    -- what became of an accepted signal
    outcome TEXT
);
CREATE UNIQUE INDEX signals_dedup ON signals (webhook_id, dedup_id);
CREATE INDEX signals_by_body ON signals (webhook_id, body_hash, received_at);
CREATE INDEX signals_by_user ON signals (user_id, received_at);
