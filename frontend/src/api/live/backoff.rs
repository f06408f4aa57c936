//! How long to wait before the next reconnection attempt.
//!
//! Exponential, from one second up to thirty, with jitter: when the server restarts every
//! open tab reconnects at once, and spreading them out keeps it from being stampeded.

/// The delays of successive reconnection attempts.
#[derive(Debug)]
pub struct Backoff {
    ceiling_ms: u32,
    min_ms: u32,
    max_ms: u32,
}

impl Backoff {
    pub const fn new(min_ms: u32, max_ms: u32) -> Self {
        Self {
            ceiling_ms: min_ms,
            min_ms,
            max_ms,
        }
    }

    /// Back to the shortest delay, after a connection that worked.
    pub fn reset(&mut self) {
        self.ceiling_ms = self.min_ms;
    }

    /// The delay before the next attempt, given `random` in `[0, 1)`: between half the
    /// current ceiling and the ceiling. The ceiling then doubles, up to the maximum.
    pub fn next_delay_ms(&mut self, random: f64) -> u32 {
        let ceiling = self.ceiling_ms;
        self.ceiling_ms = ceiling.saturating_mul(2).min(self.max_ms);
        let half = f64::from(ceiling / 2);
        let jitter = half * random.clamp(0.0, 1.0);
        // Within [half, ceiling], so the conversion back to u32 cannot overflow.
        ((half + jitter) as u32).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_then_stay() {
        let mut backoff = Backoff::new(1_000, 30_000);
        let ceilings: Vec<u32> = (0..7).map(|_| backoff.next_delay_ms(1.0)).collect();
        assert_eq!(
            ceilings,
            [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
        );
    }

    #[test]
    fn jitter_spreads_delays_between_half_and_the_whole_ceiling() {
        let delays: Vec<u32> = [0.0, 0.5, 1.0, 7.0]
            .into_iter()
            .map(|random| Backoff::new(4_000, 30_000).next_delay_ms(random))
            .collect();
        assert_eq!(delays, [2_000, 3_000, 4_000, 4_000]);
    }

    #[test]
    fn reset_starts_over() {
        let mut backoff = Backoff::new(1_000, 30_000);
        backoff.next_delay_ms(1.0);
        backoff.next_delay_ms(1.0);
        backoff.reset();
        assert_eq!(backoff.next_delay_ms(1.0), 1_000);
    }
}
