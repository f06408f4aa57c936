//! What the WebSocket (`/graphql/ws`) may carry, checked where every operation is parsed.
//!
//! Rules: the socket is for subscriptions. Queries and mutations go over `POST /graphql`, where
//! the per-IP request limit and the login limits see each one; over the socket they would pass
//! the per-IP limit, which only counts the upgrade, so they are refused there before anything
//! runs (`BAD_REQUEST`). One socket runs at most [`MAX_SUBSCRIPTIONS_PER_SOCKET`] subscriptions
//! at once; the next `subscribe` is refused (`RATE_LIMITED`) while the others go on, and ending
//! one frees its slot.
//!
//! The socket's `connection_init` puts an [`OverWebSocket`] into its session data; HTTP
//! requests never carry one. async-graphql builds this extension afresh for every operation
//! and drops it with the operation's stream, so the slot it holds lives exactly as long as the
//! subscription.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ErrorExtensionValues, Request, ServerError, ServerResult, Variables};

use super::error::code;

/// Subscriptions one socket may run at once (the web app runs three).
pub const MAX_SUBSCRIPTIONS_PER_SOCKET: usize = 25;

/// Marks a WebSocket's operations, and counts the subscriptions running on it.
#[derive(Default)]
pub struct OverWebSocket {
    running: Arc<AtomicUsize>,
}

impl OverWebSocket {
    /// A slot for one more subscription, unless the socket is full.
    fn claim(&self) -> Option<SubscriptionSlot> {
        self.running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |running| {
                (running < MAX_SUBSCRIPTIONS_PER_SOCKET).then_some(running + 1)
            })
            .ok()?;
        Some(SubscriptionSlot(Arc::clone(&self.running)))
    }
}

/// One running subscription; dropping it frees the slot.
struct SubscriptionSlot(Arc<AtomicUsize>);

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why the socket refused an operation.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("send queries and mutations over HTTP POST /graphql; this socket is for subscriptions")]
    NotASubscription,
    #[error(
        "this connection already runs {MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions, the most one \
         connection may hold: end one (or open another connection) first"
    )]
    TooManySubscriptions,
}

impl TransportError {
    /// The error as the client gets it. It is raised while parsing, before any resolver, so it
    /// is a `ServerError` here rather than a resolver's `Error` from `error.rs`.
    fn to_server_error(&self) -> ServerError {
        let code = match self {
            Self::NotASubscription => code::BAD_REQUEST,
            // A quota on what the client holds at once, as the login limits are on what it
            // sends: clients already back off on RATE_LIMITED. There is no retryAfterSeconds,
            // since waiting alone frees nothing; ending a subscription does.
            Self::TooManySubscriptions => code::RATE_LIMITED,
        };
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", code);
        let mut error = ServerError::new(self.to_string(), None);
        error.extensions = Some(extensions);
        error
    }
}

/// The schema extension that applies the rules above.
pub struct SocketRules;

impl ExtensionFactory for SocketRules {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SocketOperation::default())
    }
}

/// One operation as the socket rules see it.
#[derive(Default)]
struct SocketOperation {
    /// The operation the request selects (`operationName`), when it came over a socket.
    name: Mutex<Option<String>>,
    /// Held while the subscription runs.
    slot: Mutex<Option<SubscriptionSlot>>,
}

#[async_trait::async_trait]
impl Extension for SocketOperation {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if ctx.data_opt::<OverWebSocket>().is_some() {
            *self.name.lock().unwrap_or_else(PoisonError::into_inner) =
                request.operation_name.clone();
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let Some(socket) = ctx.data_opt::<OverWebSocket>() else {
            return Ok(document);
        };
        let name = self
            .name
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match selected_operation(&document, name.as_deref()) {
            // An unknown or ambiguous operation name is refused by async-graphql right after
            // this, before anything runs.
            None => Ok(document),
            Some(OperationType::Subscription) => {
                let slot = socket
                    .claim()
                    .ok_or_else(|| TransportError::TooManySubscriptions.to_server_error())?;
                *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(slot);
                Ok(document)
            }
            Some(OperationType::Query | OperationType::Mutation) => {
                Err(TransportError::NotASubscription.to_server_error())
            }
        }
    }
}

/// The kind of operation a request runs: the one named, or the document's only one.
fn selected_operation(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation.node.ty),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(candidate, _)| candidate.as_str() == name)
            .map(|(_, operation)| operation.node.ty),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .values()
            .next()
            .map(|operation| operation.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn kind(query: &str, name: Option<&str>) -> Option<OperationType> {
        selected_operation(&parse_query(query).unwrap(), name)
    }

    #[test]
    fn the_operation_that_would_run_is_the_one_judged() {
        assert_eq!(
            kind("subscription { serverTime }", None),
            Some(OperationType::Subscription)
        );
        assert_eq!(kind("{ me { email } }", None), Some(OperationType::Query));
        let two = "subscription Tick { serverTime } mutation Login { logout }";
        assert_eq!(kind(two, Some("Login")), Some(OperationType::Mutation));
        assert_eq!(kind(two, Some("Tick")), Some(OperationType::Subscription));
        // async-graphql refuses these itself before running anything.
        assert_eq!(kind(two, None), None);
        assert_eq!(kind(two, Some("Other")), None);
    }

    #[test]
    fn a_socket_has_a_fixed_number_of_subscription_slots_that_are_given_back() {
        let socket = OverWebSocket::default();
        let mut slots: Vec<_> = (0..MAX_SUBSCRIPTIONS_PER_SOCKET)
            .map(|_| socket.claim().expect("a free slot"))
            .collect();
        assert!(socket.claim().is_none());
        slots.pop();
        assert!(socket.claim().is_some());
    }
}
