//! What the breaker tells the world: its [`State`], each [`Transition`],
//! [`Metrics`], and how a call's result is classified ([`Outcome`]).

use std::fmt;
use std::time::{Duration, Instant};

/// A breaker's state.
///
/// ```
/// use retinue::sync::State;
///
/// assert_eq!(State::HalfOpen.to_string(), "half-open");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls run and are recorded; the trip policy is watched.
    Closed,
    /// Calls are rejected until the wait ends.
    Open,
    /// A fixed number of trial calls run; they decide between closed and open.
    HalfOpen,
    /// Manually opened: every call is rejected until a manual change.
    ForcedOpen,
    /// Manually disabled: every call runs, is counted in the metrics, and
    /// nothing ever trips.
    Disabled,
}

impl State {
    pub(super) fn code(self) -> u64 {
        match self {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
            State::ForcedOpen => 3,
            State::Disabled => 4,
        }
    }

    /// Whether a call in this state runs without asking the actor.
    pub(super) fn admits_freely(code: u64) -> bool {
        code == 0 || code == 4
    }

    pub(super) fn from_code(code: u64) -> State {
        match code {
            0 => State::Closed,
            1 => State::Open,
            2 => State::HalfOpen,
            3 => State::ForcedOpen,
            _ => State::Disabled,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
            State::ForcedOpen => "forced-open",
            State::Disabled => "disabled",
        })
    }
}

/// One real state change (`from != to`, always).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state left.
    pub from: State,
    /// The state entered.
    pub to: State,
    /// When, on the breaker's clock.
    pub at: Instant,
}

/// How a finished call counts.
///
/// ```
/// use retinue::sync::{BreakerConfig, CircuitBreaker, Outcome};
/// # retinue::rt::block_on(async {
/// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
/// // an Ok value that is really a failure
/// let classify = |r: &Result<u16, ()>| if r == &Ok(503) { Outcome::Failure } else { Outcome::Success };
/// let _ = breaker.call_with(classify, || async { Ok(503) }).await;
/// assert_eq!(breaker.metrics().await.unwrap().failures, 1);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A success: resets the consecutive-failure count.
    Success,
    /// A failure: counts toward tripping.
    Failure,
    /// Not recorded at all (e.g. a "not found" that says nothing about the
    /// service's health). Frees a half-open trial slot.
    Ignore,
}

/// A snapshot of the breaker's books.
///
/// ```
/// use retinue::sync::{BreakerConfig, CircuitBreaker, State};
/// # retinue::rt::block_on(async {
/// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
/// let m = breaker.metrics().await.unwrap();
/// assert_eq!((m.state, m.calls, m.failure_rate, m.retry_after), (State::Closed, 0, None, None));
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// The current state.
    pub state: State,
    /// Recorded calls since the start (or the last reset).
    pub calls: u64,
    /// Of which failures (timeouts included).
    pub failures: u64,
    /// Of which slow.
    pub slow: u64,
    /// Calls classified [`Outcome::Ignore`] (not in `calls`).
    pub ignored: u64,
    /// Calls rejected without running.
    pub rejected: u64,
    /// Calls in the sliding window now.
    pub window_calls: u32,
    /// Failure rate over the window, once it holds `minimum_calls`.
    pub failure_rate: Option<f64>,
    /// Slow-call rate over the window, once it holds `minimum_calls`.
    pub slow_rate: Option<f64>,
    /// Failures in a row (closed state).
    pub consecutive_failures: u32,
    /// Until the next trial is admitted (open state).
    pub retry_after: Option<Duration>,
}

/// What became of one call, as told to
/// [`subscribe_calls`](super::CircuitBreaker::subscribe_calls) subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// The call ran and counted as a success.
    Success,
    /// The call ran and counted as a failure.
    Failure,
    /// The call ran past the call timeout and was abandoned (a failure).
    Timeout,
    /// The call ran; its outcome was [`Outcome::Ignore`]d.
    Ignored,
    /// The breaker refused the call; it never ran.
    Rejected,
}

impl fmt::Display for CallKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallKind::Success => "success",
            CallKind::Failure => "failure",
            CallKind::Timeout => "timeout",
            CallKind::Ignored => "ignored",
            CallKind::Rejected => "rejected",
        })
    }
}

/// One call's event (resilience4j's per-call events).
///
/// ```
/// use retinue::sync::{BreakerConfig, CallKind, CircuitBreaker};
/// # retinue::rt::block_on(async {
/// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
/// let mut calls = breaker.subscribe_calls().await.unwrap();
/// breaker.force_open().await.unwrap();
/// let _ = breaker.call(|| async { Ok::<_, ()>(()) }).await;
/// let e = calls.recv().await.unwrap();
/// assert_eq!((e.kind, e.elapsed), (CallKind::Rejected, None));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallEvent {
    /// What became of the call.
    pub kind: CallKind,
    /// How long it ran; `None` for a rejection, and for a call that
    /// started before anyone subscribed (its start was not read).
    pub elapsed: Option<Duration>,
    /// Whether it counted as slow (only when slow calls are watched).
    pub slow: bool,
    /// When it ended (or was rejected), on the breaker's clock.
    pub at: Instant,
}
