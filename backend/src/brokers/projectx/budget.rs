//! The login's request budget. ProjectX allows 200 calls per 60 s per login (logins are not
//! counted), and every account on the login draws from the same budget, so the adapter keeps
//! one limiter for all of them: a call waits for room instead of failing.
//!
//! A call occupies its slot from when it is sent until a full window after its answer came
//! back: the venue saw it no later than that, so however the network delays a request, the
//! venue never counts more than the limit in any window. An HTTP 429 pauses every call until
//! its `Retry-After` has passed.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How often a call re-checks when every slot is taken by calls still in flight.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(20);

pub struct Budget {
    limit: usize,
    window: Duration,
    state: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    in_flight: usize,
    /// When each answered call's answer came back, oldest first, within the window.
    answered: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

/// One call's slot; dropping it (the answer is in, or the call failed) starts its window.
pub struct Permit<'a> {
    budget: &'a Budget,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut slots = self.budget.slots();
        slots.in_flight = slots.in_flight.saturating_sub(1);
        slots.answered.push_back(Instant::now());
    }
}

impl Budget {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: (limit as usize).max(1),
            window,
            state: Mutex::default(),
        }
    }

    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until one more call fits, and takes its slot.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let wait = {
                let mut slots = self.slots();
                let now = Instant::now();
                while slots
                    .answered
                    .front()
                    .is_some_and(|at| *at + self.window <= now)
                {
                    slots.answered.pop_front();
                }
                match slots.paused_until {
                    Some(until) if until > now => until - now,
                    _ if slots.in_flight + slots.answered.len() < self.limit => {
                        slots.paused_until = None;
                        slots.in_flight += 1;
                        return Permit { budget: self };
                    }
                    _ => match slots.answered.front() {
                        Some(oldest) => (*oldest + self.window).saturating_duration_since(now),
                        None => IN_FLIGHT_POLL,
                    },
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// The venue said to slow down: no call goes out for `wait`.
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut slots = self.slots();
        slots.paused_until = Some(slots.paused_until.map_or(until, |at| at.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_beyond_the_limit_wait_a_window_after_the_oldest_answer() {
        let budget = Budget::new(2, Duration::from_millis(300));
        let started = Instant::now();
        drop(budget.acquire().await);
        drop(budget.acquire().await);
        assert!(started.elapsed() < Duration::from_millis(100));
        drop(budget.acquire().await);
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn a_pause_holds_every_call() {
        let budget = Budget::new(100, Duration::from_secs(60));
        budget.pause(Duration::from_millis(200));
        let started = Instant::now();
        drop(budget.acquire().await);
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn calls_in_flight_hold_their_slots() {
        let budget = Budget::new(1, Duration::from_millis(100));
        let first = budget.acquire().await;
        let waiting = tokio::time::timeout(Duration::from_millis(150), budget.acquire()).await;
        assert!(
            waiting.is_err(),
            "a second call went out while the first was in flight"
        );
        drop(first);
        let started = Instant::now();
        drop(budget.acquire().await);
        assert!(started.elapsed() >= Duration::from_millis(90));
    }
}
