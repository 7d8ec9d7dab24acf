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
//! - Every outcome carries the time its call ended (one clock read), so
//!   the books date it there, not when the actor reads the report; the
//!   start is read too when slow calls are watched or call events are
//!   subscribed.
//! - A call past `call_timeout` is dropped, recorded as a failure, and
//!   answered with [`CallError::Timeout`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::FutureExt;

use crate::supervisor::ChildSpec;
use crate::sync::{Clock, SystemClock};
use crate::{Addr, AskError};

use super::actor::{BreakerActor, Shared};
use super::config::{BreakerConfig, ConfigError};
use super::error::CallError;
use super::feed::{CallEvents, Feed, Subscription};
use super::protocol::Parts;
use super::protocol::{
    Acquire, External, GetMetrics, GetParts, Manual, Permit, Report, Subscribe, SubscribeCalls,
};
use super::state::{Metrics, Outcome, State};

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
    addr: Addr<BreakerActor>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    call_timeout: Option<Duration>,
    slow_threshold: Option<Duration>,
}

impl CircuitBreaker {
    /// Validates `config` and starts a breaker on real time.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker};
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// assert_eq!(breaker.call(|| async { Ok::<_, ()>(1) }).await, Ok(1));
    /// // a config that cannot work is refused
    /// let bad = BreakerConfig { half_open_trials: 0, ..BreakerConfig::default() };
    /// assert!(CircuitBreaker::spawn(bad).is_err());
    /// # });
    /// ```
    pub fn spawn(config: BreakerConfig) -> Result<Self, ConfigError> {
        Self::spawn_with_clock(config, SystemClock)
    }

    /// Starts a breaker on the given clock (tests use
    /// [`ManualClock`](crate::sync::ManualClock)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, ManualClock, State, TripPolicy};
    /// # retinue::rt::block_on(async {
    /// let clock = ManualClock::new();
    /// let cfg = BreakerConfig {
    ///     trip: TripPolicy::ConsecutiveFailures { failures: 1 },
    ///     open_wait: Duration::from_secs(30),
    ///     ..BreakerConfig::default()
    /// };
    /// let breaker = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
    /// let _ = breaker.call(|| async { Err::<(), _>("down") }).await;
    /// assert_eq!(breaker.state(), State::Open);
    /// clock.advance(Duration::from_secs(30)); // no real wait
    /// assert_eq!(breaker.call(|| async { Ok::<_, &str>(()) }).await, Ok(()));
    /// assert_eq!(breaker.state(), State::Closed);
    /// # });
    /// ```
    pub fn spawn_with_clock(config: BreakerConfig, clock: impl Clock) -> Result<Self, ConfigError> {
        let actor = BreakerActor::with_clock(config, clock)?;
        let parts = actor.parts();
        Ok(Self::from_parts(crate::spawn(actor), parts))
    }

    fn from_parts(addr: Addr<BreakerActor>, parts: Parts) -> Self {
        CircuitBreaker {
            addr,
            shared: parts.shared,
            clock: parts.clock,
            call_timeout: parts.call_timeout,
            slow_threshold: parts.slow_threshold,
        }
    }

    /// A handle to an existing breaker actor (one a supervisor owns, or
    /// one a config file declared, found with
    /// `System::lookup::<BreakerActor>(name)`). Asks the actor once for
    /// the state word and clock it shares with its handles, so unlike the
    /// other primitives' `from_addr` this one is `async`.
    ///
    /// ```
    /// use retinue::sync::{BreakerActor, BreakerConfig, CircuitBreaker};
    /// # retinue::rt::block_on(async {
    /// let first = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// let again = CircuitBreaker::from_addr(first.addr().clone()).await.unwrap();
    /// again.force_open().await.unwrap();
    /// assert_eq!(first.state(), again.state()); // one breaker, two handles
    /// # });
    /// ```
    pub async fn from_addr(addr: Addr<BreakerActor>) -> Result<Self, AskError> {
        let parts = addr.ask(GetParts).await?;
        Ok(Self::from_parts(addr, parts))
    }

