//! [`RateLimiter`]: a token bucket as an actor, on the semaphore's protocol.
//!
//! Invariants (of [`RateLimiterActor`]):
//! - The bucket holds at most `burst` tokens and refills continuously at
//!   `rate` tokens per `period`, measured with a monotonic clock.
//! - Waiters are served strictly FIFO in order of receipt; a request at the
//!   head blocks the ones behind it, and `try_acquire` never overtakes a
//!   live queued waiter.
//! - While the head cannot be served, exactly one wake-up timer
//!   (`Context::send_after`) is pending, set for when enough tokens will
//!   have refilled; every event that may change the head reschedules it.
//! - Tokens are consumed, not held: a grant that reaches nobody (the asker
//!   gave up before `send`) is refunded at once. In the narrow race where
//!   the asker gives up after the grant was stored, the tokens stay spent
//!   (rate limiting errs on the side of sending less).
//! - No handler panics: counts are checked against `burst`; the options are
//!   validated at construction.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::cancel_sweep::ask_swept;
use crate::{Actor, Addr, AskError, Context, Handler, Message, ReplyTo, TaskHandle};

/// Options of a [`RateLimiterActor`] (deserializable from config files;
/// `period` accepts `"250ms"`, `"1s"`, `"2m"` or a number of milliseconds).
///
/// ```
/// let opts = retinue::sync::RateLimiterOptions::default();
/// assert_eq!(opts.rate, 10);
/// assert_eq!(opts.period, std::time::Duration::from_secs(1));
/// assert_eq!(opts.burst, None); // = rate
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimiterOptions {
    /// Tokens added per `period` (default `10`, must be ≥ 1).
    pub rate: u32,
    /// The refill period (default 1 s, must be non-zero).
    #[serde(with = "crate::duration")]
    pub period: Duration,
    /// Bucket size: the most tokens that can be spent at once (default
    /// `None`, meaning `rate`; must be ≥ 1). The bucket starts full.
    pub burst: Option<u32>,
}

impl Default for RateLimiterOptions {
    fn default() -> Self {
        RateLimiterOptions {
            rate: 10,
            period: Duration::from_secs(1),
            burst: None,
        }
    }
}

/// Why a rate limiter operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimiterError {
    /// The options were invalid (zero rate, zero period or zero burst).
    InvalidOptions,
    /// A request for zero tokens.
    ZeroTokens,
    /// More tokens requested than the bucket can ever hold.
    TooMany {
        /// Tokens asked for.
        requested: u32,
        /// The burst size.
        burst: u32,
    },
    /// `try_acquire`: not enough tokens now, or waiters are queued.
    WouldBlock,
    /// `acquire_timeout`: the deadline passed first.
    Timeout,
    /// The actor is gone, or stopped/restarted before answering.
    Unavailable(AskError),
}

impl fmt::Display for RateLimiterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimiterError::InvalidOptions => {
                f.write_str("rate, period and burst must all be non-zero")
            }
            RateLimiterError::ZeroTokens => f.write_str("a token count of zero is not allowed"),
            RateLimiterError::TooMany { requested, burst } => {
                write!(f, "requested {requested} tokens, the burst is {burst}")
            }
            RateLimiterError::WouldBlock => f.write_str("no tokens available right now"),
            RateLimiterError::Timeout => f.write_str("no tokens within the deadline"),
            RateLimiterError::Unavailable(e) => write!(f, "rate limiter unavailable: {e}"),
        }
    }
}

impl std::error::Error for RateLimiterError {}

impl From<AskError> for RateLimiterError {
    fn from(e: AskError) -> Self {
        RateLimiterError::Unavailable(e)
    }
}

type Grant = Result<(), RateLimiterError>;

/// Wait (FIFO) for `tokens`, answered through `port`.
pub struct Acquire {
    /// Tokens wanted.
    pub tokens: u32,
    /// Where the grant goes.
    pub port: ReplyTo<Grant>,
}
impl Message for Acquire {
    type Reply = ();
}

