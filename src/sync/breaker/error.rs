//! The errors a protected call can end with.

use std::fmt;
use std::time::Duration;

use super::state::State;

/// The breaker did not admit the call; it never ran.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{BreakerConfig, CallError, CircuitBreaker, ManualClock, State, TripPolicy};
/// # retinue::rt::block_on(async {
/// let cfg = BreakerConfig {
///     trip: TripPolicy::ConsecutiveFailures { failures: 1 },
///     open_wait: Duration::from_secs(5),
///     ..BreakerConfig::default()
/// };
/// let breaker = CircuitBreaker::spawn_with_clock(cfg, ManualClock::new()).unwrap();
/// let _ = breaker.call(|| async { Err::<(), _>(()) }).await;
/// let err = breaker.call(|| async { Ok::<(), ()>(()) }).await.unwrap_err();
/// let rejected = err.rejected().unwrap();
/// assert_eq!(rejected.state, State::Open);
/// assert_eq!(rejected.retry_after, Some(Duration::from_secs(5)));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// The breaker's state when it refused.
    pub state: State,
    /// How long until a trial call will be admitted, when that is known
    /// (open with a running wait). `None` when forced open, or when
    /// half-open and every trial slot is taken.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "circuit breaker is {}", self.state)?;
        if let Some(d) = self.retry_after {
            write!(f, "; next trial in {d:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejected {}

/// Why [`CircuitBreaker::call`](super::CircuitBreaker::call) gave no value.
///
/// ```
/// use retinue::sync::CallError;
///
/// let e: CallError<&str> = CallError::Inner("boom");
/// assert_eq!(e.to_string(), "boom");
/// assert_eq!(CallError::<&str>::Unavailable.into_inner(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError<E> {
    /// The call's own error, untouched.
    Inner(E),
    /// The breaker refused the call; it never ran.
    Rejected(Rejected),
    /// The call ran past the configured call timeout and was abandoned
    /// (dropped); it counted as a failure.
    Timeout(Duration),
    /// The breaker actor is gone (stopped); the call did not run.
    Unavailable,
}

impl<E> CallError<E> {
    /// The call's own error, if that is what this is.
    ///
    /// ```
    /// use retinue::sync::CallError;
    ///
    /// assert_eq!(CallError::Inner(7).into_inner(), Some(7));
    /// ```
    pub fn into_inner(self) -> Option<E> {
        match self {
            CallError::Inner(e) => Some(e),
            _ => None,
        }
    }

    /// The rejection, if the breaker refused.
    ///
    /// ```
    /// use retinue::sync::CallError;
    ///
    /// assert!(CallError::Inner(7).rejected().is_none());
    /// ```
    pub fn rejected(&self) -> Option<&Rejected> {
        match self {
            CallError::Rejected(r) => Some(r),
            _ => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for CallError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Inner(e) => e.fmt(f),
            CallError::Rejected(r) => r.fmt(f),
            CallError::Timeout(d) => write!(f, "call timed out after {d:?}"),
            CallError::Unavailable => f.write_str("circuit breaker actor is gone"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for CallError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::Inner(e) => Some(e),
            CallError::Rejected(r) => Some(r),
            _ => None,
        }
    }
}
