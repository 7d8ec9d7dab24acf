//! [`Semaphore`]: counting permits as an actor.
//!
//! Invariants (of [`SemaphoreActor`]):
//! - `available` plus the permits held by live guards (and grants in flight)
//!   equals the initial count plus net explicit `release`s; in bounded mode
//!   `available` never exceeds the initial count.
//! - Waiters are served strictly FIFO in order of receipt: a request at the
//!   head that cannot be satisfied yet blocks every request behind it (no
//!   starvation of big requests), and `try_acquire` never overtakes a live
//!   queued waiter.
//! - A grant that reaches nobody (`ReplyTo::send` gives it back) is taken
//!   back at once; a grant stored in an abandoned reply is dropped there and
//!   its guard releases through the control lane. An abandoned waiter sends
//!   a sweep (see `cancel_sweep`) that removes it at once, wherever it is
//!   in the queue; queries never change state.
//! - Guards carry the instance's epoch: after a supervisor restart, releases
//!   of guards granted by the old instance are ignored (the new instance
//!   starts from its configured count).
//! - No handler panics: every count is checked, arithmetic saturates.

use std::collections::VecDeque;
use std::fmt;

use serde::Deserialize;

use super::cancel_sweep::next_epoch;
use crate::metrics::{Stopwatch, WaitMeters};
use crate::{Actor, Addr, AskError, BoxError, Context, ExitReason, Handler, Message, ReplyTo};

mod handle;

pub use handle::Semaphore;

/// Options of a [`SemaphoreActor`] (deserializable from config files).
///
/// ```
/// let opts = retinue::sync::SemaphoreOptions::default();
/// assert_eq!(opts.permits, 1);
/// assert!(!opts.bounded);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SemaphoreOptions {
    /// Initial number of permits (default `1`; `0` is allowed).
    pub permits: usize,
    /// Bounded mode (default `false`): `release` beyond the initial count
    /// is rejected with [`SemaphoreError::Overflow`], and requests for more
    /// than the initial count with [`SemaphoreError::TooMany`].
    pub bounded: bool,
}

impl Default for SemaphoreOptions {
    fn default() -> Self {
        SemaphoreOptions {
            permits: 1,
            bounded: false,
        }
    }
}

/// Why a semaphore operation failed.
///
/// ```
/// use retinue::sync::{Semaphore, SemaphoreError};
/// # retinue::rt::block_on(async {
/// let sem = Semaphore::bounded(2);
/// assert_eq!(sem.acquire(0).await.unwrap_err(), SemaphoreError::ZeroPermits);
/// assert_eq!(
///     sem.acquire(3).await.unwrap_err(),
///     SemaphoreError::TooMany { requested: 3, max: 2 }
/// );
/// assert_eq!(sem.release(1).await.unwrap_err(), SemaphoreError::Overflow);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SemaphoreError {
    /// `acquire(0)` / `release(0)`: a count of zero makes no sense.
    ZeroPermits,
    /// More permits requested than a bounded semaphore can ever hold.
    TooMany {
        /// Permits asked for.
        requested: usize,
        /// The bound (the initial count).
        max: usize,
    },
    /// `try_acquire`: not enough permits right now, or waiters are queued.
    WouldBlock,
    /// A bounded semaphore was asked to release beyond its initial count.
    Overflow,
    /// `acquire_timeout`: the deadline passed first.
    Timeout,
    /// The actor is gone, or stopped/restarted before answering; retry
    /// against the same address if it is supervised.
    Unavailable(AskError),
}

impl fmt::Display for SemaphoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SemaphoreError::ZeroPermits => f.write_str("a permit count of zero is not allowed"),
            SemaphoreError::TooMany { requested, max } => {
                write!(f, "requested {requested} permits, the bound is {max}")
            }
            SemaphoreError::WouldBlock => f.write_str("no permits available right now"),
            SemaphoreError::Overflow => f.write_str("release beyond the bounded semaphore's count"),
            SemaphoreError::Timeout => f.write_str("no permits within the deadline"),
            SemaphoreError::Unavailable(e) => write!(f, "semaphore unavailable: {e}"),
        }
    }
}

impl std::error::Error for SemaphoreError {}

impl From<AskError> for SemaphoreError {
    fn from(e: AskError) -> Self {
        SemaphoreError::Unavailable(e)
    }
}

