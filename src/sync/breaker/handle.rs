//! [`CircuitBreaker`]: the handle users call. The protected call runs
//! here, in the caller's task; the actor only admits and records.
//!
//! Invariants:
//! - In the closed and disabled states a call is admitted from the
//!   published state word without asking the actor (one atomic load); its
//!   outcome is reported with one `tell_urgent`. Other states ask.
//! - A failure, slow call or trial outcome is acknowledged before `call`
//!   returns: the caller's next call sees the transition it caused. A
//!   plain success is not (it stays one message); the rare trip it can
//!   cause under a failure-rate policy is visible once the actor has
//!   read it (any later ask, e.g. `metrics`, is served after it).
//! - A call that is abandoned by its caller (future dropped) reports
//!   nothing but the release of its trial slot, if it held one.
//! - A call past `call_timeout` is dropped, recorded as a failure, and
//!   answered with [`CallError::Timeout`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::{FutureExt, Stream};

use crate::supervisor::ChildSpec;
use crate::sync::{Clock, SystemClock};
use crate::{Addr, AskError};

use super::actor::{Acquire, Books, GetMetrics, Manual, Permit, Shared, Subscribe};
use super::config::{BreakerConfig, ConfigError};
use super::error::CallError;
use super::state::{Metrics, Outcome, State, Transition};

/// A circuit breaker. Cheap to clone; clones share one breaker actor,
/// which stops when the last clone is dropped.
///
/// ```
/// use retinue::sync::{BreakerConfig, CallError, CircuitBreaker, State, TripPolicy};
///
/// # retinue::rt::block_on(async {
/// let breaker = CircuitBreaker::spawn(BreakerConfig {
///     trip: TripPolicy::ConsecutiveFailures { failures: 2 },
///     ..BreakerConfig::default()
/// }).unwrap();
///
/// assert_eq!(breaker.call(|| async { Ok::<_, &str>(1) }).await, Ok(1));
/// for _ in 0..2 {
///     let err = breaker.call(|| async { Err::<u32, _>("down") }).await;
///     assert_eq!(err, Err(CallError::Inner("down")));
/// }
/// // Tripped: the next call does not even run.
/// let rejected = breaker.call(|| async { Ok::<u32, &str>(2) }).await;
/// assert!(matches!(rejected, Err(CallError::Rejected(r)) if r.state == State::Open));
/// # });
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    addr: Addr<Books>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    call_timeout: Option<Duration>,
    slow_threshold: Option<Duration>,
}

impl CircuitBreaker {
    /// Validates `config` and starts a breaker on real time.
    pub fn spawn(config: BreakerConfig) -> Result<Self, ConfigError> {
        Self::spawn_with_clock(config, SystemClock)
    }

    /// Starts a breaker on the given clock (tests use
    /// [`ManualClock`](crate::sync::ManualClock)).
    pub fn spawn_with_clock(config: BreakerConfig, clock: impl Clock) -> Result<Self, ConfigError> {
        config.validate()?;
        let clock: Arc<dyn Clock> = Arc::new(clock);
        let shared = Arc::new(Shared::new());
        let call_timeout = config.call_timeout;
        let slow_threshold = config.slow_calls.map(|s| s.threshold);
        let addr = crate::spawn(Books::new(config, clock.clone(), shared.clone()));
        Ok(CircuitBreaker {
            addr,
            shared,
            clock,
            call_timeout,
            slow_threshold,
        })
    }

    /// A breaker to run under a supervisor: the child spec (its factory
    /// builds fresh books on every restart, starting closed) and the
    /// handle, which stays valid across restarts. Validates `config`.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, State};
    /// use retinue::supervisor::{Strategy, Supervisor};
    ///
    /// # retinue::rt::block_on(async {
    /// let (spec, breaker) = CircuitBreaker::child_spec("payments", BreakerConfig::default()).unwrap();
    /// let root = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
    /// assert_eq!(breaker.call(|| async { Ok::<_, ()>(7) }).await, Ok(7));
    /// assert_eq!(breaker.state(), State::Closed);
    /// root.shutdown().await;
    /// # });
    /// ```
    pub fn child_spec(
        id: impl Into<String>,
        config: BreakerConfig,
    ) -> Result<(ChildSpec, CircuitBreaker), ConfigError> {
        config.validate()?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let shared = Arc::new(Shared::new());
        let call_timeout = config.call_timeout;
        let slow_threshold = config.slow_calls.map(|s| s.threshold);
        let spec = {
            let (clock, shared) = (clock.clone(), shared.clone());
            ChildSpec::worker(id, move || {
                Books::new(config.clone(), clock.clone(), shared.clone())
            })
        };
        let addr = spec
            .addr::<Books>()
            .expect("the spec was made for the books");
        let handle = CircuitBreaker {
            addr,
            shared,
            clock,
            call_timeout,
            slow_threshold,
        };
        Ok((spec, handle))
    }