/// Take tokens now or fail with [`RateLimiterError::WouldBlock`].
pub struct TryAcquire(pub u32);
impl Message for TryAcquire {
    type Reply = Grant;
}

/// Timer tick: tokens may have refilled.
pub struct Wake;
impl Message for Wake {
    type Reply = ();
}

/// Prune abandoned waiters (sent when a wait is dropped).
pub struct Sweep;
impl Message for Sweep {
    type Reply = ();
}

/// A snapshot of a rate limiter's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimiterStatus {
    /// Whole tokens in the bucket now.
    pub available: u32,
    /// Live queued waiters.
    pub waiters: usize,
}

/// Ask for a [`RateLimiterStatus`].
pub struct Status;
impl Message for Status {
    type Reply = RateLimiterStatus;
}

/// The token-bucket actor. Spawn it yourself (or under a supervisor) and
/// wrap its address with [`RateLimiter::from_addr`].
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{RateLimiter, RateLimiterActor, RateLimiterOptions};
///
/// # retinue::rt::block_on(async {
/// let opts = RateLimiterOptions { rate: 5, period: Duration::from_secs(1), burst: Some(1) };
/// let limiter = RateLimiter::from_addr(retinue::spawn(RateLimiterActor::new(opts).unwrap()));
/// limiter.acquire(1).await.unwrap(); // the bucket starts full
/// assert_eq!(limiter.available().await, Ok(0));
/// # });
/// ```
pub struct RateLimiterActor {
    per_sec: f64,
    burst: u32,
    tokens: f64,
    last: Instant,
    waiters: VecDeque<(u32, ReplyTo<Grant>)>,
    timer: Option<TaskHandle>,
}

impl RateLimiterActor {
    /// A full bucket; fails with [`RateLimiterError::InvalidOptions`] on a
    /// zero rate, period or burst.
    pub fn new(opts: RateLimiterOptions) -> Result<Self, RateLimiterError> {
        let burst = opts.burst.unwrap_or(opts.rate);
        if opts.rate == 0 || opts.period.is_zero() || burst == 0 {
            return Err(RateLimiterError::InvalidOptions);
        }
        Ok(RateLimiterActor {
            per_sec: f64::from(opts.rate) / opts.period.as_secs_f64(),
            burst,
            tokens: f64::from(burst),
            last: Instant::now(),
            waiters: VecDeque::new(),
            timer: None,
        })
    }

    fn check(&self, n: u32) -> Result<(), RateLimiterError> {
        if n == 0 {
            return Err(RateLimiterError::ZeroTokens);
        }
        if n > self.burst {
            return Err(RateLimiterError::TooMany {
                requested: n,
                burst: self.burst,
            });
        }
        Ok(())
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let earned = now.duration_since(self.last).as_secs_f64() * self.per_sec;
        self.tokens = (self.tokens + earned).min(f64::from(self.burst));
        self.last = now;
    }

    fn serve(&mut self, ctx: &mut Context<Self>) {
        self.refill();
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
        loop {
            // Dead waiters are dropped as they reach the head (O(1) each).
            while self.waiters.front().is_some_and(|(_, p)| p.is_closed()) {
                self.waiters.pop_front();
            }
            let Some(&(n, _)) = self.waiters.front() else {
                return;
            };
            let need = f64::from(n);
            if need > self.tokens {
                let secs = (need - self.tokens) / self.per_sec;
                // Finite and positive by construction; never panic anyway.
                let delay = Duration::try_from_secs_f64(secs.clamp(0.0, 1e9))
                    .unwrap_or(Duration::from_secs(1))
                    + Duration::from_micros(200);
                self.timer = Some(ctx.send_after(Wake, delay));
                return;
            }
            let Some((_, port)) = self.waiters.pop_front() else {
                return;
            };
            self.tokens -= need;
            if port.send(Ok(())).is_err() {
                self.tokens += need; // reached nobody: refund
            }
        }
    }
}

