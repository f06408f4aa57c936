//! The ProjectX venue over real HTTP and WebSocket connections: `rest` drives the gateway
//! (auth, JSON rules, faults, rate limit), `orders` its orders and brackets, `hub` the SignalR
//! user hub.

mod hub;
mod orders;
mod rest;
mod support;