    /// Runs `f()` through the breaker: `Ok` is a success, `Err` a failure.
    /// Returns the call's own result, or why it did not run / was cut off.
    pub async fn call<T, E, F, Fut>(&self, f: F) -> Result<T, CallError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.call_with(
            |r: &Result<T, E>| {
                if r.is_ok() {
                    Outcome::Success
                } else {
                    Outcome::Failure
                }
            },
            f,
        )
        .await
    }

    /// Like [`call`](Self::call), with your own classification of the
    /// result: some errors may be ignored or count as successes, and an
    /// `Ok` value may count as a failure.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, Outcome};
    ///
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// let not_found = |r: &Result<u16, u16>| match r {
    ///     Ok(_) => Outcome::Success,
    ///     Err(404) => Outcome::Ignore, // says nothing about the service's health
    ///     Err(_) => Outcome::Failure,
    /// };
    /// let r = breaker.call_with(not_found, || async { Err::<u16, u16>(404) }).await;
    /// assert_eq!(r.unwrap_err().into_inner(), Some(404));
    /// let m = breaker.metrics().await.unwrap();
    /// assert_eq!((m.calls, m.ignored), (0, 1));
    /// # });
    /// ```
    pub async fn call_with<T, E, C, F, Fut>(&self, classify: C, f: F) -> Result<T, CallError<E>>
    where
        C: FnOnce(&Result<T, E>) -> Outcome,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let (epoch, code) = self.shared.load();
        let permit = if State::admits_freely(code) {
            Permit {
                addr: None,
                epoch,
                trial: false,
            }
        } else {
            match self.addr.ask(Acquire).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(rejected)) => return Err(CallError::Rejected(rejected)),
                Err(_) => return Err(CallError::Unavailable),
            }
        };
        // Time is read only when slow calls are watched.
        let start = self.slow_threshold.map(|_| self.clock.now());
        let result = match self.call_timeout {
            None => Some(f().await),
            Some(limit) => {
                let sleep = self.clock.sleep(limit);
                async { Some(f().await) }
                    .or(async {
                        sleep.await;
                        None
                    })
                    .await
            }
        };
        let slow = match (start, self.slow_threshold) {
            (Some(start), Some(threshold)) => {
                self.clock.now().saturating_duration_since(start) > threshold
            }
            _ => false,
        };
        match result {
            Some(result) => {
                permit.report(classify(&result), slow, &self.addr).await;
                result.map_err(CallError::Inner)
            }
            None => {
                permit.report(Outcome::Failure, slow, &self.addr).await;
                Err(CallError::Timeout(self.call_timeout.unwrap_or_default()))
            }
        }
    }

    /// The state as last published by the actor. An open breaker whose
    /// wait is over reads `Open` until the next call (or the timer, with
    /// automatic transition) moves it to half-open.
    pub fn state(&self) -> State {
        State::from_code(self.shared.load().1)
    }

    /// A snapshot of the books.
    pub async fn metrics(&self) -> Result<Metrics, AskError> {
        self.addr.ask(GetMetrics).await
    }

    /// Every transition from now on, each exactly once, in order.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, State};
    ///
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// let mut changes = breaker.subscribe().await.unwrap();
    /// breaker.force_open().await.unwrap();
    /// breaker.force_open().await.unwrap(); // same state: no transition
    /// breaker.reset().await.unwrap();
    /// let t = changes.recv().await.unwrap();
    /// assert_eq!((t.from, t.to), (State::Closed, State::ForcedOpen));
    /// let t = changes.recv().await.unwrap();
    /// assert_eq!((t.from, t.to), (State::ForcedOpen, State::Closed));
    /// assert!(changes.try_recv().is_none());
    /// # });
    /// ```
    pub async fn subscribe(&self) -> Result<Subscription, AskError> {
        Ok(Subscription {
            rx: Box::pin(self.addr.ask(Subscribe).await?),
        })
    }

    /// Opens the breaker until another manual change: every call is rejected.
    pub async fn force_open(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::ForceOpen).await
    }

    /// Closes the breaker (from any state) with a fresh window; normal
    /// tripping resumes.
    pub async fn force_closed(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::ForceClosed).await
    }

    /// Admits every call and never trips, still counting in the metrics.
    pub async fn disable(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::Disable).await
    }

    /// Back to a fresh closed breaker: window, counts, open-wait backoff
    /// and metrics cleared.
    pub async fn reset(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::Reset).await
    }

    /// The clock this breaker runs on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// A stream of a breaker's [`Transition`]s; ends when the breaker stops.
pub struct Subscription {
    rx: std::pin::Pin<Box<async_channel::Receiver<Transition>>>,
}

impl Subscription {
    /// The next transition; `None` once the breaker is gone.
    pub async fn recv(&mut self) -> Option<Transition> {
        self.rx.recv().await.ok()
    }

    /// A transition that already happened, without waiting.
    pub fn try_recv(&mut self) -> Option<Transition> {
        self.rx.try_recv().ok()
    }
}

impl Stream for Subscription {
    type Item = Transition;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Transition>> {
        self.rx.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}