/// Permits held; dropping it returns them (control lane, never lost).
///
/// ```
/// use retinue::sync::Semaphore;
/// # retinue::rt::block_on(async {
/// let sem = Semaphore::new(3);
/// let permit = sem.acquire(2).await.unwrap();
/// assert_eq!(sem.available().await, Ok(1));
/// drop(permit); // both permits come back
/// assert_eq!(sem.available().await, Ok(3));
/// # });
/// ```
#[must_use = "dropping the permit releases it at once"]
pub struct SemaphorePermit {
    addr: Addr<SemaphoreActor>,
    permits: usize,
    epoch: u64,
}

impl SemaphorePermit {
    /// How many permits this guard holds.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let sem = retinue::sync::Semaphore::new(3);
    /// assert_eq!(sem.acquire(2).await.unwrap().permits(), 2);
    /// # });
    /// ```
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Keeps the permits consumed: nothing is released on drop.
    ///
    /// ```
    /// use retinue::sync::Semaphore;
    /// # retinue::rt::block_on(async {
    /// let sem = Semaphore::new(1);
    /// sem.acquire(1).await.unwrap().forget();
    /// assert_eq!(sem.available().await, Ok(0)); // consumed for good
    /// sem.release(1).await.unwrap(); // until released explicitly
    /// assert_eq!(sem.available().await, Ok(1));
    /// # });
    /// ```
    pub fn forget(mut self) {
        if self.permits > 0 {
            // Only the books (`retinue_semaphore_holders`): nothing returns.
            let _ = self.addr.tell_urgent(ReleaseGuard {
                permits: self.permits,
                epoch: self.epoch,
                forgotten: true,
            });
        }
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            let _ = self.addr.tell_urgent(ReleaseGuard {
                permits: self.permits,
                epoch: self.epoch,
                forgotten: false,
            });
        }
    }
}

impl fmt::Debug for SemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// A snapshot of a semaphore's state.
///
/// ```
/// # retinue::rt::block_on(async {
/// let sem = retinue::sync::Semaphore::new(1);
/// let _p = sem.acquire(1).await.unwrap();
/// let s = sem.status().await.unwrap();
/// assert_eq!((s.available, s.waiters, s.locked, s.entries), (0, 0, true, 0));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemaphoreStatus {
    /// Permits free right now.
    pub available: usize,
    /// Live queued waiters.
    pub waiters: usize,
    /// Zero permits free, or waiters queued.
    pub locked: bool,
    /// Waiter entries the actor holds, abandoned ones included: equal to
    /// `waiters` except between a wait's drop and its sweep.
    pub entries: usize,
}

type Grant = Result<SemaphorePermit, SemaphoreError>;

/// Request `permits`, answered later through `port` (FIFO).
///
/// ```
/// use retinue::sync::semaphore::Acquire;
/// use retinue::sync::{SemaphoreActor, SemaphoreOptions};
/// # retinue::rt::block_on(async {
/// let sem = retinue::spawn(SemaphoreActor::new(SemaphoreOptions { permits: 2, bounded: false }));
/// let grant = sem.ask_with(|port| Acquire { permits: 2, port }).await.unwrap();
/// assert_eq!(grant.unwrap().permits(), 2);
/// # });
/// ```
pub struct Acquire {
    /// Permits wanted.
    pub permits: usize,
    /// Where the grant goes.
    pub port: ReplyTo<Grant>,
}
impl Message for Acquire {
    type Reply = ();
}

/// Take that many permits now or fail with [`SemaphoreError::WouldBlock`].
///
/// ```
/// use retinue::sync::SemaphoreError;
/// use retinue::sync::semaphore::TryAcquire;
/// use retinue::sync::{SemaphoreActor, SemaphoreOptions};
/// # retinue::rt::block_on(async {
/// let sem = retinue::spawn(SemaphoreActor::new(SemaphoreOptions { permits: 2, bounded: false }));
/// let permit = sem.ask(TryAcquire(2)).await.unwrap().unwrap();
/// assert_eq!(sem.ask(TryAcquire(1)).await.unwrap().unwrap_err(), SemaphoreError::WouldBlock);
/// # drop(permit);
/// # });
/// ```
pub struct TryAcquire(pub usize);
impl Message for TryAcquire {
    type Reply = Grant;
}

