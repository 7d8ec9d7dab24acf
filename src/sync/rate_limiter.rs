//! [`RateLimiter`]: a token bucket as an actor, on the semaphore's protocol.
//!
//! Invariants (of [`RateLimiterActor`]):
//! - The bucket holds at most `burst` tokens and refills continuously at
//!   `rate` tokens per `period`, measured on the limiter's [`Clock`]
//!   ([`SystemClock`] unless one is injected with `with_clock`).
//! - The bookkeeping is exact integer arithmetic: one token is `period`
//!   (in nanoseconds) units, and every elapsed nanosecond adds `rate`
//!   units. A grant never comes before the clock has earned it, and a
//!   wake-up timer set for `d` makes the head grantable at exactly `d`.
//! - Waiters are served strictly FIFO in order of receipt; a request at the
//!   head blocks the ones behind it, and `try_acquire` never overtakes a
//!   live queued waiter.
//! - While the head cannot be served, exactly one wake-up timer (a
//!   [`Clock::sleep`] in an owned task) is pending, due no later than when
//!   enough tokens will have refilled; every event that may change the
//!   head re-checks it (a pending timer that is due soon enough is kept:
//!   firing early only means serving and re-arming). With no waiters, no
//!   timer is pending. A status query is read-only: it reports the bucket
//!   as it will be once the due waiters are served (their wake-up may
//!   still be on its way), so it never reports tokens that a queued
//!   waiter is entitled to, and it changes nothing.
//! - A waiter that gives up is removed at once (its dropped reply sends a
//!   sweep, see `cancel_sweep`).
//! - Tokens are consumed, not held: a grant that reaches nobody (the asker
//!   gave up before `send`) is refunded at once. In the narrow race where
//!   the asker gives up after the grant was stored, the tokens stay spent
//!   (rate limiting errs on the side of sending less).
//! - No handler panics: counts are checked against `burst`; the options are
//!   validated at construction; the arithmetic saturates.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::sync::{Clock, SystemClock};
use crate::{Actor, AskError, Context, Handler, Message, ReplyTo, TaskHandle, WeakAddr};

mod handle;

pub use handle::RateLimiter;

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
    /// Live queued waiters that the bucket cannot serve yet.
    pub waiters: usize,
    /// Waiter entries the actor holds, abandoned and due ones included:
    /// `waiters` plus the live waiters whose wake-up is on its way, plus
    /// those dropped whose sweep is on its way.
    pub entries: usize,
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
    /// Units per token: the period in nanoseconds (≥ 1).
    unit: u128,
    /// Units earned per elapsed nanosecond: the rate (≥ 1).
    rate: u128,
    burst: u32,
    /// Units in the bucket, at most `burst * unit`.
    units: u128,
    last: Instant,
    clock: Arc<dyn Clock>,
    waiters: VecDeque<(u32, ReplyTo<Grant>)>,
    /// The pending wake-up and when it is due on the clock (`None`: past
    /// what an `Instant` can hold; never kept by a later check).
    timer: Option<(TaskHandle, Option<Instant>)>,
}

/// The longest single timer: a longer wait is re-armed when it fires.
const MAX_TIMER: Duration = Duration::from_secs(1_000_000_000);

impl RateLimiterActor {
    /// A full bucket on real time; fails with
    /// [`RateLimiterError::InvalidOptions`] on a zero rate, period or burst.
    pub fn new(opts: RateLimiterOptions) -> Result<Self, RateLimiterError> {
        Self::with_shared_clock(opts, Arc::new(SystemClock))
    }

    /// A full bucket whose time comes from `clock` (tests pass a
    /// [`ManualClock`](crate::sync::ManualClock)); the same checks as
    /// [`new`](Self::new).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{ManualClock, RateLimiter, RateLimiterActor, RateLimiterOptions};
    ///
    /// # retinue::rt::block_on(async {
    /// let clock = ManualClock::new();
    /// let opts = RateLimiterOptions { rate: 1, period: Duration::from_secs(60), burst: None };
    /// let actor = RateLimiterActor::with_clock(opts, clock.clone()).unwrap();
    /// let limiter = RateLimiter::from_addr(retinue::spawn(actor));
    /// limiter.acquire(1).await.unwrap();
    /// assert_eq!(limiter.available().await, Ok(0));
    /// clock.advance(Duration::from_secs(60)); // a minute, instantly
    /// assert_eq!(limiter.available().await, Ok(1));
    /// # });
    /// ```
    pub fn with_clock(
        opts: RateLimiterOptions,
        clock: impl Clock,
    ) -> Result<Self, RateLimiterError> {
        Self::with_shared_clock(opts, Arc::new(clock))
    }

