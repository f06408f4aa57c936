//! The app's GraphQL operations, typed from `frontend/graphql/*.graphql` against the
//! top-level `schema.graphql` (paths are relative to `frontend/Cargo.toml`).
//!
//! One struct per document; `graphql_client` generates a module of the same name in snake
//! case with its `Variables` and `ResponseData`. Responses derive `Clone` and `PartialEq` so
//! Yew can keep them in state and skip re-renders when nothing changed.

use graphql_client::GraphQLQuery;
use serde::{Deserialize, Serialize};

/// Makes the schema part of this crate's sources for cargo: the derive tracks only the query
/// files, so without this a changed `schema.graphql` would not rebuild (and re-check) the
/// operations in a warm target dir. Unused, so it adds nothing to the wasm.
const _SCHEMA: &str = include_str!("../../../schema.graphql");

/// The schema's `DateTime` scalar: an RFC 3339 string, formatted for display by
/// [`crate::format::Clock`]. Kept as text because the app only shows times, and a date
/// library would add size to every download.
pub type DateTime = String;

/// The schema's `BrokerKind`. The broker operations share this one type (`extern_enums`), so
/// a broker read from one answer goes into another request as is; the other enums are
/// generated per operation.
///
/// A broker this build does not know (a newer server) reads as `Unknown`, which the app shows
/// but never sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BrokerKind {
    Paper,
    Tradovate,
    Apex,
    Topstepx,
    BinanceUsdm,
    Bybit,
    Okx,
    #[serde(other)]
    Unknown,
}

/// The schema's `BrokerEnvironment`: real money, or the venue's demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BrokerEnvironment {
    Live,
    Demo,
    #[serde(other)]
    Unknown,
}

/// The schema's `ConnectionStatus`: whether CopyTrade can use a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionStatus {
    Connected,
    /// The last check failed (`lastError` says why).
    Error,
    /// The key can withdraw funds: refused until replaced by a trade-only key.
    Refused,
    #[serde(other)]
    Unknown,
}

/// `Query.serverInfo`: the server's version, its database, and whether it sends email.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/server_info.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ServerInfo;

/// `Subscription.serverTime`: the server's clock, once a second.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/server_time.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ServerTime;

/// `Query.me`: who is logged in.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/me.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct Me;

/// `Query.securityEvents`: the user's security log, newest first.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/security_events.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct SecurityEvents;

/// `Mutation.register`: a new account, logged in.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/register.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct Register;

/// `Mutation.login`: password, then the second factor when the account has one.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/login.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct Login;

/// `Mutation.logout`: clears this browser's session cookie.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/logout.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct Logout;

/// `Mutation.logoutEverywhere`: ends every session of the user.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/logout_everywhere.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct LogoutEverywhere;

/// `Mutation.changePassword`: a new password and a fresh session; other sessions end.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/change_password.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ChangePassword;

/// `Mutation.verifyEmail`: confirms the email address with the token from its link.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/verify_email.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct VerifyEmail;

/// `Mutation.resendVerificationEmail`: the verification link again, to the user's address.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/resend_verification_email.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ResendVerificationEmail;

/// `Mutation.requestPasswordReset`: a reset link to an address, if an account uses it.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/request_password_reset.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct RequestPasswordReset;

/// `Mutation.resetPassword`: a new password from a reset link, and a session; other sessions
/// end.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/reset_password.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ResetPassword;

/// `Mutation.deleteAccount`: the account and everything it owns.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/delete_account.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct DeleteAccount;

/// `Mutation.beginTotpSetup`: a pending authenticator secret and its QR code.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/begin_totp_setup.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct BeginTotpSetup;

/// `Mutation.reauthenticate`: the password (and code) again, for a session in sudo mode.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/reauthenticate.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct Reauthenticate;

/// `Mutation.confirmTotp`: turns two-factor login on (code and password); returns the backup
/// codes.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/confirm_totp.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct ConfirmTotp;

/// `Mutation.disableTotp`: turns two-factor login off.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/disable_totp.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct DisableTotp;

/// `Mutation.regenerateBackupCodes`: new backup codes; the old ones stop working.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/regenerate_backup_codes.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct RegenerateBackupCodes;

/// `Query.brokerConnections`: the linked connections with their trading accounts.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/broker_connections.graphql",
    extern_enums("BrokerKind", "BrokerEnvironment", "ConnectionStatus"),
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct BrokerConnections;

/// `Query.brokerCredentialFields`: what each broker needs to link an account.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/broker_credential_fields.graphql",
    extern_enums("BrokerKind"),
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct BrokerCredentialFields;

/// `Mutation.linkBrokerAccount`: checks the credentials with the broker, then stores them.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/link_broker_account.graphql",
    extern_enums("BrokerKind", "BrokerEnvironment", "ConnectionStatus"),
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct LinkBrokerAccount;

/// `Mutation.updateBrokerCredentials`: new credentials for a connection.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/update_broker_credentials.graphql",
    extern_enums("ConnectionStatus"),
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct UpdateBrokerCredentials;

/// `Mutation.testBrokerConnection`: checks a connection with the broker now.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/test_broker_connection.graphql",
    extern_enums("ConnectionStatus"),
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct TestBrokerConnection;

/// `Mutation.unlinkBrokerAccount`: removes a connection and its stored credentials.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/unlink_broker_account.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct UnlinkBrokerAccount;

/// `Query.webhooks`: the user's webhooks, with a hint of each token.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/webhooks.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct Webhooks;

/// `Query.recentSignals`: what the user's webhooks received lately, newest first.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/recent_signals.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct RecentSignals;

/// `Mutation.createWebhook`: a new webhook and its URL, shown this once.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/create_webhook.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct CreateWebhook;

/// `Mutation.rotateWebhookToken`: a new URL for a webhook, shown this once.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/rotate_webhook_token.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct RotateWebhookToken;

/// `Mutation.updateWebhook`: who may send to a webhook.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/update_webhook.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct UpdateWebhook;

/// `Mutation.deleteWebhook`: removes a webhook; its URL stops working.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/delete_webhook.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct DeleteWebhook;

/// `Mutation.sendTestSignal`: the server's sample signal, sent to a webhook.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/send_test_signal.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct SendTestSignal;
