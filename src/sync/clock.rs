//! Time for the time-dependent primitives: an injectable [`Clock`],
//! shared by the circuit breaker, the rate limiter and `task::Retry`.
//!
//! Invariants:
//! - [`SystemClock`] is real time through `rt::sleep`.
//! - An `Arc` of a clock is the same clock (clones share time), so one
//!   clock can drive several primitives.
//! - [`ManualClock`] only moves when told to ([`ManualClock::advance`]),
//!   or, in auto-advance mode, by exactly the amount each sleep asks for.
//!   A sleep resolves once the clock reaches its deadline, never before;
//!   every sleep request is logged so tests can check the exact delays
//!   (a `sleep_until` logs what was left of it when it was asked for,
//!   read under the same lock that fixes its deadline).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::rt;

/// A boxed sleep future, as returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A source of time: "now" and "wake me after". Real code uses
/// [`SystemClock`]; tests use [`ManualClock`] to be fast and deterministic.
/// The time-dependent primitives take one with `..._with_clock` /
/// `with_clock`; an `Arc<dyn Clock>` is a clock too, so one clock can
/// drive several of them.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use retinue::sync::{BreakerConfig, CircuitBreaker, Clock, ManualClock};
/// use retinue::sync::{RateLimiter, RateLimiterOptions};
///
/// # retinue::rt::block_on(async {
/// let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
/// let breaker = CircuitBreaker::spawn_with_clock(BreakerConfig::default(), clock.clone()).unwrap();
/// let opts = RateLimiterOptions { rate: 1, period: Duration::from_secs(1), burst: None };
/// let limiter = RateLimiter::with_clock(opts, clock.clone()).unwrap();
/// assert_eq!(breaker.clock().now(), limiter.clock().now()); // one time line
/// # });
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
    /// A future that completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep;
    /// A future that completes once this clock reaches `deadline` (at
    /// once if it has). Use it when the deadline was computed from an
    /// earlier [`now`](Clock::now): time that passed in between is not
    /// added again. The default sleeps for what is left of it now.
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.sleep(deadline.saturating_duration_since(self.now()))
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        (**self).sleep(duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        (**self).sleep_until(deadline)
    }
}

/// Real time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(rt::sleep(duration))
    }
}

/// A clock that moves only when told to. Cheap to clone; clones share time.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{Clock, ManualClock};
///
/// # retinue::rt::block_on(async {
/// let clock = ManualClock::new();
/// let start = clock.now();
/// let sleeper = retinue::rt::spawn({
///     let clock = clock.clone();
///     async move { clock.sleep(Duration::from_secs(60)).await }
/// });
/// while clock.sleepers() == 0 { retinue::rt::yield_now().await; }
/// clock.advance(Duration::from_secs(60)); // an hour of waiting, instantly
/// sleeper.await.unwrap();
/// assert_eq!(clock.now() - start, Duration::from_secs(60));
/// # });
/// ```
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

struct ManualState {
    now: Instant,
    auto_advance: bool,
    sleepers: Vec<(u64, Instant, Waker)>,
    log: Vec<Duration>,
    next_id: u64,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock standing still at the current real instant.
    pub fn new() -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualState {
                now: Instant::now(),
                auto_advance: false,
                sleepers: Vec::new(),
                log: Vec::new(),
                next_id: 0,
            })),
        }
    }

    /// A clock on which every sleep completes at once, moving time forward
    /// by exactly the requested amount (handy for retry backoff tests).
    pub fn auto_advance() -> Self {
        let clock = Self::new();
        clock.lock().auto_advance = true;
        clock
    }

    fn lock(&self) -> MutexGuard<'_, ManualState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves time forward and wakes every sleep that is now due.
    pub fn advance(&self, by: Duration) {
        let due: Vec<Waker> = {
            let mut state = self.lock();
            state.now += by;
            let now = state.now;
            let mut due = Vec::new();
            state.sleepers.retain(|(_, deadline, waker)| {
                if *deadline <= now {
                    due.push(waker.clone());
                    false
                } else {
                    true
                }
            });
            due
        };
        due.into_iter().for_each(Waker::wake);
    }

    /// How many sleeps are waiting for time to move.
    pub fn sleepers(&self) -> usize {
        self.lock().sleepers.len()
    }

    /// Every duration a sleep was asked for, in order.
    pub fn sleep_log(&self) -> Vec<Duration> {
        self.lock().log.clone()
    }

    /// Waits (yielding to other tasks) until at least `n` sleeps are
    /// pending, so a test can advance time knowing who is waiting.
    pub async fn wait_for_sleepers(&self, n: usize) {
        while self.sleepers() < n {
            rt::yield_now().await;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.lock().now
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_for(|_| duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.sleep_for(|now| deadline.saturating_duration_since(now))
    }
}

impl ManualClock {
    /// A sleep for `duration(now)`, with `now` read under the lock.
    fn sleep_for(&self, duration: impl FnOnce(Instant) -> Duration) -> Sleep {
        let (id, deadline) = {
            let mut state = self.lock();
            let duration = duration(state.now);
            state.log.push(duration);
            state.next_id += 1;
            if state.auto_advance {
                state.now += duration;
            }
            let deadline = if state.auto_advance {
                state.now
            } else {
                state.now + duration
            };
            (state.next_id, deadline)
        };
        Box::pin(ManualSleep {
            clock: self.clone(),
            id,
            deadline,
        })
    }
}

struct ManualSleep {
    clock: ManualClock,
    id: u64,
    deadline: Instant,
}

impl Future for ManualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.clock.lock();
        if state.now >= self.deadline {
            return Poll::Ready(());
        }
        let id = self.id;
        match state.sleepers.iter_mut().find(|(i, _, _)| *i == id) {
            Some(entry) => entry.2.clone_from(cx.waker()),
            None => state.sleepers.push((id, self.deadline, cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl Drop for ManualSleep {
    fn drop(&mut self) {
        // A dropped sleep stops counting as a sleeper.
        let id = self.id;
        self.clock.lock().sleepers.retain(|(i, _, _)| *i != id);
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("ManualClock")
            .field("sleepers", &state.sleepers.len())
            .finish()
    }
}
