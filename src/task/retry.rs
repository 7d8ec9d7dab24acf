//! [`Retry`]: call again on failure, with exponential backoff.
//!
//! Invariants:
//! - At most `max_attempts` calls in total (at least one).
//! - No sleep after the last attempt, and none after a non-retryable
//!   error: it is returned at once.
//! - What is returned is always a real outcome of the last call made (its
//!   own error, or its own value when retry-on-result ran out); nothing is
//!   replaced or wrapped by [`Retry::run`].
//! - Through a breaker ([`Retry::run_breaker`]), a rejected call is never
//!   retried on the backoff schedule: it waits the breaker's remaining
//!   time (when known and within the configured limit) or gives up.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::sync::{CallError, CircuitBreaker, Clock, SystemClock};

use crate::Backoff;

/// What [`Retry::run_breaker`] does when the breaker rejects a call.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{BreakerConfig, CallError, CircuitBreaker, TripPolicy};
/// use retinue::task::{OnRejected, Retry};
///
/// # retinue::rt::block_on(async {
/// let breaker = CircuitBreaker::spawn(BreakerConfig {
///     trip: TripPolicy::ConsecutiveFailures { failures: 1 },
///     open_wait: Duration::from_secs(60),
///     ..BreakerConfig::default()
/// }).unwrap();
/// let _ = breaker.call(|| async { Err::<(), _>("down") }).await; // trips it
/// let policy = Retry::new().on_rejected(OnRejected::GiveUp);
/// let mut calls = 0;
/// let r = policy.run_breaker(&breaker, || { calls += 1; async { Ok::<_, &str>(()) } }).await;
/// assert!(matches!(r, Err(CallError::Rejected(_))));
/// assert_eq!(calls, 0); // the open breaker never let a call through
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRejected {
    /// Return the rejection at once.
    GiveUp,
    /// Sleep until the breaker's next trial (its `retry_after`) when that
    /// is known and at most `max`, then try again (counts as an attempt);
    /// otherwise give up.
    Wait {
        /// The longest wait for the breaker.
        max: Duration,
    },
}

type Pred<X> = Box<dyn Fn(&X) -> bool + Send + Sync>;

/// A retry policy. Defaults: 3 attempts, [`Backoff::default`] (100 ms
/// doubling to 10 s, full jitter), every error retryable, no result
/// retried, rejected calls wait up to 30 s for the breaker.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use retinue::task::{Backoff, Retry};
///
/// # retinue::rt::block_on(async {
/// let calls = AtomicU32::new(0);
/// let policy = Retry::new()
///     .max_attempts(5)
///     .backoff(Backoff::exponential(Duration::from_millis(1)))
///     .retry_if(|e: &&str| *e != "fatal");
/// let value = policy.run(|| async {
///     if calls.fetch_add(1, Ordering::SeqCst) < 2 { Err("flaky") } else { Ok(42) }
/// }).await;
/// assert_eq!(value, Ok(42));
/// assert_eq!(calls.load(Ordering::SeqCst), 3);
///
/// // A non-retryable error comes back at once.
/// assert_eq!(policy.run(|| async { Err::<u32, _>("fatal") }).await, Err("fatal"));
/// # });
/// ```
pub struct Retry<T, E> {
    max_attempts: u32,
    backoff: Backoff,
    retry_if: Option<Pred<E>>,
    retry_on_result: Option<Pred<T>>,
    on_retry: Option<Box<dyn Fn(u32, Duration) + Send + Sync>>,
    on_rejected: OnRejected,
    clock: Arc<dyn Clock>,
}

impl<T, E> Default for Retry<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, E> Retry<T, E> {
    /// The default policy.
    ///
    /// ```
    /// use retinue::{sync::ManualClock, task::Retry};
    ///
    /// # retinue::rt::block_on(async {
    /// // The defaults: three calls in all, every error retried.
    /// let mut calls = 0;
    /// let r: Result<(), &str> = Retry::new()
    ///     .clock(ManualClock::auto_advance()) // skip the real backoff sleeps
    ///     .run(|| { calls += 1; async { Err("no") } })
    ///     .await;
    /// assert_eq!((r, calls), (Err("no"), 3));
    /// # });
    /// ```
    pub fn new() -> Self {
        Retry {
            max_attempts: 3,
            backoff: Backoff::default(),
            retry_if: None,
            retry_on_result: None,
            on_retry: None,
            on_rejected: OnRejected::Wait {
                max: Duration::from_secs(30),
            },
            clock: Arc::new(SystemClock),
        }
    }