    fn with_shared_clock(
        opts: RateLimiterOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, RateLimiterError> {
        let burst = opts.burst.unwrap_or(opts.rate);
        if opts.rate == 0 || opts.period.is_zero() || burst == 0 {
            return Err(RateLimiterError::InvalidOptions);
        }
        let unit = opts.period.as_nanos();
        Ok(RateLimiterActor {
            unit,
            rate: u128::from(opts.rate),
            burst,
            units: u128::from(burst).saturating_mul(unit),
            last: clock.now(),
            clock,
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

    fn cost(&self, n: u32) -> u128 {
        u128::from(n).saturating_mul(self.unit)
    }

    /// The units in the bucket at `now`, without touching the books.
    fn units_at(&self, now: Instant) -> u128 {
        let elapsed = now.saturating_duration_since(self.last);
        let earned = elapsed.as_nanos().saturating_mul(self.rate);
        self.units.saturating_add(earned).min(self.cost(self.burst))
    }

    fn refill(&mut self) {
        let now = self.clock.now();
        self.units = self.units_at(now);
        self.last = self.last.max(now);
    }

    /// How long until `missing` units have been earned (rounded up).
    fn time_to_earn(&self, missing: u128) -> Duration {
        let nanos = missing.div_ceil(self.rate);
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        // Below 10^9 by construction.
        let sub = (nanos % 1_000_000_000) as u32;
        Duration::new(secs, 0)
            .saturating_add(Duration::from_nanos(u64::from(sub)))
            .min(MAX_TIMER)
    }

    fn cancel_timer(&mut self) {
        if let Some((timer, _)) = self.timer.take() {
            timer.cancel();
        }
    }

    /// Makes sure a wake-up comes within `delay` from now.
    fn wake_within(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        let due = self.last.checked_add(delay);
        if let (Some((_, Some(at))), Some(due)) = (&self.timer, due) {
            if *at <= due {
                return;
            }
        }
        self.cancel_timer();
        // An absolute deadline: time that passes before the sleep starts
        // does not delay the wake-up.
        let sleep = match due {
            Some(due) => self.clock.sleep_until(due),
            None => self.clock.sleep(delay),
        };
        let weak: WeakAddr<Self> = ctx.weak_addr();
        let task = ctx.spawn_task(async move {
            sleep.await;
            if let Some(addr) = weak.upgrade() {
                let _ = addr.tell_urgent(Wake);
            }
        });
        self.timer = Some((task, due));
    }

    fn serve(&mut self, ctx: &mut Context<Self>) {
        self.refill();
        loop {
            // Dead waiters are dropped as they reach the head (O(1) each).
            while self.waiters.front().is_some_and(|(_, p)| p.is_closed()) {
                self.waiters.pop_front();
            }
            let Some(&(n, _)) = self.waiters.front() else {
                self.cancel_timer();
                return;
            };
            let need = self.cost(n);
            if need > self.units {
                let delay = self.time_to_earn(need - self.units);
                self.wake_within(delay, ctx);
                return;
            }
            let Some((_, port)) = self.waiters.pop_front() else {
                return;
            };
            self.units -= need;
            if port.send(Ok(())).is_err() {
                self.units += need; // reached nobody: refund
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
        let need = self.cost(msg.0);
        if queued || need > self.units {
            return Err(RateLimiterError::WouldBlock);
        }
        self.units -= need;
        Ok(())
    }
}

impl Handler<Wake> for RateLimiterActor {
    async fn handle(&mut self, _: Wake, ctx: &mut Context<Self>) {
        // The pending timer has fired if it was due; a wake-up from a
        // timer replaced after it fired must not make us forget it.
        let now = self.clock.now();
        if let Some((_, due)) = &self.timer {
            if due.is_none_or(|due| due <= now) {
                self.timer = None;
            }
        }
        self.serve(ctx);
    }
}

impl Handler<Sweep> for RateLimiterActor {
    async fn handle(&mut self, _: Sweep, ctx: &mut Context<Self>) {
        self.waiters.retain(|(_, port)| !port.is_closed());
        self.serve(ctx);
    }
}

impl Handler<Status> for RateLimiterActor {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> RateLimiterStatus {
        // Read-only: the bucket once the due waiters are served (their
        // wake-up may still be on its way), computed on a copy.
        let mut units = self.units_at(self.clock.now());
        let mut live = self.waiters.iter().filter(|(_, p)| !p.is_closed());
        let mut waiters = 0;
        for (n, _) in live.by_ref() {
            let need = self.cost(*n);
            if need > units {
                waiters = 1;
                break;
            }
            units -= need;
        }
        RateLimiterStatus {
            available: u32::try_from(units / self.unit).unwrap_or(self.burst),
            waiters: waiters + live.count(),
            entries: self.waiters.len(),
        }
    }
}
