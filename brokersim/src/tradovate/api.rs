//! The REST core: one table of endpoints, served alike over HTTP and over the socket's
//! `endpoint\nid\nquery\nbody` requests.
//!
//! Every call goes through the same steps: the endpoint (any case, `order/placeOrder` ==
//! `order/placeorder`; unknown is 404), the body (not JSON is 400), penalty tickets, the
//! bearer token (401), the per-user request limit (429), the device-id rule of order commands
//! (401), then the handler.

use serde_json::Value;

use super::auth::{self, Ctx};
use super::manage;
use super::orders;
use super::reads::{self, Entity, Op};
use super::state::State;
use super::strategies;
use super::sync;
use super::wire::{Answer, Fields, QueryMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    Post,
    /// Either (`auth/renewaccesstoken` and `auth/me` are seen both ways).
    Any,
}

/// One request to the REST core.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The HTTP method, or `None` over the socket where the endpoint alone decides.
    pub method: Option<Verb>,
    /// Lowercase, below `/v1/`: `order/placeorder`.
    pub endpoint: String,
    pub query: QueryMap,
    pub body: String,
    pub token: Option<String>,
}

/// What a handler is given.
#[derive(Debug)]
pub(crate) struct Input {
    pub endpoint: String,
    pub query: QueryMap,
    pub body: Fields,
}

type UserHandler = fn(&mut State, &Ctx, &Input) -> Answer;

enum Handler {
    /// Needs no token (login).
    Login,
    User(UserHandler),
    /// An order command: the device-id rule applies.
    Trading(UserHandler),
    Entity(Entity, Op),
}

struct Route {
    verb: Verb,
    handler: Handler,
}

fn route(endpoint: &str) -> Option<Route> {
    use Handler::{Trading, User};
    let (verb, handler) = match endpoint {
        "auth/accesstokenrequest" => (Verb::Post, Handler::Login),
        "auth/renewaccesstoken" => (Verb::Any, User(|state, ctx, _| auth::renew(state, ctx))),
        "auth/me" => (Verb::Any, User(|state, ctx, _| auth::me(state, ctx))),
        "user/syncrequest" => (Verb::Post, User(sync::request)),
        "contract/find"
        | "contract/item"
        | "contract/items"
        | "contract/suggest"
        | "contractmaturity/item"
        | "contractmaturity/items"
        | "product/find"
        | "product/item"
        | "product/list" => (Verb::Get, User(reads::library)),
        "cashbalance/getcashbalancesnapshot" => (Verb::Post, User(reads::cash_snapshot)),
        "order/placeorder" => (Verb::Post, Trading(orders::place)),
        "order/placeoso" => (Verb::Post, Trading(orders::place_oso)),
        "order/placeoco" => (Verb::Post, Trading(orders::place_oco)),
        "orderstrategy/startorderstrategy" => (Verb::Post, Trading(strategies::start_strategy)),
        "order/cancelorder" => (Verb::Post, Trading(manage::cancel)),
        "order/modifyorder" => (Verb::Post, Trading(manage::modify)),
        "order/liquidateposition" => (Verb::Post, Trading(manage::liquidate)),
        "order/liquidatepositions" => (Verb::Post, Trading(manage::liquidate_all)),
        other => {
            let (entity, op) = other.split_once('/')?;
            (
                Verb::Get,
                Handler::Entity(Entity::parse(entity)?, Op::parse(op)?),
            )
        }
    };
    Some(Route { verb, handler })
}

/// Serves one call against the state (the caller holds the lock).
pub(crate) fn call(state: &mut State, call: &Call) -> Answer {
    let Some(route) = route(&call.endpoint) else {
        return Answer::empty(404);
    };
    let uses_body = match (route.verb, call.method) {
        (Verb::Post, _) => true,
        (Verb::Get, _) => false,
        (Verb::Any, Some(method)) => method == Verb::Post && !call.body.trim().is_empty(),
        (Verb::Any, None) => !call.body.trim().is_empty(),
    };
    if let Some(method) = call.method
        && route.verb != Verb::Any
        && method != route.verb
    {
        return Answer::empty(404);
    }
    // The request as penalty tickets compare it: the JSON body, or the query of a GET.
    let mut request = if uses_body {
        match parse_body(&call.body) {
            Ok(fields) => Value::Object(fields),
            Err(answer) => return answer,
        }
    } else {
        Value::Object(
            call.query
                .iter()
                .map(|(key, value)| (key.clone(), Value::String(value.clone())))
                .collect(),
        )
    };
    let block = state.config.captcha_block_seconds;
    if let Some(penalty) = state.limits.check(&call.endpoint, &mut request, block) {
        return penalty;
    }
    let mut input = Input {
        endpoint: call.endpoint.clone(),
        query: call.query.clone(),
        body: Fields::new(),
    };
    match request {
        Value::Object(fields) if uses_body => input.body = fields,
        _ => {
            input.query.remove("p-ticket");
        }
    }
    if let Handler::Login = route.handler {
        return auth::login(state, &call.endpoint, &input.body);
    }
    let Some(ctx) = auth::authenticate(state, call.token.as_deref()) else {
        return Answer::empty(401);
    };
    let per_minute = state.config.requests_per_minute;
    if state.limits.over_rate(ctx.user_id, per_minute) {
        return Answer::empty(429);
    }
    match route.handler {
        Handler::Login => Answer::empty(404),
        Handler::User(handler) => handler(state, &ctx, &input),
        Handler::Trading(handler) => {
            if state.config.require_device_id && ctx.device_id.is_none() {
                return Answer::empty(401);
            }
            handler(state, &ctx, &input)
        }
        Handler::Entity(entity, op) => reads::entity_read(state, &ctx, entity, op, &input.query),
    }
}

fn parse_body(text: &str) -> Result<Fields, Answer> {
    if text.trim().is_empty() {
        return Err(Answer::bad_request("a JSON object body is required"));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(Answer::bad_request("the body must be a JSON object")),
        Err(err) => Err(Answer::bad_request(format!("the body is not JSON: {err}"))),
    }
}