/// Add permits (explicit release, e.g. after [`SemaphorePermit::forget`]).
///
/// ```
/// use retinue::sync::semaphore::{Release, Status};
/// use retinue::sync::{SemaphoreActor, SemaphoreOptions};
/// # retinue::rt::block_on(async {
/// let sem = retinue::spawn(SemaphoreActor::new(SemaphoreOptions { permits: 2, bounded: false }));
/// sem.ask(Release(1)).await.unwrap().unwrap(); // unbounded: 3 now
/// assert_eq!(sem.ask(Status).await.unwrap().available, 3);
/// # });
/// ```
pub struct Release(pub usize);
impl Message for Release {
    type Reply = Result<(), SemaphoreError>;
}

/// A guard's release (sent by `Drop` through the control lane), or its
/// `forget` (the permits stay consumed; only `held` drops).
pub struct ReleaseGuard {
    permits: usize,
    epoch: u64,
    forgotten: bool,
}
impl Message for ReleaseGuard {
    type Reply = ();
}

/// Prune abandoned waiters and serve the queue (sent when a wait is dropped).
///
/// ```
/// use retinue::sync::semaphore::Sweep;
/// use retinue::sync::{SemaphoreActor, SemaphoreOptions};
/// # retinue::rt::block_on(async {
/// let sem = retinue::spawn(SemaphoreActor::new(SemaphoreOptions { permits: 2, bounded: false }));
/// sem.ask(Sweep).await.unwrap(); // nothing to prune: a no-op
/// # });
/// ```
pub struct Sweep;
impl Message for Sweep {
    type Reply = ();
}

/// Ask for a [`SemaphoreStatus`].
///
/// ```
/// use retinue::sync::semaphore::Status;
/// use retinue::sync::{SemaphoreActor, SemaphoreOptions};
/// # retinue::rt::block_on(async {
/// let sem = retinue::spawn(SemaphoreActor::new(SemaphoreOptions { permits: 2, bounded: false }));
/// assert_eq!(sem.ask(Status).await.unwrap().available, 2);
/// # });
/// ```
pub struct Status;
impl Message for Status {
    type Reply = SemaphoreStatus;
}

/// The semaphore actor. Spawn it yourself (or under a supervisor) and wrap
/// its address with [`Semaphore::from_addr`].
///
/// ```
/// use retinue::sync::{Semaphore, SemaphoreActor, SemaphoreOptions};
///
/// # retinue::rt::block_on(async {
/// let opts = SemaphoreOptions { permits: 2, bounded: true };
/// let addr = retinue::spawn(SemaphoreActor::new(opts)); // or a supervisor's child
/// let sem = Semaphore::from_addr(addr);
/// let permit = sem.acquire(2).await.unwrap();
/// assert_eq!(sem.available().await, Ok(0));
/// drop(permit);
/// assert_eq!(sem.available().await, Ok(2));
/// # });
/// ```
pub struct SemaphoreActor {
    opts: SemaphoreOptions,
    available: usize,
    /// Each waiter: permits wanted, its port, when its request arrived.
    waiters: VecDeque<(usize, ReplyTo<Grant>, Stopwatch)>,
    epoch: u64,
    /// Permits granted by this instance and not yet released or forgotten.
    held: usize,
    /// `retinue_semaphore_*` handles, made when an instance starts.
    meters: WaitMeters,
}

impl SemaphoreActor {
    /// A semaphore with `opts.permits` free permits.
    ///
    /// ```
    /// use retinue::sync::{Semaphore, SemaphoreActor, SemaphoreOptions};
    /// # retinue::rt::block_on(async {
    /// let opts = SemaphoreOptions { permits: 3, bounded: false };
    /// let sem = Semaphore::from_addr(retinue::spawn(SemaphoreActor::new(opts)));
    /// assert_eq!(sem.available().await, Ok(3));
    /// # });
    /// ```
    pub fn new(opts: SemaphoreOptions) -> Self {
        SemaphoreActor {
            available: opts.permits,
            opts,
            waiters: VecDeque::new(),
            epoch: next_epoch(),
            held: 0,
            meters: WaitMeters::default(),
        }
    }

    fn check(&self, n: usize) -> Result<(), SemaphoreError> {
        if n == 0 {
            return Err(SemaphoreError::ZeroPermits);
        }
        if self.opts.bounded && n > self.opts.permits {
            return Err(SemaphoreError::TooMany {
                requested: n,
                max: self.opts.permits,
            });
        }
        Ok(())
    }

