DROP TABLE security_events;
DROP TABLE login_attempts;
