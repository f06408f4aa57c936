//! Talking to the CopyTrade server: GraphQL over HTTP for queries and mutations, and one
//! shared WebSocket (graphql-transport-ws) for subscriptions.
//!
//! Rules:
//! - Every operation is a `.graphql` document under `frontend/graphql/`, typed by
//!   `graphql_client` against the top-level `schema.graphql` ([`operations`]). A document that
//!   no longer matches the schema fails the wasm build, so components never hand-write queries
//!   or parse JSON themselves.
//! - Everything goes to the page's own origin (`/graphql`, `/graphql/ws`): the server's
//!   Content-Security-Policy allows `connect-src 'self'` only.
//! - The session is the server's HttpOnly cookie, which the browser sends with every request
//!   and the socket's upgrade. The app never sees or stores the token (operations do not even
//!   ask for it); after a log-in or log-out the socket is reopened so it carries the new cookie.
//! - Failures are values ([`ApiError`]) that the UI shows; nothing here panics on what the
//!   network or the server sends.
//! - Components use the hooks in [`hooks`]; the transport modules stay free of Yew state.
//! - A change the server refuses for want of a recent authentication asks the user for their
//!   password in place and is sent again ([`sudo`]); callers see only the final outcome.

pub mod copy_group_operations;
mod error;
pub mod hooks;
mod http;
pub mod live;
pub mod operations;
pub mod sudo;
pub mod token_operations;
pub mod trading_operations;

pub use error::{ApiError, GraphQlError, code};
pub use http::{fetch, fetch_unprompted};
