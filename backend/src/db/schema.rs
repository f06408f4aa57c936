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
    }
}

diesel::joinable!(security_events -> users (user_id));
diesel::joinable!(backup_codes -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, login_attempts, security_events, backup_codes);