impl Actor for RateLimiterActor {}

impl Handler<Acquire> for RateLimiterActor {
    async fn handle(&mut self, msg: Acquire, ctx: &mut Context<Self>) {
        if msg.port.is_closed() {
            return;
        }
        if let Err(e) = self.check(msg.tokens) {
            let _ = msg.port.send(Err(e));
            return;
        }
        self.waiters.push_back((msg.tokens, msg.port));
        self.serve(ctx);
    }
}

impl Handler<TryAcquire> for RateLimiterActor {
    async fn handle(&mut self, msg: TryAcquire, _: &mut Context<Self>) -> Grant {
        self.check(msg.0)?;
        self.refill();
        let queued = self.waiters.iter().any(|(_, port)| !port.is_closed());
        if queued || f64::from(msg.0) > self.tokens {
            return Err(RateLimiterError::WouldBlock);
        }
        self.tokens -= f64::from(msg.0);
        Ok(())
    }
}

impl Handler<Wake> for RateLimiterActor {
    async fn handle(&mut self, _: Wake, ctx: &mut Context<Self>) {
        self.timer = None;
        self.serve(ctx);
    }
}

impl Handler<Sweep> for RateLimiterActor {
    async fn handle(&mut self, _: Sweep, ctx: &mut Context<Self>) {
        self.serve(ctx);
    }
}

impl Handler<Status> for RateLimiterActor {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> RateLimiterStatus {
        self.refill();
        self.waiters.retain(|(_, port)| !port.is_closed());
        RateLimiterStatus {
            available: self.tokens.floor() as u32,
            waiters: self.waiters.len(),
        }
    }
}

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
#[derive(Clone, Debug)]
pub struct RateLimiter {
    addr: Addr<RateLimiterActor>,
}

impl RateLimiter {
    /// Spawns a limiter of `rate` tokens per `period` with a burst of `rate`.
    pub fn new(rate: u32, period: Duration) -> Result<Self, RateLimiterError> {
        Self::with_options(RateLimiterOptions {
            rate,
            period,
            burst: None,
        })
    }

    /// Spawns a limiter with these options.
    pub fn with_options(opts: RateLimiterOptions) -> Result<Self, RateLimiterError> {
        Ok(Self::from_addr(crate::spawn(RateLimiterActor::new(opts)?)))
    }

    /// Wraps the address of an existing (e.g. supervised) limiter actor.
    pub fn from_addr(addr: Addr<RateLimiterActor>) -> Self {
        RateLimiter { addr }
    }

    /// The actor's address.
    pub fn addr(&self) -> &Addr<RateLimiterActor> {
        &self.addr
    }

    /// Waits (FIFO) until `n` tokens can be spent, and spends them.
    pub async fn acquire(&self, n: u32) -> Result<(), RateLimiterError> {
        ask_swept(&self.addr, |port| Acquire { tokens: n, port }, Sweep).await?
    }

    /// Spends `n` tokens now, or fails with [`RateLimiterError::WouldBlock`].
    pub async fn try_acquire(&self, n: u32) -> Result<(), RateLimiterError> {
        self.addr.ask(TryAcquire(n)).await?
    }

    /// [`acquire`](Self::acquire) with a deadline.
    pub async fn acquire_timeout(&self, n: u32, timeout: Duration) -> Result<(), RateLimiterError> {
        crate::rt::timeout(timeout, self.acquire(n))
            .await
            .unwrap_or(Err(RateLimiterError::Timeout))
    }

    /// Whole tokens in the bucket right now.
    pub async fn available(&self) -> Result<u32, RateLimiterError> {
        Ok(self.status().await?.available)
    }

    /// A snapshot of the state.
    pub async fn status(&self) -> Result<RateLimiterStatus, RateLimiterError> {
        Ok(self.addr.ask(Status).await?)
    }
}
