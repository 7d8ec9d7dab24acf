//! Exponential backoff with a cap and jitter.
//!
//! Invariant: [`Backoff::delay`] never exceeds `max` and never goes below
//! zero; with [`Jitter::None`] it is a pure function of the retry number.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::duration::serde_duration;

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
/// `max`, then jittered.
///
/// ```
/// use std::time::Duration;
/// use retinue::task::{Backoff, Jitter};
///
/// let b = Backoff::exponential(Duration::from_millis(100))
///     .max(Duration::from_millis(350))
///     .jitter(Jitter::None);
/// let ms: Vec<u128> = (0..4).map(|n| b.delay(n).as_millis()).collect();
/// assert_eq!(ms, vec![100, 200, 350, 350]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Backoff {
    /// The first delay. Default: 100 ms.
    #[serde(with = "serde_duration")]
    pub initial: Duration,
    /// Growth per retry (1.0 is a constant delay). Default: 2.
    pub multiplier: f64,
    /// The longest delay. Default: 10 s.
    #[serde(with = "serde_duration")]
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

    /// The delay before retry number `retry` (0 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let multiplier = if self.multiplier.is_finite() {
            self.multiplier.max(1.0)
        } else {
            1.0
        };
        let exp = retry.min(1024) as i32;
        let raw = self.initial.as_secs_f64() * multiplier.powi(exp);
        let max = self.max.as_secs_f64();
        let capped = if raw.is_finite() { raw.min(max) } else { max };
        let capped = Duration::from_secs_f64(capped.max(0.0));
        match self.jitter {
            Jitter::None => capped,
            Jitter::Full => capped.mul_f64(fastrand::f64()),
            Jitter::Equal => capped / 2 + (capped / 2).mul_f64(fastrand::f64()),
        }
    }
}
