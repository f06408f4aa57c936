-- Two-factor login (TOTP, RFC 6238). Seeds are vault blobs (AES-256-CBC + HMAC), never plain.
ALTER TABLE users ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false;
-- the seed in use, once confirmed
ALTER TABLE users ADD COLUMN totp_secret bytea;
-- a seed being set up, until its first code is confirmed
ALTER TABLE users ADD COLUMN totp_pending_secret bytea;
-- the last accepted time step: a code of this step or an older one is a replay
ALTER TABLE users ADD COLUMN totp_last_step bigint;

-- One-time backup codes, stored as SHA-256 hex of the normalised code.
CREATE TABLE backup_codes (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
