//! Circuit breaker helpers shared by the breaker suites.

#![allow(dead_code)]

use std::time::Duration;

use retinue::sync::{BreakerConfig, CallError, CircuitBreaker, TripPolicy};

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Trips after `n` failures in a row; stays open 10 s.
pub fn consecutive(n: u32) -> BreakerConfig {
    BreakerConfig {
        trip: TripPolicy::ConsecutiveFailures { failures: n },
        open_wait: Duration::from_secs(10),
        ..BreakerConfig::default()
    }
}

/// A call that succeeds with 1.
pub async fn ok(b: &CircuitBreaker) -> Result<u32, CallError<&'static str>> {
    b.call(|| async { Ok(1) }).await
}

/// A call that fails with "boom".
pub async fn fail(b: &CircuitBreaker) -> Result<u32, CallError<&'static str>> {
    b.call(|| async { Err("boom") }).await
}
