//! The breaker's configuration: a serde-deserializable struct with
//! documented defaults, meant to be read from config files.
//!
//! Invariant: a config that passes [`BreakerConfig::validate`] cannot make
//! the breaker actor misbehave (no zero windows, rates within 0..=1, ...);
//! [`CircuitBreaker::spawn`](super::CircuitBreaker::spawn) validates first.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How a circuit breaker decides to trip, when to try again, and what
/// counts as slow. Every field has a default, so `{}` is a valid config.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{BreakerConfig, TripPolicy, Window};
///
/// let cfg: BreakerConfig = serde_json::from_str(r#"{
///     "trip": { "failure_rate": { "rate": 0.5 } },
///     "window": { "count": 20 },
///     "minimum_calls": 5,
///     "open_wait": "250ms",
///     "slow_calls": { "threshold": "2s", "rate": 0.8 }
/// }"#).unwrap();
/// assert_eq!(cfg.trip, TripPolicy::FailureRate { rate: 0.5 });
/// assert_eq!(cfg.window, Window::Count(20));
/// assert_eq!(cfg.open_wait, Duration::from_millis(250));
/// assert_eq!(cfg.half_open_trials, 1); // a default
/// cfg.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// When a closed breaker trips. Default: 5 consecutive failures.
    pub trip: TripPolicy,
    /// The sliding window over which failure and slow-call rates are
    /// computed (and reported in metrics). Default: the last 100 calls.
    pub window: Window,
    /// No rate (failure or slow) is computed before the window holds this
    /// many calls. Default: 10; must be at least 1. With a count window
    /// smaller than this, the window's size is used instead (as
    /// resilience4j clamps it), see
    /// [`effective_minimum_calls`](Self::effective_minimum_calls).
    pub minimum_calls: u32,
    /// Optional slow-call policy: calls longer than `threshold` count as
    /// slow, and a slow-call rate at or above `rate` trips. Default: none.
    pub slow_calls: Option<SlowCalls>,
    /// How long the breaker stays open before admitting trial calls.
    /// Default: 5 s.
    #[serde(with = "crate::duration")]
    pub open_wait: Duration,
    /// Optional growth of the open wait each time the breaker re-opens
    /// without closing in between. Default: none (constant wait).
    pub open_backoff: Option<OpenBackoff>,
    /// How many trial calls half-open admits; all must succeed to close,
    /// any failing one re-opens (a slow trial counts as failing when slow
    /// calls are watched; an ignored or cancelled trial frees its slot).
    /// Default: 1.
    pub half_open_trials: u32,
    /// Move from open to half-open by timer when the wait ends, instead of
    /// lazily on the next call. Default: false.
    pub automatic_transition: bool,
    /// A call running longer than this is abandoned, counts as a failure,
    /// and its caller gets [`CallError::Timeout`](super::CallError::Timeout).
    /// Default: none.
    #[serde(with = "crate::duration::option")]
    pub call_timeout: Option<Duration>,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            trip: TripPolicy::default(),
            window: Window::default(),
            minimum_calls: 10,
            slow_calls: None,
            open_wait: Duration::from_secs(5),
            open_backoff: None,
            half_open_trials: 1,
            automatic_transition: false,
            call_timeout: None,
        }
    }
}

/// When a closed breaker trips.
///
/// ```
/// use retinue::sync::{BreakerConfig, TripPolicy};
///
/// let cfg: BreakerConfig =
///     serde_json::from_str(r#"{ "trip": { "consecutive_failures": { "failures": 3 } } }"#).unwrap();
/// assert_eq!(cfg.trip, TripPolicy::ConsecutiveFailures { failures: 3 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TripPolicy {
    /// After this many failures in a row; any success resets the count.
    ConsecutiveFailures {
        /// Failures in a row that trip.
        failures: u32,
    },
    /// When the failure rate over the [`Window`] reaches `rate` (0..=1),
    /// once the window holds at least `minimum_calls` calls.
    FailureRate {
        /// Failure fraction that trips, e.g. 0.5.
        rate: f64,
    },
}

impl Default for TripPolicy {
    fn default() -> Self {
        TripPolicy::ConsecutiveFailures { failures: 5 }
    }
}

/// A sliding window of recent calls.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{BreakerConfig, Window};
///
/// let cfg: BreakerConfig = serde_json::from_str(r#"{ "window": { "time": "10s" } }"#).unwrap();
/// assert_eq!(cfg.window, Window::Time(Duration::from_secs(10)));
/// assert_eq!(BreakerConfig::default().window, Window::Count(100));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// The last N recorded calls.
    Count(u32),
    /// The calls recorded in the last span of time (e.g. `"10s"`),
    /// kept in 20 buckets, so it is exact to 1/20th of the span.
    Time(#[serde(with = "crate::duration")] Duration),
}

impl Default for Window {
    fn default() -> Self {
        Window::Count(100)
    }
}

