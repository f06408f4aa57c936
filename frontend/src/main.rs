//! CopyTrade's web app: a Yew single-page app that Trunk builds to WebAssembly and the
//! backend serves, with its API, from one origin.
//!
//! Layout: `app` (routes and the shell), `pages/` (one file per page), `components/` (pieces
//! shared by pages), `api/` (GraphQL over HTTP and WebSocket), `format` (how values read).

mod api;
mod app;
mod components;
mod feedback;
mod format;
mod pages;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
