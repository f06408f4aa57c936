-- Users who log in to CopyTrade. Columns for two-factor login and other account features are
-- added by later migrations. Times are fixed-width UTC text (%Y-%m-%dT%H:%M:%S%.6fZ) so that
-- text order is time order; ids are lower-case hyphenated UUIDs.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    -- normalised: trimmed and lower-cased, so one address has one account
    email TEXT NOT NULL UNIQUE,
    -- argon2id PHC string
    password_hash TEXT NOT NULL,
    -- carried in every session token; bumping it ends all of the user's sessions at once
    token_version BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
