//! Tradovate's ways of saying "slow down": penalty tickets (HTTP 200 with `p-ticket`,
//! `p-time`, `p-captcha`), the login limit (10 a minute, answered with a captcha ticket), and
//! the per-user request limit (HTTP 429 with an empty body).
//!
//! A ticket is served when the identical request comes back with `"p-ticket"` added after
//! `p-time` seconds; an early resend gets a new ticket with the full wait again. A captcha
//! ticket blocks its endpoint for `captchaBlockSeconds`: until then every request to it gets
//! a captcha ticket, resend or not.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::wire::Answer;

const MINUTE: Duration = Duration::from_secs(60);

/// Penalties a test queued for an endpoint.
#[derive(Debug, Clone)]
struct Pending {
    path: String,
    p_time: u64,
    captcha: bool,
    remaining: u32,
}

#[derive(Debug, Clone)]
struct Ticket {
    path: String,
    /// The request it was given for, without `p-ticket`.
    body: Value,
    issued: Instant,
    p_time: u64,
    captcha: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Limits {
    logins: VecDeque<Instant>,
    per_user: HashMap<i64, VecDeque<Instant>>,
    pending: Vec<Pending>,
    tickets: HashMap<String, Ticket>,
    /// Endpoint -> blocked until (captcha penalties).
    blocked: HashMap<String, Instant>,
}

/// An endpoint as penalties name it: lowercase, below `/v1/` (`order/placeorder`), whether a
/// test wrote `/v1/order/placeOrder`, `/order/placeorder` or `order/placeorder`.
pub(crate) fn endpoint_key(path: &str) -> String {
    let lower = path.trim().to_ascii_lowercase();
    let trimmed = lower.trim_start_matches('/');
    trimmed.strip_prefix("v1/").unwrap_or(trimmed).to_owned()
}

impl Limits {
    /// Makes the next `count` requests to `path` answer a penalty ticket.
    pub fn add_penalty(&mut self, path: &str, p_time: u64, captcha: bool, count: u32) {
        self.pending.push(Pending {
            path: endpoint_key(path),
            p_time,
            captcha,
            remaining: count,
        });
    }

    /// The penalty answer for this request, if it gets one instead of being served. Removes
    /// `p-ticket` from `request` either way, so the handler sees the original body.
    pub fn check(&mut self, endpoint: &str, request: &mut Value, block: u64) -> Option<Answer> {
        let ticket = request
            .as_object_mut()
            .and_then(|fields| fields.remove("p-ticket"))
            .and_then(|value| value.as_str().map(str::to_owned));
        let now = Instant::now();
        if let Some(until) = self.blocked.get(endpoint).copied() {
            if now < until {
                let wait = until.saturating_duration_since(now).as_secs().max(1);
                return Some(self.issue(endpoint, request, wait, true));
            }
            self.blocked.remove(endpoint);
        }
        if let Some(ticket) = ticket
            && let Some(held) = self.tickets.get(&ticket).cloned()
            && held.path == endpoint
            && (held.captcha || held.body == *request)
        {
            self.tickets.remove(&ticket);
            // A captcha ticket's block has passed when we get here.
            if held.captcha || now >= held.issued + Duration::from_secs(held.p_time) {
                return None;
            }
            return Some(self.issue(endpoint, request, held.p_time, false));
        }
        let pending = self
            .pending
            .iter_mut()
            .find(|pending| pending.path == endpoint && pending.remaining > 0)?;
        pending.remaining -= 1;
        let (p_time, captcha) = (pending.p_time, pending.captcha);
        self.pending.retain(|pending| pending.remaining > 0);
        if captcha {
            self.block(endpoint, block);
            return Some(self.issue(endpoint, request, block.max(1), true));
        }
        Some(self.issue(endpoint, request, p_time, false))
    }

