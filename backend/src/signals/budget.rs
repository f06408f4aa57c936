//! A webhook's signal budget: `COPYTRADE_SIGNAL_RATE` a minute, in bursts of up to a third of
//! that, as the generic cell rate algorithm (GCRA) counts it.
//!
//! Rules: the whole state is one moment per webhook, when its budget is whole again
//! (`full_at`), stored in the webhook's row and changed in the transaction that takes the
//! signal, under the webhook's lock: every instance sharing the database spends the same
//! budget. Spending one unit moves `full_at` one interval (a minute / rate) later, starting
//! from now if it lies in the past; a request is refused when that would put `full_at` more
//! than a burst of intervals ahead of now.

use chrono::Duration;

use crate::db::types::Ts;

/// How many units, how fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The time one unit takes to come back.
    interval: Duration,
    /// Units that can be spent at once from a whole budget.
    burst: u32,
}

impl Budget {
    /// `per_minute` units a minute, in bursts of a third of that (at least 1).
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        let micros = (60_000_000 / i64::from(per_minute)).max(1);
        Self {
            interval: Duration::microseconds(micros),
            burst: per_minute.div_ceil(3).max(1),
        }
    }

    /// Spends one unit at `now`, given when the budget is whole again (`None`: it is). Gives the
    /// new `full_at` to store, or how long to wait before a unit is there.
    pub fn spend(&self, full_at: Option<Ts>, now: Ts) -> Result<Ts, Duration> {
        let start = full_at.map_or(now.0, |at| at.0.max(now.0));
        let after = start + self.interval;
        let capacity = self.interval * i32::try_from(self.burst).unwrap_or(i32::MAX);
        let ahead = after - now.0;
        if ahead > capacity {
            Err(ahead - capacity)
        } else {
            Ok(Ts::new(after))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn at(seconds: i64) -> Ts {
        Ts::new(Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap())
    }

    /// Spends as many units as the budget gives at `now`.
    fn drain(budget: &Budget, full_at: &mut Option<Ts>, now: Ts) -> usize {
        let mut spent = 0;
        while let Ok(next) = budget.spend(*full_at, now) {
            *full_at = Some(next);
            spent += 1;
            assert!(spent < 10_000, "the budget never runs out");
        }
        spent
    }

    #[test]
    fn a_whole_budget_gives_a_burst_then_one_unit_per_interval() {
        let budget = Budget::per_minute(60);
        let mut full_at = None;
        assert_eq!(drain(&budget, &mut full_at, at(0)), 20, "a third of 60");
        assert_eq!(
            budget.spend(full_at, at(0)),
            Err(Duration::seconds(1)),
            "the next unit comes back in a second"
        );
        assert_eq!(drain(&budget, &mut full_at, at(1)), 1);
        assert_eq!(drain(&budget, &mut full_at, at(11)), 10);
        // Idle long enough, it is whole again, and never more than whole.
        assert_eq!(drain(&budget, &mut full_at, at(3600)), 20);
    }

    #[test]
    fn a_minute_never_takes_more_than_the_rate_and_a_burst() {
        let budget = Budget::per_minute(6);
        let mut full_at = None;
        let taken: usize = (0..60).map(|s| drain(&budget, &mut full_at, at(s))).sum();
        assert_eq!(taken, 2 + 5, "a burst of 2, then one every 10 s");
    }

    #[test]
    fn small_and_huge_rates_stay_sane() {
        let one = Budget::per_minute(1);
        let mut full_at = None;
        assert_eq!(drain(&one, &mut full_at, at(0)), 1);
        assert_eq!(one.spend(full_at, at(0)), Err(Duration::seconds(60)));
        // The largest rate the settings allow: 6 µs an interval, still spent one by one.
        let huge = Budget::per_minute(10_000_000);
        let mut full_at = None;
        for _ in 0..1000 {
            full_at = Some(huge.spend(full_at, at(0)).unwrap());
        }
        assert_eq!(
            full_at,
            Some(Ts::new(at(0).0 + Duration::microseconds(6_000)))
        );
    }
}