/// The slow-call policy.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::BreakerConfig;
///
/// let cfg: BreakerConfig =
///     serde_json::from_str(r#"{ "slow_calls": { "threshold": "2s" } }"#).unwrap();
/// let slow = cfg.slow_calls.unwrap();
/// assert_eq!((slow.threshold, slow.rate), (Duration::from_secs(2), 1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowCalls {
    /// A call taking longer than this is slow (it still counts as a success
    /// or failure by its result).
    #[serde(with = "crate::duration")]
    pub threshold: Duration,
    /// Slow-call fraction of the window (0..=1) that trips. Default: 1.0.
    #[serde(default = "one")]
    pub rate: f64,
}

fn one() -> f64 {
    1.0
}

/// Exponential growth of the open wait: the n-th opening in a row waits
/// `open_wait * multiplier^(n-1)`, at most `max`, then randomized by
/// ±`jitter` (a fraction). Resets when the breaker closes.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::OpenBackoff;
///
/// let b = OpenBackoff { multiplier: 2.0, max: Duration::from_secs(8), jitter: 0.0 };
/// let base = Duration::from_secs(1);
/// assert_eq!(b.wait(base, 1), Duration::from_secs(1));
/// assert_eq!(b.wait(base, 3), Duration::from_secs(4));
/// assert_eq!(b.wait(base, 10), Duration::from_secs(8)); // capped
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenBackoff {
    /// Growth factor per re-opening. Default: 2.
    #[serde(default = "two")]
    pub multiplier: f64,
    /// The longest wait.
    #[serde(with = "crate::duration")]
    pub max: Duration,
    /// Random spread as a fraction of the wait, 0..1. Default: 0.
    #[serde(default)]
    pub jitter: f64,
}

fn two() -> f64 {
    2.0
}

impl OpenBackoff {
    /// The wait for the `opening`-th opening in a row (1-based), before
    /// jitter.
    pub fn wait(&self, base: Duration, opening: u32) -> Duration {
        let exp = opening.saturating_sub(1).min(64) as i32;
        let secs = base.as_secs_f64() * self.multiplier.powi(exp);
        let max = self.max.as_secs_f64().max(base.as_secs_f64());
        Duration::from_secs_f64(if secs.is_finite() { secs.min(max) } else { max })
    }
}

/// A configuration that cannot work.
///
/// ```
/// use retinue::sync::BreakerConfig;
///
/// let bad = BreakerConfig { half_open_trials: 0, ..BreakerConfig::default() };
/// let err = bad.validate().unwrap_err();
/// assert!(err.to_string().contains("half_open_trials"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid circuit breaker config: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

fn is_rate(r: f64) -> bool {
    (0.0..=1.0).contains(&r)
}

impl BreakerConfig {
    /// The number of calls the closed window must hold before a rate is
    /// computed: `minimum_calls`, clamped to the window's size for a count
    /// window (resilience4j's rule), so a failure-rate breaker whose window
    /// is smaller than `minimum_calls` still trips.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, Window};
    ///
    /// let cfg = BreakerConfig { window: Window::Count(4), ..BreakerConfig::default() };
    /// assert_eq!(cfg.minimum_calls, 10);
    /// assert_eq!(cfg.effective_minimum_calls(), 4);
    /// ```
    pub fn effective_minimum_calls(&self) -> u32 {
        match self.window {
            Window::Count(n) => self.minimum_calls.min(n),
            Window::Time(_) => self.minimum_calls,
        }
    }

    /// Checks that every field is usable.
    ///
    /// ```
    /// use retinue::sync::BreakerConfig;
    ///
    /// let zero = BreakerConfig { minimum_calls: 0, ..BreakerConfig::default() };
    /// assert!(zero.validate().is_err());
    /// assert!(BreakerConfig::default().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError(m.to_string()));
        if self.minimum_calls == 0 {
            return bad("minimum_calls must be at least 1");
        }
        match self.trip {
            TripPolicy::ConsecutiveFailures { failures: 0 } => {
                return bad("trip.consecutive_failures.failures must be at least 1");
            }
            TripPolicy::FailureRate { rate } if !is_rate(rate) || rate == 0.0 => {
                return bad("trip.failure_rate.rate must be in (0, 1]");
            }
            _ => {}
        }
        match self.window {
            Window::Count(0) => return bad("window.count must be at least 1"),
            Window::Time(d) if d < Duration::from_millis(20) => {
                return bad("window.time must be at least 20ms");
            }
            _ => {}
        }
        if self.half_open_trials == 0 {
            return bad("half_open_trials must be at least 1");
        }
        if let Some(slow) = &self.slow_calls {
            if !is_rate(slow.rate) || slow.rate == 0.0 {
                return bad("slow_calls.rate must be in (0, 1]");
            }
        }
        if let Some(b) = &self.open_backoff {
            if !(b.multiplier.is_finite() && b.multiplier >= 1.0) {
                return bad("open_backoff.multiplier must be a finite number >= 1");
            }
            if !(0.0..1.0).contains(&b.jitter) {
                return bad("open_backoff.jitter must be in [0, 1)");
            }
        }
        if self.call_timeout == Some(Duration::ZERO) {
            return bad("call_timeout must be more than zero");
        }
        Ok(())
    }
}
