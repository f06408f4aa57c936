DROP TABLE signals;
DROP TABLE webhooks;
