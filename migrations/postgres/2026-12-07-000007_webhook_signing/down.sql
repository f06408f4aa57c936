ALTER TABLE signals DROP COLUMN leader_account_id;
DROP TABLE webhook_signatures;
ALTER TABLE webhooks DROP COLUMN refusal_budget_full_at;
ALTER TABLE webhooks DROP COLUMN budget_full_at;
ALTER TABLE webhooks DROP COLUMN signing_secret;
