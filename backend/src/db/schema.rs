//! The tables, written once for both databases (see `types` for the shared column types).

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    users (id) {
        id -> DbUuid,
        email -> Text,
        password_hash -> Text,
        token_version -> BigInt,
        created_at -> DbTime,
        updated_at -> DbTime,
        totp_enabled -> Bool,
        totp_secret -> Nullable<Binary>,
        totp_pending_secret -> Nullable<Binary>,
        totp_last_step -> Nullable<BigInt>,
        email_verified_at -> Nullable<DbTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    backup_codes (user_id, code_hash) {
        user_id -> DbUuid,
        code_hash -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    login_attempts (id) {
        id -> DbUuid,
        ip -> Text,
        email -> Text,
        succeeded -> Bool,
        attempted_at -> DbTime,
        device -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    registration_attempts (id) {
        id -> DbUuid,
        ip -> Text,
        attempted_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    api_tokens (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        name -> Text,
        scopes -> Text,
        token_hash -> Text,
        token_hint -> Text,
        created_at -> DbTime,
        expires_at -> DbTime,
        last_used_at -> Nullable<DbTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    deleted_account_events (id) {
        id -> DbUuid,
        email_hash -> Text,
        kind -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> DbTime,
        deleted_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    security_events (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        kind -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> DbTime,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    email_tokens (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        purpose -> Text,
        token_hash -> Text,
        created_at -> DbTime,
        expires_at -> DbTime,
        used_at -> Nullable<DbTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    mail_queue (id) {
        id -> DbUuid,
        user_id -> Nullable<DbUuid>,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        body -> Nullable<Binary>,
        campaign -> Nullable<Text>,
        created_at -> DbTime,
        next_attempt_at -> DbTime,
        attempts -> BigInt,
        locked_until -> Nullable<DbTime>,
        sent_at -> Nullable<DbTime>,
        failed_at -> Nullable<DbTime>,
        last_error -> Nullable<Text>,
    }
}

diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(security_events -> users (user_id));
diesel::joinable!(backup_codes -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    login_attempts,
    security_events,
    backup_codes,
    api_tokens,
    email_tokens
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    broker_connections (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        broker -> Text,
        environment -> Text,
        label -> Text,
        status -> Text,
        last_error -> Nullable<Text>,
        credential_hint -> Text,
        credentials_updated_at -> DbTime,
        venue_key_created_at -> Nullable<DbTime>,
        can_withdraw -> Nullable<Bool>,
        last_checked_at -> DbTime,
        created_at -> DbTime,
        rotation_notified_at -> Nullable<DbTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    broker_secrets (connection_id, field) {
        connection_id -> DbUuid,
        user_id -> DbUuid,
        field -> Text,
        secret -> Binary,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    trading_accounts (id) {
        id -> DbUuid,
        connection_id -> DbUuid,
        user_id -> DbUuid,
        external_id -> Text,
        name -> Text,
        created_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbTime;

    paper_accounts (external_id) {
        external_id -> Text,
        starting_balance -> Double,
        balance -> Double,
        realized_pnl -> Double,
        updated_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    paper_orders (id) {
        id -> DbUuid,
        account -> Text,
        client_order_id -> Text,
        symbol -> Text,
        side -> Text,
        order_type -> Text,
        quantity -> Double,
        limit_price -> Nullable<Double>,
        stop_price -> Nullable<Double>,
        status -> Text,
        average_price -> Nullable<Double>,
        take_profit -> Nullable<Double>,
        stop_loss -> Nullable<Double>,
        parent_id -> Nullable<DbUuid>,
        created_at -> DbTime,
        updated_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    paper_positions (account, symbol) {
        account -> Text,
        symbol -> Text,
        quantity -> Double,
        average_price -> Double,
    }
}

diesel::joinable!(broker_secrets -> broker_connections (connection_id));
diesel::joinable!(trading_accounts -> broker_connections (connection_id));
diesel::allow_tables_to_appear_in_same_query!(
    broker_connections,
    broker_secrets,
    trading_accounts,
    users
);
diesel::allow_tables_to_appear_in_same_query!(paper_accounts, trading_accounts);

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    webhooks (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        name -> Text,
        token_hash -> Text,
        token_hint -> Text,
        require_signature -> Bool,
        allowed_ips -> Text,
        created_at -> DbTime,
        last_signal_at -> Nullable<DbTime>,
        signing_secret -> Nullable<Binary>,
        budget_full_at -> Nullable<DbTime>,
        refusal_budget_full_at -> Nullable<DbTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    webhook_signatures (webhook_id, digest) {
        webhook_id -> DbUuid,
        digest -> Text,
        signed_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    signals (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        webhook_id -> Nullable<DbUuid>,
        received_at -> DbTime,
        status -> Text,
        dedup_id -> Nullable<Text>,
        body_hash -> Text,
        raw_payload -> Text,
        parsed -> Nullable<Text>,
        error_field -> Nullable<Text>,
        error -> Nullable<Text>,
        outcome -> Nullable<Text>,
        dispatched_at -> Nullable<DbTime>,
        leader_account_id -> Nullable<DbUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    copy_groups (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        name -> Text,
        webhook_id -> Nullable<DbUuid>,
        leader_account_id -> Nullable<DbUuid>,
        enabled -> Bool,
        created_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    followers (id) {
        id -> DbUuid,
        copy_group_id -> DbUuid,
        user_id -> DbUuid,
        trading_account_id -> DbUuid,
        enabled -> Bool,
        multiplier -> Double,
        fixed_quantity -> Nullable<Double>,
        max_quantity -> Nullable<Double>,
        max_position -> Nullable<Double>,
        invert -> Bool,
        symbol_map -> Text,
        daily_loss_limit -> Nullable<Double>,
        trading_hours -> Nullable<Text>,
        created_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    copied_orders (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        signal_id -> DbUuid,
        copy_group_id -> Nullable<DbUuid>,
        follower_id -> Nullable<DbUuid>,
        trading_account_id -> Nullable<DbUuid>,
        client_order_id -> Text,
        request -> Nullable<Text>,
        status -> Text,
        reason -> Nullable<Text>,
        broker_order_id -> Nullable<Text>,
        created_at -> DbTime,
        sent_at -> Nullable<DbTime>,
        acknowledged_at -> Nullable<DbTime>,
        filled_at -> Nullable<DbTime>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTime, DbUuid};

    trade_fills (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        trading_account_id -> Nullable<DbUuid>,
        copied_order_id -> Nullable<DbUuid>,
        execution_id -> Text,
        broker_order_id -> Text,
        client_order_id -> Text,
        symbol -> Text,
        side -> Text,
        quantity -> Double,
        price -> Double,
        filled_at -> DbTime,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    account_day_balances (trading_account_id, day) {
        trading_account_id -> DbUuid,
        day -> Text,
        balance -> Double,
    }
}

diesel::joinable!(followers -> copy_groups (copy_group_id));
diesel::joinable!(followers -> trading_accounts (trading_account_id));
diesel::joinable!(copied_orders -> signals (signal_id));
diesel::allow_tables_to_appear_in_same_query!(
    copy_groups,
    followers,
    copied_orders,
    trade_fills,
    signals,
    trading_accounts,
    webhooks
);
