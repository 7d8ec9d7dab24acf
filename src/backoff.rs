//! Exponential backoff with a cap and jitter, shared by supervisor restarts
//! and `task::retry`.
//!
//! Invariant: [`Backoff::delay`] never exceeds `max`, and with
//! [`Jitter::None`] it is exactly `initial * multiplier^n` (capped): a pure
//! function of the retry number.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How randomness spreads the delays of many retrying clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// The exact exponential delay.
    None,
    /// Uniform in `0..=delay` ("full jitter").
    #[default]
    Full,
    /// `delay/2` plus uniform in `0..=delay/2` ("equal jitter").
    Equal,
}

/// Delays that grow exponentially: `initial * multiplier^n`, capped at
/// `max`, then jittered. Deserializes from config with every field
/// optional (defaults: 100 ms, ×2, 10 s, full jitter).
///
/// ```
/// use std::time::Duration;
/// use retinue::{Backoff, Jitter};
///
/// let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(100))
///     .jitter(Jitter::None);
/// let delays: Vec<_> = (0..5).map(|n| backoff.delay(n)).collect();
/// assert_eq!(delays, [10, 20, 40, 80, 100].map(Duration::from_millis));
/// assert_eq!(Backoff::constant(Duration::from_millis(7)).delay(30), Duration::from_millis(7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Backoff {
    /// The first delay. Default: 100 ms.
    #[serde(with = "crate::duration")]
    pub initial: Duration,
    /// Growth per retry (1.0 is a constant delay). Default: 2.
    pub multiplier: f64,
    /// The longest delay. Default: 10 s.
    #[serde(with = "crate::duration")]
    pub max: Duration,
    /// Default: full jitter.
    pub jitter: Jitter,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            multiplier: 2.0,
            max: Duration::from_secs(10),
            jitter: Jitter::Full,
        }
    }
}

impl Backoff {
    /// Doubling from `initial` up to `max`, with full jitter.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            ..Backoff::default()
        }
    }

    /// Doubling from `initial`, capped at 10 s, full jitter.
    pub fn exponential(initial: Duration) -> Self {
        Backoff {
            initial,
            ..Backoff::default()
        }
    }

    /// The same delay every time, no jitter.
    pub fn constant(delay: Duration) -> Self {
        Backoff {
            initial: delay,
            multiplier: 1.0,
            max: delay,
            jitter: Jitter::None,
        }
    }

    /// Sets the cap.
    pub fn max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// Sets the growth factor (values below 1 are treated as 1).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Sets the jitter.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The delay before retry number `retry` (0 for the first), before jitter.
    pub fn base_delay(&self, retry: u32) -> Duration {
        let multiplier = if self.multiplier.is_finite() {
            self.multiplier.max(1.0)
        } else {
            1.0
        };
        let raw = self.initial.as_secs_f64() * multiplier.powi(retry.min(1024) as i32);
        let max = self.max.as_secs_f64();
        let capped = if raw.is_finite() { raw.min(max) } else { max };
        Duration::from_secs_f64(capped.max(0.0))
    }

    /// The delay before retry number `retry`, jittered.
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_with(retry, fastrand::f64())
    }

    /// The delay before retry number `retry`, with `random` (in `0..=1`) as
    /// the jitter draw. Deterministic, for tests.
    pub fn delay_with(&self, retry: u32, random: f64) -> Duration {
        let base = self.base_delay(retry);
        let random = random.clamp(0.0, 1.0);
        match self.jitter {
            Jitter::None => base,
            Jitter::Full => base.mul_f64(random),
            Jitter::Equal => base / 2 + (base / 2).mul_f64(random),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_its_band() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        for r in [0.0, 0.3, 1.0] {
            assert!(b.jitter(Jitter::Full).delay_with(0, r) <= Duration::from_millis(100));
            let equal = b.jitter(Jitter::Equal).delay_with(0, r);
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
