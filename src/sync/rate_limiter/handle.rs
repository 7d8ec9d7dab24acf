//! [`RateLimiter`]: the clonable handle users call; the actor keeps the
//! bucket (see `rate_limiter.rs`).
//!
//! Invariant: a handle only sends the actor's messages; an `acquire` that
//! is dropped or times out leaves the queue (its sweep), so no token is
//! spent for a caller that gave up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::FutureExt;

use super::{Acquire, RateLimiterActor, RateLimiterError, RateLimiterOptions, RateLimiterStatus};
use super::{Status, Sweep, TryAcquire};
use crate::Addr;
use crate::sync::cancel_sweep::ask_swept;
use crate::sync::{Clock, SystemClock};

/// A clonable handle to a token-bucket rate limiter.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{RateLimiter, RateLimiterError};
///
/// # retinue::rt::block_on(async {
/// // 2 tokens per hour, burst 2: two calls pass at once, the third would wait.
/// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
/// limiter.acquire(1).await.unwrap();
/// limiter.try_acquire(1).await.unwrap();
/// assert_eq!(limiter.try_acquire(1).await, Err(RateLimiterError::WouldBlock));
/// # });
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    addr: Addr<RateLimiterActor>,
    clock: Arc<dyn Clock>,
}

impl RateLimiter {
    /// Spawns a limiter of `rate` tokens per `period` with a burst of `rate`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
    /// assert_eq!(limiter.available().await, Ok(2));
    /// # });
    /// ```
    pub fn new(rate: u32, period: Duration) -> Result<Self, RateLimiterError> {
        Self::with_options(RateLimiterOptions {
            rate,
            period,
            burst: None,
        })
    }

    /// Spawns a limiter with these options, on real time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let opts = RateLimiterOptions { rate: 1, period: Duration::from_secs(1), burst: Some(5) };
    /// let limiter = RateLimiter::with_options(opts).unwrap();
    /// assert_eq!(limiter.available().await, Ok(5));
    /// # });
    /// ```
    pub fn with_options(opts: RateLimiterOptions) -> Result<Self, RateLimiterError> {
        Self::with_clock(opts, SystemClock)
    }

    /// Spawns a limiter with these options whose refill and
    /// [`acquire_timeout`](Self::acquire_timeout) deadlines run on `clock`
    /// (like [`CircuitBreaker::spawn_with_clock`](crate::sync::CircuitBreaker::spawn_with_clock)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{ManualClock, RateLimiter, RateLimiterOptions};
    ///
    /// # retinue::rt::block_on(async {
    /// let clock = ManualClock::new();
    /// let opts = RateLimiterOptions { rate: 1, period: Duration::from_secs(3600), burst: None };
    /// let limiter = RateLimiter::with_clock(opts, clock.clone()).unwrap();
    /// limiter.acquire(1).await.unwrap(); // the bucket starts full
    /// let waiter = retinue::rt::spawn({
    ///     let limiter = limiter.clone();
    ///     async move { limiter.acquire(1).await }
    /// });
    /// clock.wait_for_sleepers(1).await; // the limiter's refill timer
    /// assert_eq!(clock.sleep_log(), [Duration::from_secs(3600)]);
    /// clock.advance(Duration::from_secs(3600)); // an hour, instantly
    /// assert_eq!(waiter.await.unwrap(), Ok(()));
    /// # });
    /// ```
    pub fn with_clock(
        opts: RateLimiterOptions,
        clock: impl Clock,
    ) -> Result<Self, RateLimiterError> {
        let clock: Arc<dyn Clock> = Arc::new(clock);
        let actor = RateLimiterActor::with_shared_clock(opts, clock.clone())?;
        Ok(RateLimiter {
            addr: crate::spawn(actor),
            clock,
        })
    }

    /// Wraps the address of an existing (e.g. supervised) limiter actor.
    /// This handle measures [`acquire_timeout`](Self::acquire_timeout)
    /// deadlines in real time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// use retinue::sync::RateLimiterActor;
    /// let opts = RateLimiterOptions { rate: 3, period: Duration::from_secs(60), burst: None };
    /// let limiter = RateLimiter::from_addr(retinue::spawn(RateLimiterActor::new(opts).unwrap()));
    /// assert_eq!(limiter.available().await, Ok(3));
    /// # });
    /// ```
    pub fn from_addr(addr: Addr<RateLimiterActor>) -> Self {
        RateLimiter {
            addr,
            clock: Arc::new(SystemClock),
        }
    }

    /// The actor's address.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
    /// assert!(limiter.addr().is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<RateLimiterActor> {
        &self.addr
    }

    /// The clock this handle measures timeouts on.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
    /// use retinue::sync::Clock;
    /// let _now = limiter.clock().now();
    /// # });
    /// ```
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Waits (FIFO) until `n` tokens can be spent, and spends them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
    /// limiter.acquire(2).await.unwrap(); // the burst
    /// assert_eq!(limiter.available().await, Ok(0));
    /// # });
    /// ```
    pub async fn acquire(&self, n: u32) -> Result<(), RateLimiterError> {
        ask_swept(&self.addr, |port| Acquire { tokens: n, port }, Sweep).await?
    }

    /// Spends `n` tokens now, or fails with [`RateLimiterError::WouldBlock`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
    /// limiter.try_acquire(2).await.unwrap();
    /// assert_eq!(limiter.try_acquire(1).await, Err(RateLimiterError::WouldBlock));
    /// # });
    /// ```
    pub async fn try_acquire(&self, n: u32) -> Result<(), RateLimiterError> {
        self.addr.ask(TryAcquire(n)).await?
    }

    /// [`acquire`](Self::acquire) with a deadline on the handle's
    /// [`clock`](Self::clock). A wait that times out leaves the queue.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
    /// limiter.acquire(2).await.unwrap();
    /// let late = limiter.acquire_timeout(1, Duration::from_millis(1)).await;
    /// assert_eq!(late, Err(RateLimiterError::Timeout));
    /// # });
    /// ```
    pub async fn acquire_timeout(&self, n: u32, timeout: Duration) -> Result<(), RateLimiterError> {
        let sleep = self.clock.sleep(timeout);
        self.acquire(n)
            .or(async {
                sleep.await;
                Err(RateLimiterError::Timeout)
            })
            .await
    }

    /// Whole tokens in the bucket right now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
    /// limiter.acquire(1).await.unwrap();
    /// assert_eq!(limiter.available().await, Ok(1));
    /// # });
    /// ```
    pub async fn available(&self) -> Result<u32, RateLimiterError> {
        Ok(self.status().await?.available)
    }

    /// A snapshot of the state.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};
    /// # retinue::rt::block_on(async {
    /// let limiter = RateLimiter::new(2, Duration::from_secs(3600)).unwrap();
    /// assert_eq!(limiter.status().await.unwrap().available, 2);
    /// # });
    /// ```
    pub async fn status(&self) -> Result<RateLimiterStatus, RateLimiterError> {
        Ok(self.addr.ask(Status).await?)
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
