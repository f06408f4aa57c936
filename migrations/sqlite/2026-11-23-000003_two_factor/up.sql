-- Two-factor login (TOTP, RFC 6238). Seeds are vault blobs (AES-256-CBC + HMAC), never plain.
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT 0;
-- the seed in use, once confirmed
ALTER TABLE users ADD COLUMN totp_secret BLOB;
-- a seed being set up, until its first code is confirmed
ALTER TABLE users ADD COLUMN totp_pending_secret BLOB;
-- the last accepted time step: a code of this step or an older one is a replay
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- One-time backup codes, stored as SHA-256 hex of the normalised code.
CREATE TABLE backup_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