    /// Total calls allowed, the first included (0 is treated as 1).
    ///
    /// ```
    /// use retinue::{sync::ManualClock, task::Retry};
    ///
    /// # retinue::rt::block_on(async {
    /// let clock = ManualClock::auto_advance(); // sleeps take no real time
    /// let mut calls = 0;
    /// let r: Result<(), &str> = Retry::new()
    ///     .max_attempts(4)
    ///     .clock(clock.clone())
    ///     .run(|| { calls += 1; async { Err("down") } })
    ///     .await;
    /// assert_eq!((r, calls), (Err("down"), 4));
    /// assert_eq!(clock.sleep_log().len(), 3); // none after the last attempt
    /// # });
    /// ```
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The delays between attempts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::{sync::ManualClock, task::{Backoff, Retry}};
    ///
    /// # retinue::rt::block_on(async {
    /// let clock = ManualClock::auto_advance();
    /// let policy = Retry::new()
    ///     .max_attempts(4)
    ///     .backoff(Backoff::exponential(Duration::from_millis(100)).jitter(retinue::Jitter::None))
    ///     .clock(clock.clone());
    /// let _: Result<(), &str> = policy.run(|| async { Err("down") }).await;
    /// let ms = |n| Duration::from_millis(n);
    /// assert_eq!(clock.sleep_log(), vec![ms(100), ms(200), ms(400)]);
    /// # });
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Only errors for which `pred` is true are retried; others return at once.
    ///
    /// ```
    /// use retinue::{sync::ManualClock, task::Retry};
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum Error { Busy, NotFound }
    ///
    /// # retinue::rt::block_on(async {
    /// let policy = Retry::new().clock(ManualClock::auto_advance()).retry_if(|e: &Error| *e == Error::Busy);
    /// let mut calls = 0;
    /// let r: Result<(), Error> = policy.run(|| { calls += 1; async { Err(Error::NotFound) } }).await;
    /// assert_eq!((r, calls), (Err(Error::NotFound), 1)); // not worth retrying
    /// # });
    /// ```
    pub fn retry_if(mut self, pred: impl Fn(&E) -> bool + Send + Sync + 'static) -> Self {
        self.retry_if = Some(Box::new(pred));
        self
    }

    /// `Ok` values for which `pred` is true are retried too (e.g. "not
    /// ready yet"). When attempts run out, the last such value is returned.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use retinue::{sync::ManualClock, task::Retry};
    ///
    /// # retinue::rt::block_on(async {
    /// // Poll a job until it is no longer "pending".
    /// let polls = AtomicU32::new(0);
    /// let policy = Retry::new().max_attempts(10).clock(ManualClock::auto_advance())
    ///     .retry_on_result(|status: &&str| *status == "pending");
    /// let status = policy.run(|| async {
    ///     Ok::<_, ()>(if polls.fetch_add(1, Ordering::SeqCst) < 2 { "pending" } else { "done" })
    /// }).await;
    /// assert_eq!((status, polls.load(Ordering::SeqCst)), (Ok("done"), 3));
    /// # });
    /// ```
    pub fn retry_on_result(mut self, pred: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        self.retry_on_result = Some(Box::new(pred));
        self
    }

