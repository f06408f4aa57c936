-- Broker logins and API keys a user linked. The credentials themselves are in
-- broker_secrets, sealed by the vault; this row holds only what the API may show.
CREATE TABLE broker_connections (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
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
    credentials_updated_at timestamptz NOT NULL,
    -- the venue's own creation date of the key, where it reports one
    venue_key_created_at timestamptz,
    -- null where the venue cannot tell
    can_withdraw BOOLEAN,
    last_checked_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX broker_connections_by_user ON broker_connections (user_id, created_at);

-- One sealed credential field per row: AES-256-CBC + HMAC-SHA256 blob whose associated data
-- is user id, connection id and field, so it opens in this row only. The blob names its key.
CREATE TABLE broker_secrets (
    connection_id uuid NOT NULL REFERENCES broker_connections (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    secret bytea NOT NULL,
    PRIMARY KEY (connection_id, field)
);

-- The trading accounts a connection can see, as the broker names them.
CREATE TABLE trading_accounts (
    id uuid PRIMARY KEY,
    connection_id uuid NOT NULL REFERENCES broker_connections (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the broker's own account id
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (connection_id, external_id)
);
CREATE INDEX trading_accounts_by_user ON trading_accounts (user_id);

-- The paper broker's books: one simulated account per paper trading account.
CREATE TABLE paper_accounts (
    external_id TEXT PRIMARY KEY,
    starting_balance double precision NOT NULL,
    balance double precision NOT NULL,
    realized_pnl double precision NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE paper_orders (
    id uuid PRIMARY KEY,
    account TEXT NOT NULL REFERENCES paper_accounts (external_id) ON DELETE CASCADE,
    -- ours: a retried placement with the same id finds this order instead of making another
    client_order_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    -- BUY or SELL
    side TEXT NOT NULL,
    -- MARKET, LIMIT, STOP or STOP_LIMIT
    order_type TEXT NOT NULL,
    quantity double precision NOT NULL,
    limit_price double precision,
    stop_price double precision,
    -- WORKING, FILLED or CANCELLED (the paper broker fills an order whole)
    status TEXT NOT NULL,
    average_price double precision,
    -- bracket legs placed when this entry fills
    take_profit double precision,
    stop_loss double precision,
    -- a take-profit or stop-loss leg names its entry order; legs of one bracket cancel each other
    parent_id uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (account, client_order_id)
);
CREATE INDEX paper_orders_working ON paper_orders (account, symbol, status);

CREATE TABLE paper_positions (
    account TEXT NOT NULL REFERENCES paper_accounts (external_id) ON DELETE CASCADE,
    symbol TEXT NOT NULL,
    -- signed: positive long, negative short
    quantity double precision NOT NULL,
    average_price double precision NOT NULL,
    PRIMARY KEY (account, symbol)
);