    /// The actor's address.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker};
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// assert!(breaker.addr().is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<BreakerActor> {
        &self.addr
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
        let parts = BreakerActor::new(config.clone())?.parts();
        let spec = {
            let (clock, shared) = (parts.clock.clone(), parts.shared.clone());
            ChildSpec::worker(id, move || {
                BreakerActor::build(config.clone(), clock.clone(), shared.clone())
            })
        };
        let addr = spec
            .addr::<BreakerActor>()
            .expect("the spec was made for the breaker actor");
        Ok((spec, Self::from_parts(addr, parts)))
    }

    /// Runs `f()` through the breaker: `Ok` is a success, `Err` a failure.
    /// Returns the call's own result, or why it did not run / was cut off.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CallError, CircuitBreaker};
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// let r: Result<u32, CallError<&str>> = breaker.call(|| async { Err("refused") }).await;
    /// assert_eq!(r, Err(CallError::Inner("refused"))); // the call's own error
    /// assert_eq!(breaker.metrics().await.unwrap().failures, 1);
    /// # });
    /// ```
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
        // The start is read only when someone needs the elapsed time.
        let timed = self.slow_threshold.is_some() || self.shared.timed();
        let start = timed.then(|| self.clock.now());
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
        let at = self.clock.now();
        let elapsed = start.map(|start| at.saturating_duration_since(start));
        let slow = match (elapsed, self.slow_threshold) {
            (Some(elapsed), Some(threshold)) => elapsed > threshold,
            _ => false,
        };
        let (outcome, timeout) = match &result {
            Some(result) => (classify(result), false),
            None => (Outcome::Failure, true),
        };
        let report = Report {
            outcome,
            slow,
            timeout,
            at,
            elapsed,
        };
        permit.report(report, &self.addr).await;
        match result {
            Some(result) => result.map_err(CallError::Inner),
            None => Err(CallError::Timeout(self.call_timeout.unwrap_or_default())),
        }
    }

    /// Records a success measured elsewhere (resilience4j's `onSuccess`):
    /// a call that ended just now after running `elapsed` (slow if longer
    /// than the slow-call threshold). It counts like a call through
    /// [`call`](Self::call): in the closed window, or as a trial when
    /// half-open has a free slot; in the open states only in the totals.
    /// Returns once the breaker has recorded it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{BreakerConfig, CircuitBreaker};
    ///
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// breaker.record_success(Duration::from_millis(12)).await.unwrap();
    /// breaker.record_failure(Duration::from_millis(30)).await.unwrap();
    /// let m = breaker.metrics().await.unwrap();
    /// assert_eq!((m.calls, m.failures, m.consecutive_failures), (2, 1, 1));
    /// # });
    /// ```
    pub async fn record_success(&self, elapsed: Duration) -> Result<(), AskError> {
        self.record_external(false, elapsed).await
    }

    /// Records a failure measured elsewhere (resilience4j's `onError`);
    /// see [`record_success`](Self::record_success). It may trip the
    /// breaker; the transition is in force when this returns.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, State, TripPolicy};
    /// # retinue::rt::block_on(async {
    /// let cfg = BreakerConfig {
    ///     trip: TripPolicy::ConsecutiveFailures { failures: 1 },
    ///     ..BreakerConfig::default()
    /// };
    /// let breaker = CircuitBreaker::spawn(cfg).unwrap();
    /// breaker.record_failure(Duration::from_millis(80)).await.unwrap();
    /// assert_eq!(breaker.state(), State::Open);
    /// # });
    /// ```
    pub async fn record_failure(&self, elapsed: Duration) -> Result<(), AskError> {
        self.record_external(true, elapsed).await
    }

    async fn record_external(&self, failed: bool, elapsed: Duration) -> Result<(), AskError> {
        let at = self.clock.now();
        self.addr
            .ask(External {
                failed,
                elapsed,
                at,
            })
            .await
    }

    /// Every call's event from now on (success, failure, timeout, ignored,
    /// rejected, with its elapsed time), in the order the breaker recorded
    /// them; beside the transitions of [`subscribe`](Self::subscribe).
    /// While anyone listens, every call reads the clock at its start too.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CallKind, CircuitBreaker};
    ///
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// let mut calls = breaker.subscribe_calls().await.unwrap();
    /// let _ = breaker.call(|| async { Err::<(), _>("down") }).await;
    /// let event = calls.recv().await.unwrap();
    /// assert_eq!(event.kind, CallKind::Failure);
    /// assert!(event.elapsed.is_some());
    /// # });
    /// ```
    pub async fn subscribe_calls(&self) -> Result<CallEvents, AskError> {
        Ok(Feed::new(self.addr.ask(SubscribeCalls).await?))
    }

    /// The state as last published by the actor. An open breaker whose
    /// wait is over reads `Open` until the next call (or the timer, with
    /// automatic transition) moves it to half-open.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, State};
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// assert_eq!(breaker.state(), State::Closed); // one atomic load, no message
    /// breaker.disable().await.unwrap();
    /// assert_eq!(breaker.state(), State::Disabled);
    /// # });
    /// ```
    pub fn state(&self) -> State {
        State::from_code(self.shared.load().1)
    }

    /// A snapshot of the books.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, Window};
    /// # retinue::rt::block_on(async {
    /// let cfg = BreakerConfig { window: Window::Count(4), minimum_calls: 2, ..BreakerConfig::default() };
    /// let breaker = CircuitBreaker::spawn(cfg).unwrap();
    /// let _ = breaker.call(|| async { Ok::<_, ()>(()) }).await;
    /// let _ = breaker.call(|| async { Err::<(), _>(()) }).await;
    /// let m = breaker.metrics().await.unwrap();
    /// assert_eq!((m.calls, m.failures, m.window_calls), (2, 1, 2));
    /// assert_eq!(m.failure_rate, Some(0.5));
    /// # });
    /// ```
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
        Ok(Feed::new(self.addr.ask(Subscribe).await?))
    }

    /// Moves the breaker to half-open now (from any state): the
    /// configured number of trial calls is admitted and decides between
    /// closed and open, as after an open wait (resilience4j's
    /// `transitionToHalfOpenState`).
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, State};
    ///
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// breaker.force_open().await.unwrap();
    /// breaker.transition_to_half_open().await.unwrap();
    /// assert_eq!(breaker.state(), State::HalfOpen);
    /// assert_eq!(breaker.call(|| async { Ok::<_, ()>(1) }).await, Ok(1)); // the trial
    /// assert_eq!(breaker.state(), State::Closed);
    /// # });
    /// ```
    pub async fn transition_to_half_open(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::HalfOpen).await
    }

    /// Opens the breaker until another manual change: every call is rejected.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CallError, CircuitBreaker, State};
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// breaker.force_open().await.unwrap();
    /// let r = breaker.call(|| async { Ok::<_, ()>(()) }).await;
    /// assert!(matches!(r, Err(CallError::Rejected(r)) if r.state == State::ForcedOpen));
    /// # });
    /// ```
    pub async fn force_open(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::ForceOpen).await
    }

    /// Closes the breaker (from any state, an already closed one too) with
    /// a fresh window and failure count; normal tripping resumes.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, State};
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// let _ = breaker.call(|| async { Err::<(), _>(()) }).await;
    /// breaker.force_closed().await.unwrap(); // already closed: a fresh window
    /// let m = breaker.metrics().await.unwrap();
    /// assert_eq!((m.state, m.consecutive_failures, m.window_calls), (State::Closed, 0, 0));
    /// # });
    /// ```
    pub async fn force_closed(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::ForceClosed).await
    }

    /// Admits every call and never trips, still counting in the metrics.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, State, TripPolicy};
    /// # retinue::rt::block_on(async {
    /// let cfg = BreakerConfig {
    ///     trip: TripPolicy::ConsecutiveFailures { failures: 1 },
    ///     ..BreakerConfig::default()
    /// };
    /// let breaker = CircuitBreaker::spawn(cfg).unwrap();
    /// breaker.disable().await.unwrap();
    /// let _ = breaker.call(|| async { Err::<(), _>(()) }).await;
    /// assert_eq!(breaker.state(), State::Disabled); // never trips
    /// assert_eq!(breaker.metrics().await.unwrap().failures, 1); // still counts
    /// # });
    /// ```
    pub async fn disable(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::Disable).await
    }

    /// Back to a fresh closed breaker: window, counts, open-wait backoff
    /// and metrics cleared.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker};
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
    /// let _ = breaker.call(|| async { Err::<(), _>(()) }).await;
    /// breaker.reset().await.unwrap();
    /// assert_eq!(breaker.metrics().await.unwrap().calls, 0);
    /// # });
    /// ```
    pub async fn reset(&self) -> Result<(), AskError> {
        self.addr.ask(Manual::Reset).await
    }

    /// The clock this breaker runs on.
    ///
    /// ```
    /// use retinue::sync::{BreakerConfig, CircuitBreaker, Clock, ManualClock};
    /// # retinue::rt::block_on(async {
    /// let clock = ManualClock::new();
    /// let breaker = CircuitBreaker::spawn_with_clock(BreakerConfig::default(), clock.clone()).unwrap();
    /// assert_eq!(breaker.clock().now(), clock.now());
    /// # });
    /// ```
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
