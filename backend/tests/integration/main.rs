//! CopyTrade's integration tests: one binary (linking is the slow step), one module per story.
//! Database tests run twice, on a fresh SQLite file and on a fresh PostgreSQL database.

// A failed step should stop the test loudly, with the value that failed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod two_factor;

mod accounts;
mod all_venues;
mod api_tokens;
mod broker_accounts;
mod bybit;
mod command_line;
mod copier;
mod database;
mod email;
mod graphql_api;
mod guessing;
mod health;
mod no_custody;
mod ownership;
mod projectx;
mod schema_contract;
mod several_instances;
mod subscriptions;
mod sudo_mode;
mod tradovate;
mod web_app;
mod webhooks;
