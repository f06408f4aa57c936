//! CopyTrade's server: one signal in, orders out to every follower account.
//!
//! Modules by concept: `config` (settings and the server's own secrets), `db` (both databases,
//! migrations), `auth` (accounts, sessions, mailed links and security notices), `mail` (the
//! outgoing-mail queue and its sender), `brokers` (one adapter per venue), `connections` (linked
//! accounts), `signals` (webhooks), `copier` (signals to orders), `graphql` (the API contract),
//! `http` (router and layers), `app` (wiring and the server's life cycle).

pub mod app;
pub mod auth;
pub mod breach;
pub mod brokers;
pub mod clock;
pub mod config;
pub mod connections;
pub mod copier;
pub mod db;
pub mod digest;
pub mod graphql;
pub mod http;
pub mod mail;
pub mod shutdown;
pub mod signals;
pub mod telemetry;
pub mod vault;
