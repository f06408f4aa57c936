-- A webhook's signing secret: the key of X-CopyTrade-Signature, apart from the URL token (a
-- leaked URL alone can no longer sign). Sealed by the vault, bound to the user, the webhook
-- and the field "webhook_signing_secret"; it has to open again to check an HMAC, so it cannot
-- be only hashed. NULL for webhooks made before this migration: they get one when their token
-- is next rotated, and until then a signed request to them is refused, saying so.
ALTER TABLE webhooks ADD COLUMN signing_secret BYTEA;
-- Each webhook's signal budget (COPYTRADE_SIGNAL_RATE), kept here so that every instance
-- sharing the database spends the same one: the moment the budget is whole again (the
-- "theoretical arrival time" of GCRA). NULL: whole. The second one caps how many refused
-- requests (wrong address or signature) the signal log keeps, so that a sender without the
-- secret can neither spend the real budget nor flood the log.
ALTER TABLE webhooks ADD COLUMN budget_full_at timestamptz;
ALTER TABLE webhooks ADD COLUMN refusal_budget_full_at timestamptz;

-- Signatures already accepted: a signed request is taken once. Rows whose own timestamp has
-- left the 5-minute window are deleted, since such a signature is refused as stale anyway.
CREATE TABLE webhook_signatures (
    webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- SHA-256 (hex) of the HMAC the request carried
    digest TEXT NOT NULL,
    -- the signature's own timestamp (its t=)
    signed_at timestamptz NOT NULL,
    PRIMARY KEY (webhook_id, digest)
);
CREATE INDEX webhook_signatures_by_time ON webhook_signatures (webhook_id, signed_at);

-- The leader account a mirrored signal came from, as a typed column (it used to travel inside
-- raw_payload, which a webhook's sender writes).
ALTER TABLE signals ADD COLUMN leader_account_id uuid REFERENCES trading_accounts (id) ON DELETE SET NULL;
-- Earlier mirrored signals: the copier wrote the leader as "leaderAccountId" in the payload
-- (serde_json's compact form, so the text match below finds it). A regular expression rather
-- than a JSON cast, which would fail the whole migration on any payload that is not JSON.
-- Taken only from signals without a webhook, and only when it names an account of the same
-- user; anything else stays NULL (such a signal is copied to no group).
UPDATE signals
SET leader_account_id = trading_accounts.id
FROM trading_accounts
WHERE signals.webhook_id IS NULL
  AND signals.status = 'ACCEPTED'
  AND trading_accounts.user_id = signals.user_id
  AND trading_accounts.id::text = substring(
      signals.raw_payload FROM '"leaderAccountId":"([0-9a-f-]{36})"'
  );
