ALTER TABLE signals DROP COLUMN dispatched_at;
DROP TABLE account_day_balances;
DROP TABLE trade_fills;
DROP TABLE copied_orders;
DROP TABLE followers;
DROP TABLE copy_groups;
