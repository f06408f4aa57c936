//! The ProjectX venue over real HTTP and WebSocket connections: `rest` drives the gateway
//! (auth, JSON rules, faults, rate limit), `orders` its orders and brackets, `hub` the SignalR
//! user hub.

#[path = "../common/mod.rs"]
mod common;
mod hub;
mod orders;
mod rest;
mod support;