    /// Counts a login; when the minute already holds `max`, answers a captcha ticket and
    /// blocks logins for `block` seconds.
    pub fn login(
        &mut self,
        endpoint: &str,
        request: &Value,
        max: usize,
        block: u64,
    ) -> Option<Answer> {
        let now = Instant::now();
        prune(&mut self.logins, now);
        if self.logins.len() >= max {
            self.block(endpoint, block);
            return Some(self.issue(endpoint, request, block.max(1), true));
        }
        self.logins.push_back(now);
        None
    }

    /// Counts a request of `user_id`; `true` when the minute already holds `max`.
    pub fn over_rate(&mut self, user_id: i64, max: usize) -> bool {
        let now = Instant::now();
        let window = self.per_user.entry(user_id).or_default();
        prune(window, now);
        if window.len() >= max {
            return true;
        }
        window.push_back(now);
        false
    }

    fn block(&mut self, endpoint: &str, seconds: u64) {
        self.blocked.insert(
            endpoint.to_owned(),
            Instant::now() + Duration::from_secs(seconds),
        );
    }

    fn issue(&mut self, endpoint: &str, request: &Value, p_time: u64, captcha: bool) -> Answer {
        let ticket = uuid::Uuid::new_v4().simple().to_string();
        self.tickets.insert(
            ticket.clone(),
            Ticket {
                path: endpoint.to_owned(),
                body: request.clone(),
                issued: Instant::now(),
                p_time,
                captcha,
            },
        );
        Answer::ok(json!({ "p-ticket": ticket, "p-time": p_time, "p-captcha": captcha }))
    }
}

fn prune(window: &mut VecDeque<Instant>, now: Instant) {
    while window
        .front()
        .is_some_and(|at| now.saturating_duration_since(*at) >= MINUTE)
    {
        window.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket_of(answer: &Answer) -> String {
        answer.body.as_ref().expect("a ticket body")["p-ticket"]
            .as_str()
            .expect("a ticket string")
            .to_owned()
    }

    #[test]
    fn a_ticket_is_served_only_for_the_same_body_after_its_wait() {
        let mut limits = Limits::default();
        limits.add_penalty("/v1/order/placeOrder", 0, false, 1);
        let mut body = json!({ "symbol": "ESZ6" });
        let answer = limits
            .check("order/placeorder", &mut body, 3600)
            .expect("the first request is penalised");
        let ticket = ticket_of(&answer);
        // The identical body plus the ticket, after the wait (0 s here), is served.
        let mut resend = json!({ "symbol": "ESZ6", "p-ticket": ticket });
        assert_eq!(limits.check("order/placeorder", &mut resend, 3600), None);
        assert_eq!(resend, json!({ "symbol": "ESZ6" }), "p-ticket is stripped");
    }

    #[test]
    fn an_early_resend_gets_a_new_ticket() {
        let mut limits = Limits::default();
        limits.add_penalty("order/placeorder", 60, false, 1);
        let mut body = json!({ "orderQty": 1 });
        let first = limits
            .check("order/placeorder", &mut body, 3600)
            .expect("penalised");
        let mut resend = json!({ "orderQty": 1, "p-ticket": ticket_of(&first) });
        let second = limits
            .check("order/placeorder", &mut resend, 3600)
            .expect("too early");
        assert_ne!(ticket_of(&first), ticket_of(&second));
    }

    #[test]
    fn a_captcha_blocks_the_endpoint_and_logins_are_limited() {
        let mut limits = Limits::default();
        let request = json!({});
        for _ in 0..2 {
            assert_eq!(
                limits.login("auth/accesstokenrequest", &request, 2, 3600),
                None
            );
        }
        let answer = limits
            .login("auth/accesstokenrequest", &request, 2, 3600)
            .expect("the third login in a minute is refused");
        assert_eq!(answer.body.expect("body")["p-captcha"], true);
        let mut again = json!({});
        let blocked = limits
            .check("auth/accesstokenrequest", &mut again, 3600)
            .expect("blocked");
        assert_eq!(blocked.body.expect("body")["p-captcha"], true);
    }
}
