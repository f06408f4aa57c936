DROP TABLE deleted_account_events;
DROP TABLE api_tokens;
DROP TABLE registration_attempts;
DROP INDEX login_attempts_by_device;
ALTER TABLE login_attempts DROP COLUMN device;
