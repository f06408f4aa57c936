-- Copy groups: a leader (a webhook's signals, or a linked trading account's own fills) and the
-- follower accounts that copy it, each sized and limited on its own.
CREATE TABLE copy_groups (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    webhook_id TEXT REFERENCES webhooks (id) ON DELETE SET NULL,
    leader_account_id TEXT REFERENCES trading_accounts (id) ON DELETE SET NULL,
    enabled BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX copy_groups_by_user ON copy_groups (user_id, created_at);
CREATE INDEX copy_groups_by_webhook ON copy_groups (webhook_id);
CREATE INDEX copy_groups_by_leader ON copy_groups (leader_account_id);

CREATE TABLE followers (
    id TEXT PRIMARY KEY NOT NULL,
    copy_group_id TEXT NOT NULL REFERENCES copy_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    trading_account_id TEXT NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL,
    -- the signal's quantity times this, unless fixed_quantity is set
    multiplier REAL NOT NULL,
    fixed_quantity REAL,
    -- caps on one order and on the net position after it
    max_quantity REAL,
    max_position REAL,
    -- buy becomes sell and sell becomes buy
    invert BOOLEAN NOT NULL,
    -- JSON [{"from": "ES", "to": "MES"}]
    symbol_map TEXT NOT NULL,
    -- no new position once the account lost this much today (UTC day)
    daily_loss_limit REAL,
    -- "HH:MM-HH:MM" in UTC; outside it new positions are skipped
    trading_hours TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (copy_group_id, trading_account_id)
);
CREATE INDEX followers_by_account ON followers (trading_account_id);

-- One row per follower per signal: the order CopyTrade means to place (stored before the
-- broker call, with a client order id derived from signal and follower) and what came of it.
CREATE TABLE copied_orders (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    signal_id TEXT NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    copy_group_id TEXT REFERENCES copy_groups (id) ON DELETE SET NULL,
    follower_id TEXT REFERENCES followers (id) ON DELETE SET NULL,
    trading_account_id TEXT REFERENCES trading_accounts (id) ON DELETE SET NULL,
    client_order_id TEXT NOT NULL UNIQUE,
    -- JSON: the order (or cancel) to send; NULL when skipped before one could be made
    request TEXT,
    -- PENDING, SENDING, WORKING, FILLED, CANCELLED, REJECTED, SKIPPED, ERROR
    status TEXT NOT NULL,
    -- why: the venue's rejection, the skip reason, the error
    reason TEXT,
    broker_order_id TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    acknowledged_at TEXT,
    filled_at TEXT,
    UNIQUE (signal_id, follower_id)
);
CREATE INDEX copied_orders_by_user ON copied_orders (user_id, created_at);
CREATE INDEX copied_orders_unfinished ON copied_orders (status);

-- Executions on the user's trading accounts, as the brokers report them.
CREATE TABLE trade_fills (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- kept (without the account) when the account is unlinked, like the trade log
    trading_account_id TEXT REFERENCES trading_accounts (id) ON DELETE SET NULL,
    copied_order_id TEXT REFERENCES copied_orders (id) ON DELETE SET NULL,
    -- the venue's execution id: the same execution reported twice is stored once
    execution_id TEXT NOT NULL,
    broker_order_id TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity REAL NOT NULL,
    price REAL NOT NULL,
    filled_at TEXT NOT NULL,
    UNIQUE (trading_account_id, execution_id)
);
CREATE INDEX trade_fills_by_order ON trade_fills (copied_order_id);
CREATE INDEX trade_fills_by_user ON trade_fills (user_id, filled_at);

-- An account's balance at its first signal of a UTC day, for the daily loss limit.
CREATE TABLE account_day_balances (
    trading_account_id TEXT NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    balance REAL NOT NULL,
    PRIMARY KEY (trading_account_id, day)
);

-- When the copier turned an accepted signal into copied orders (NULL: not yet).
ALTER TABLE signals ADD COLUMN dispatched_at TEXT;
-- Signals from before the copier existed are done with: nothing will copy them now.
UPDATE signals SET dispatched_at = received_at;
-- What the resumer looks for after a restart.
CREATE INDEX signals_undispatched ON signals (received_at) WHERE dispatched_at IS NULL;
