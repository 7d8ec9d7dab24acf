//! Exponential backoff with a cap and jitter, shared by supervisor restarts
//! and `task::retry`.
//!
//! Invariant: delays never exceed `max`, and without jitter they grow as
//! `initial * factor^attempt` exactly. Jitter uses a small xorshift
//! generator seeded per `Backoff` value, so no dependency on a random crate
//! and no shared state between users.

use std::time::Duration;

use serde::Deserialize;

/// How much randomness to add to each delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// The exact exponential delay.
    None,
    /// Anywhere between zero and the delay ("full jitter").
    #[default]
    Full,
    /// Half the delay plus up to another half ("equal jitter").
    Equal,
}

/// An exponential backoff policy.
///
/// ```
/// use std::time::Duration;
/// use retinue::{Backoff, Jitter};
///
/// let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(100))
///     .jitter(Jitter::None);
/// let delays: Vec<_> = (0..5).map(|n| backoff.delay(n)).collect();
/// assert_eq!(delays, [10, 20, 40, 80, 100].map(Duration::from_millis));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// No delay is longer than this.
    pub max: Duration,
    /// Each delay is this many times the one before (before jitter).
    pub factor: f64,
    /// Randomness added to each delay.
    pub jitter: Jitter,
}

impl Backoff {
    /// Doubling from `initial` up to `max`, with full jitter.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            factor: 2.0,
            jitter: Jitter::Full,
        }
    }

    /// The same policy with another growth factor (values below 1 are
    /// taken as 1).
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// The same policy with another jitter.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The delay before retry number `attempt` (0-based), without jitter.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let factor = self.factor.max(1.0).powi(attempt.min(1024) as i32);
        let secs = self.initial.as_secs_f64() * factor;
        if !secs.is_finite() || secs >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(secs)
        }
    }

    /// The delay before retry number `attempt`, with jitter drawn from a
    /// generator seeded by `attempt` and the clock.
    pub fn delay(&self, attempt: u32) -> Duration {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64)
            ^ (attempt as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.delay_with(attempt, unit_random(seed))
    }

    /// The delay before retry number `attempt`, with `random` (in `0..=1`)
    /// as the jitter draw. Deterministic, for tests.
    pub fn delay_with(&self, attempt: u32, random: f64) -> Duration {
        let base = self.base_delay(attempt);
        let random = random.clamp(0.0, 1.0);
        match self.jitter {
            Jitter::None => base,
            Jitter::Full => base.mul_f64(random),
            Jitter::Equal => base / 2 + (base / 2).mul_f64(random),
        }
    }
}

/// A number in `0..1` from a seed (xorshift64*).
fn unit_random(seed: u64) -> f64 {
    let mut x = seed | 1;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let bits = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_its_band() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        for r in [0.0, 0.3, 1.0] {
            assert!(b.clone().jitter(Jitter::Full).delay_with(0, r) <= Duration::from_millis(100));
            let equal = b.clone().jitter(Jitter::Equal).delay_with(0, r);
            assert!(equal >= Duration::from_millis(50) && equal <= Duration::from_millis(100));
        }
        for attempt in 0..100 {
            assert!(b.delay(attempt) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn huge_attempts_saturate_at_the_cap() {
        let b = Backoff::new(Duration::from_millis(1), Duration::from_secs(3)).jitter(Jitter::None);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(3));
    }
}