    /// `granted` more permits are out, `returned` fewer.
    fn held_by(&mut self, granted: usize, returned: usize) {
        self.held = self.held.saturating_add(granted).saturating_sub(returned);
        self.meters.holders.set(self.held as f64);
    }

    fn permit(&self, ctx: &Context<Self>, permits: usize) -> SemaphorePermit {
        SemaphorePermit {
            addr: ctx.addr(),
            permits,
            epoch: self.epoch,
        }
    }

    fn add(&mut self, n: usize) {
        self.available = self.available.saturating_add(n);
        if self.opts.bounded {
            self.available = self.available.min(self.opts.permits);
        }
    }

    /// Serves waiters from the head while the head can be satisfied.
    fn serve(&mut self, ctx: &Context<Self>) {
        loop {
            // Dead waiters are dropped as they reach the head (O(1) each).
            while self.waiters.front().is_some_and(|(_, p, _)| p.is_closed()) {
                self.waiters.pop_front();
            }
            let Some((n, _, _)) = self.waiters.front() else {
                return;
            };
            let n = *n;
            if n > self.available {
                return;
            }
            let Some((_, port, since)) = self.waiters.pop_front() else {
                return;
            };
            self.available -= n;
            match port.send(Ok(self.permit(ctx, n))) {
                Ok(()) => {
                    self.meters.wait.record_since(since);
                    self.held_by(n, 0);
                }
                Err(Ok(mut back)) => {
                    back.permits = 0;
                    self.available += n;
                }
                Err(Err(_)) => {}
            }
        }
    }
}

impl Actor for SemaphoreActor {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.meters = WaitMeters::new(
            "retinue_semaphore_wait_seconds",
            "retinue_semaphore_holders",
            ctx.path(),
        );
        Ok(())
    }

    async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
        self.meters.holders.set(0.0);
    }
}

impl Handler<Acquire> for SemaphoreActor {
    async fn handle(&mut self, msg: Acquire, ctx: &mut Context<Self>) {
        if msg.port.is_closed() {
            return;
        }
        if let Err(e) = self.check(msg.permits) {
            let _ = msg.port.send(Err(e));
            return;
        }
        self.waiters
            .push_back((msg.permits, msg.port, Stopwatch::start()));
        self.serve(ctx);
    }
}

impl Handler<TryAcquire> for SemaphoreActor {
    async fn handle(&mut self, msg: TryAcquire, ctx: &mut Context<Self>) -> Grant {
        self.check(msg.0)?;
        let queued = self.waiters.iter().any(|(_, port, _)| !port.is_closed());
        if queued || msg.0 > self.available {
            return Err(SemaphoreError::WouldBlock);
        }
        self.available -= msg.0;
        self.held_by(msg.0, 0);
        Ok(self.permit(ctx, msg.0))
    }
}

impl Handler<Release> for SemaphoreActor {
    async fn handle(
        &mut self,
        msg: Release,
        ctx: &mut Context<Self>,
    ) -> Result<(), SemaphoreError> {
        if msg.0 == 0 {
            return Err(SemaphoreError::ZeroPermits);
        }
        if self.opts.bounded && self.available.saturating_add(msg.0) > self.opts.permits {
            return Err(SemaphoreError::Overflow);
        }
        self.add(msg.0);
        self.serve(ctx);
        Ok(())
    }
}

impl Handler<ReleaseGuard> for SemaphoreActor {
    async fn handle(&mut self, msg: ReleaseGuard, ctx: &mut Context<Self>) {
        if msg.epoch != self.epoch {
            return; // granted by a previous instance: this one starts afresh
        }
        self.held_by(0, msg.permits);
        if !msg.forgotten {
            self.add(msg.permits);
            self.serve(ctx);
        }
    }
}

impl Handler<Sweep> for SemaphoreActor {
    async fn handle(&mut self, _: Sweep, ctx: &mut Context<Self>) {
        self.waiters.retain(|(_, port, _)| !port.is_closed());
        self.serve(ctx);
    }
}

impl Handler<Status> for SemaphoreActor {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> SemaphoreStatus {
        let waiters = self
            .waiters
            .iter()
            .filter(|(_, p, _)| !p.is_closed())
            .count();
        SemaphoreStatus {
            available: self.available,
            waiters,
            locked: self.available == 0 || waiters > 0,
            entries: self.waiters.len(),
        }
    }
}
