-- Users who log in to CopyTrade. Columns for two-factor login and other account features are
-- added by later migrations.
CREATE TABLE users (
    id uuid PRIMARY KEY,
    -- normalised: trimmed and lower-cased, so one address has one account
    email text NOT NULL UNIQUE,
    -- argon2id PHC string
    password_hash text NOT NULL,
    -- carried in every session token; bumping it ends all of the user's sessions at once
    token_version bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
