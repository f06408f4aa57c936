DROP TABLE paper_positions;
DROP TABLE paper_orders;
DROP TABLE paper_accounts;
DROP TABLE trading_accounts;
DROP TABLE broker_secrets;
DROP TABLE broker_connections;