    /// Called before each sleep with the attempt that just ended (1-based)
    /// and the delay about to be slept; for logging.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use retinue::{sync::ManualClock, task::{Backoff, Retry}};
    ///
    /// # retinue::rt::block_on(async {
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let seen = log.clone();
    /// let policy = Retry::new()
    ///     .backoff(Backoff::constant(Duration::from_millis(5)))
    ///     .clock(ManualClock::auto_advance())
    ///     .on_retry(move |attempt, delay| seen.lock().unwrap().push((attempt, delay)));
    /// let _: Result<(), &str> = policy.run(|| async { Err("down") }).await;
    /// let d = Duration::from_millis(5);
    /// assert_eq!(*log.lock().unwrap(), vec![(1, d), (2, d)]);
    /// # });
    /// ```
    pub fn on_retry(mut self, hook: impl Fn(u32, Duration) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Box::new(hook));
        self
    }

    /// What to do when a breaker rejects a call ([`run_breaker`](Self::run_breaker)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::task::{OnRejected, Retry};
    ///
    /// let patient = Retry::<(), ()>::new().on_rejected(OnRejected::Wait { max: Duration::from_secs(5) });
    /// assert!(format!("{patient:?}").contains("Wait { max: 5s }"));
    /// ```
    pub fn on_rejected(mut self, policy: OnRejected) -> Self {
        self.on_rejected = policy;
        self
    }

    /// The clock used to sleep (tests pass a [`ManualClock`](crate::sync::ManualClock)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::{sync::ManualClock, task::{Backoff, Retry}};
    ///
    /// # retinue::rt::block_on(async {
    /// // An hour of backoff, checked without waiting for it.
    /// let clock = ManualClock::auto_advance();
    /// let policy = Retry::new().max_attempts(2)
    ///     .backoff(Backoff::constant(Duration::from_secs(3600)))
    ///     .clock(clock.clone());
    /// let _: Result<(), &str> = policy.run(|| async { Err("down") }).await;
    /// assert_eq!(clock.sleep_log(), vec![Duration::from_secs(3600)]);
    /// # });
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn retryable(&self, e: &E) -> bool {
        self.retry_if.as_ref().is_none_or(|p| p(e))
    }

    fn retry_value(&self, v: &T) -> bool {
        self.retry_on_result.as_ref().is_some_and(|p| p(v))
    }

    async fn pause(&self, attempt: u32, delay: Duration) {
        if let Some(hook) = &self.on_retry {
            hook(attempt, delay);
        }
        self.clock.sleep(delay).await;
    }

    /// Calls `f` until it succeeds, an error is not retryable, or attempts
    /// run out; returns the last call's own result.
    ///
    /// ```
    /// use retinue::{sync::ManualClock, task::Retry};
    ///
    /// # retinue::rt::block_on(async {
    /// let mut attempts = 0;
    /// let r = Retry::new().clock(ManualClock::auto_advance())
    ///     .run(|| { attempts += 1; let n = attempts; async move { if n < 3 { Err("flaky") } else { Ok(n) } } })
    ///     .await;
    /// assert_eq!(r, Ok(3)); // the third call's own value
    /// # });
    /// ```
    pub async fn run<F, Fut>(&self, mut f: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut attempt = 1;
        loop {
            let result = f().await;
            let again = attempt < self.max_attempts
                && match &result {
                    Ok(v) => self.retry_value(v),
                    Err(e) => self.retryable(e),
                };
            if !again {
                return result;
            }
            self.pause(attempt, self.backoff.delay(attempt - 1)).await;
            attempt += 1;
        }
    }

    /// Like [`run`](Self::run), each attempt going through `breaker`.
    /// The breaker's call timeouts are retried like errors; a rejection
    /// follows [`OnRejected`]; an unavailable breaker returns at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{BreakerConfig, CallError, CircuitBreaker, TripPolicy};
    /// use retinue::task::{Backoff, OnRejected, Retry};
    ///
    /// # retinue::rt::block_on(async {
    /// let breaker = CircuitBreaker::spawn(BreakerConfig {
    ///     trip: TripPolicy::ConsecutiveFailures { failures: 1 },
    ///     open_wait: Duration::from_secs(60),
    ///     ..BreakerConfig::default()
    /// }).unwrap();
    /// let policy = Retry::new()
    ///     .max_attempts(5)
    ///     .backoff(Backoff::constant(Duration::from_millis(1)))
    ///     .on_rejected(OnRejected::Wait { max: Duration::from_secs(1) });
    /// let r = policy.run_breaker(&breaker, || async { Err::<(), _>("down") }).await;
    /// // The first failure trips it; the rejection's 60 s wait is over the
    /// // 1 s limit, so the retry gives up instead of hammering.
    /// assert!(matches!(r, Err(CallError::Rejected(_))));
    /// # });
    /// ```
    pub async fn run_breaker<F, Fut>(
        &self,
        breaker: &CircuitBreaker,
        mut f: F,
    ) -> Result<T, CallError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut attempt = 1;
        loop {
            let result = breaker.call(&mut f).await;
            let last = attempt >= self.max_attempts;
            let backoff = self.backoff.delay(attempt - 1);
            let delay = match &result {
                _ if last => None,
                Ok(v) => self.retry_value(v).then_some(backoff),
                Err(CallError::Inner(e)) => self.retryable(e).then_some(backoff),
                Err(CallError::Timeout(_)) => Some(backoff),
                Err(CallError::Rejected(r)) => match (self.on_rejected, r.retry_after) {
                    (OnRejected::Wait { max }, Some(wait)) if wait <= max => Some(wait),
                    _ => None,
                },
                Err(CallError::Unavailable) => None,
            };
            let Some(delay) = delay else {
                return result;
            };
            self.pause(attempt, delay).await;
            attempt += 1;
        }
    }
}

impl<T, E> fmt::Debug for Retry<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("on_rejected", &self.on_rejected)
            .finish_non_exhaustive()
    }
}
