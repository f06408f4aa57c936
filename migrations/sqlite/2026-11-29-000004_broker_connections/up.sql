-- Broker logins and API keys a user linked. The credentials themselves are in
-- broker_secrets, sealed by the vault; this row holds only what the API may show.
CREATE TABLE broker_connections (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- BrokerKind in SCREAMING_SNAKE_CASE (PAPER, TRADOVATE, ...)
    broker TEXT NOT NULL,
    -- LIVE or DEMO
    environment TEXT NOT NULL,
    label TEXT NOT NULL,
    -- CONNECTED, ERROR or REFUSED (after a check found withdrawal rights)
    status TEXT NOT NULL,
    last_error TEXT,
    -- masked, e.g. ••••a9f2
    credential_hint TEXT NOT NULL,
    credentials_updated_at TEXT NOT NULL,
    -- the venue's own creation date of the key, where it reports one
    venue_key_created_at TEXT,
    -- null where the venue cannot tell
    can_withdraw BOOLEAN,
    last_checked_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX broker_connections_by_user ON broker_connections (user_id, created_at);

-- One sealed credential field per row: AES-256-CBC + HMAC-SHA256 blob whose associated data
-- is user id, connection id and field, so it opens in this row only. The blob names its key.
CREATE TABLE broker_secrets (
    connection_id TEXT NOT NULL REFERENCES broker_connections (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    secret BLOB NOT NULL,
    PRIMARY KEY (connection_id, field)
);

-- The trading accounts a connection can see, as the broker names them.
CREATE TABLE trading_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES broker_connections (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the broker's own account id
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (connection_id, external_id)
);
CREATE INDEX trading_accounts_by_user ON trading_accounts (user_id);

-- The paper broker's books: one simulated account per paper trading account.
CREATE TABLE paper_accounts (
    external_id TEXT PRIMARY KEY NOT NULL,
    starting_balance REAL NOT NULL,
    balance REAL NOT NULL,
    realized_pnl REAL NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE paper_orders (
    id TEXT PRIMARY KEY NOT NULL,
    account TEXT NOT NULL REFERENCES paper_accounts (external_id) ON DELETE CASCADE,
    -- ours: a retried placement with the same id finds this order instead of making another
    client_order_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    -- BUY or SELL
    side TEXT NOT NULL,
    -- MARKET, LIMIT, STOP or STOP_LIMIT
    order_type TEXT NOT NULL,
    quantity REAL NOT NULL,
    limit_price REAL,
    stop_price REAL,
    -- WORKING, FILLED or CANCELLED (the paper broker fills an order whole)
    status TEXT NOT NULL,
    average_price REAL,
    -- bracket legs placed when this entry fills
    take_profit REAL,
    stop_loss REAL,
    -- a take-profit or stop-loss leg names its entry order; legs of one bracket cancel each other
    parent_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (account, client_order_id)
);
CREATE INDEX paper_orders_working ON paper_orders (account, symbol, status);

CREATE TABLE paper_positions (
    account TEXT NOT NULL REFERENCES paper_accounts (external_id) ON DELETE CASCADE,
    symbol TEXT NOT NULL,
    -- signed: positive long, negative short
    quantity REAL NOT NULL,
    average_price REAL NOT NULL,
    PRIMARY KEY (account, symbol)
);
