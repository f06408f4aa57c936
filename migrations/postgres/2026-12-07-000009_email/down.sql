DROP TABLE mail_queue;
DROP TABLE email_tokens;
ALTER TABLE broker_connections DROP COLUMN rotation_notified_at;
ALTER TABLE security_events DROP COLUMN detail;
ALTER TABLE users DROP COLUMN email_verified_at;
