//! Lock: a mutual-exclusion lock as an actor, with fencing tokens and an
//! optional lease.
//!
//! Invariants (of one [`LockActor`] instance):
//! - at most one grant is current (`holder`); a grant is a [`LockGuard`]
//!   whose `Drop` releases through the control lane, so a grant is never
//!   lost, even when the asker gives up while it is on its way (the stored
//!   guard is dropped with the reply slot and releases itself);
//! - `holder.is_none()` implies `waiters.is_empty()` after every handler:
//!   a release hands the lock straight to the next live waiter (no extra
//!   round trip), and a new arrival never overtakes a queued waiter;
//! - waiters are served FIFO in the order the actor received them; a
//!   waiter whose future was dropped is removed at once (its dropped reply
//!   sends a `Sweep` on the control lane, see `cancel_sweep`), and a grant
//!   that reaches nobody ([`ReplyTo::send`] hands it back) is disarmed on
//!   the spot;
//! - queries (`Status`, `IsCurrent`) never change state;
//! - fencing tokens come from one process-wide counter, so every grant's
//!   token is strictly greater than every earlier one of this lock, also
//!   across supervisor restarts of the actor (a restarted instance never
//!   reuses a token, so a guard from before the restart can never release
//!   the new holder: its release is reported [`LockError::Stale`]);
//! - with a lease, a holder past its lease loses the lock: its token stops
//!   being current and the next waiter is served.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;

use super::error::LockError;
use crate::metrics::{Stopwatch, WaitMeters};
use crate::{Actor, ActorId, Addr, BoxError, Context, Handler, Message, ReplyTo, TaskHandle};

mod handle;

pub use handle::Lock;

/// Process-wide source of fencing tokens (0 is never issued).
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

fn next_token() -> u64 {
    NEXT_TOKEN.fetch_add(1, Ordering::Relaxed)
}

/// Settings of a [`LockActor`]. Every field has a default, so an empty
/// config table (or `LockOptions::default()`) is a plain lock.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::LockOptions;
///
/// let opts = LockOptions { lease: Some(Duration::from_secs(30)) };
/// assert_eq!(LockOptions::default().lease, None);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockOptions {
    /// How long a holder may keep the lock before it is taken away
    /// (`"30s"`, `"250ms"` or milliseconds in a config file). Default:
    /// none, a holder keeps the lock until it releases it.
    #[serde(with = "crate::duration::option")]
    pub lease: Option<Duration>,
}

/// A snapshot of a lock's state, for introspection.
///
/// ```
/// use retinue::sync::Lock;
/// # retinue::rt::block_on(async {
/// let lock = Lock::new();
/// let guard = lock.acquire().await.unwrap();
/// let s = lock.status().await.unwrap();
/// assert!(s.locked);
/// assert_eq!((s.holder, s.queued, s.entries), (Some(guard.token()), 0, 0));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockStatus {
    /// Whether a grant is current.
    pub locked: bool,
    /// The current holder's fencing token.
    pub holder: Option<u64>,
    /// Live waiters queued behind the holder.
    pub queued: usize,
    /// Waiter entries the actor holds, abandoned ones included: equal to
    /// `queued` except between a wait's drop and its sweep (so a test can
    /// check that nothing is left behind).
    pub entries: usize,
}

/// The lock actor. Usually reached through a [`Lock`] handle; spawn it
/// yourself (or let a supervisor do it) and wrap the address with
/// [`Lock::from_addr`].
///
/// ```
/// use retinue::sync::{Lock, LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let addr = retinue::spawn(LockActor::new(LockOptions::default()));
/// let lock = Lock::from_addr(addr);
/// let guard = lock.acquire().await.unwrap();
/// assert!(lock.is_locked().await.unwrap());
/// drop(guard);
/// assert!(!lock.is_locked().await.unwrap());
/// # });
/// ```
pub struct LockActor {
    options: LockOptions,
    holder: Option<Holder>,
    /// Each waiter with the time its request arrived.
    waiters: VecDeque<(ReplyTo<LockGuard>, Stopwatch)>,
    /// `retinue_lock_*` handles, made when an instance starts.
    meters: WaitMeters,
}

struct Holder {
    token: u64,
    lease: Option<TaskHandle>,
}

impl LockActor {
    /// A free lock with these options.
    ///
    /// ```
    /// use retinue::sync::{Lock, LockActor, LockOptions};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::from_addr(retinue::spawn(LockActor::new(LockOptions::default())));
    /// assert!(!lock.is_locked().await.unwrap());
    /// # });
    /// ```
    pub fn new(options: LockOptions) -> Self {
        LockActor {
            options,
            holder: None,
            waiters: VecDeque::new(),
            meters: WaitMeters::default(),
        }
    }

    /// Hands the lock to the next live waiter while it is free.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        while self.holder.is_none() {
            let Some((port, since)) = self.waiters.pop_front() else {
                return;
            };
            if port.is_closed() {
                continue;
            }
            let token = next_token();
            match port.send(LockGuard::new(token, ctx.addr())) {
                Ok(()) => {
                    self.meters.wait.record_since(since);
                    self.hold(token, ctx);
                }
                Err(guard) => guard.disarm(),
            }
        }
    }

    fn hold(&mut self, token: u64, ctx: &mut Context<Self>) {
        let lease = self
            .options
            .lease
            .map(|lease| ctx.send_after(Expire(token), lease));
        self.holder = Some(Holder { token, lease });
        self.meters.holders.set(1.0);
    }

    /// No grant is current any more.
    fn free(&mut self) {
        if let Some(Holder {
            lease: Some(lease), ..
        }) = self.holder.take()
        {
            lease.cancel();
        }
        self.meters.holders.set(0.0);
    }

    /// Releases `token` if it is current.
    fn release(&mut self, token: u64, ctx: &mut Context<Self>) -> Result<(), LockError> {
        match &self.holder {
            Some(h) if h.token == token => {
                self.free();
                self.pump(ctx);
                Ok(())
            }
            _ => Err(LockError::Stale),
        }
    }

    fn current(&self) -> Option<u64> {
        self.holder.as_ref().map(|h| h.token)
    }
}

impl Actor for LockActor {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.meters = WaitMeters::new(
            "retinue_lock_wait_seconds",
            "retinue_lock_holders",
            ctx.path(),
        );
        Ok(())
    }

    async fn stopped(&mut self, _: &mut Context<Self>, _: &crate::ExitReason) {
        self.meters.holders.set(0.0);
    }
}

/// Request: park until granted (sent with `ask_with`).
///
/// ```
/// use retinue::sync::lock::Acquire;
/// use retinue::sync::{LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let lock = retinue::spawn(LockActor::new(LockOptions::default()));
/// let guard = lock.ask_with(Acquire).await.unwrap();
/// assert!(guard.token() > 0);
/// # });
/// ```
pub struct Acquire(pub ReplyTo<LockGuard>);
impl Message for Acquire {
    type Reply = ();
}

/// Request: grant now or answer [`LockError::WouldBlock`].
///
/// ```
/// use retinue::sync::LockError;
/// use retinue::sync::lock::TryAcquire;
/// use retinue::sync::{LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let lock = retinue::spawn(LockActor::new(LockOptions::default()));
/// let guard = lock.ask(TryAcquire).await.unwrap().unwrap();
/// assert_eq!(lock.ask(TryAcquire).await.unwrap().unwrap_err(), LockError::WouldBlock);
/// # drop(guard);
/// # });
/// ```
pub struct TryAcquire;
impl Message for TryAcquire {
    type Reply = Result<LockGuard, LockError>;
}

/// Release a token (what a guard's `Drop` sends on the control lane).
/// A stale token is ignored.
///
/// ```
/// use retinue::sync::lock::{Release, TryAcquire};
/// use retinue::sync::{LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let lock = retinue::spawn(LockActor::new(LockOptions::default()));
/// let guard = lock.ask(TryAcquire).await.unwrap().unwrap();
/// lock.ask(Release(guard.token())).await.unwrap(); // what dropping it sends
/// assert!(lock.ask(TryAcquire).await.unwrap().is_ok());
/// # });
/// ```
pub struct Release(pub u64);
impl Message for Release {
    type Reply = ();
}

/// Release a token and say whether it was current.
///
/// ```
/// use retinue::sync::LockError;
/// use retinue::sync::lock::{ReleaseChecked, TryAcquire};
/// use retinue::sync::{LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let lock = retinue::spawn(LockActor::new(LockOptions::default()));
/// let guard = lock.ask(TryAcquire).await.unwrap().unwrap();
/// let token = guard.token();
/// drop(guard);
/// assert_eq!(lock.ask(ReleaseChecked(token)).await.unwrap(), Err(LockError::Stale));
/// # });
/// ```
pub struct ReleaseChecked(pub u64);
impl Message for ReleaseChecked {
    type Reply = Result<(), LockError>;
}

/// Whether a token is the current holder's.
///
/// ```
/// use retinue::sync::lock::{IsCurrent, TryAcquire};
/// use retinue::sync::{LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let lock = retinue::spawn(LockActor::new(LockOptions::default()));
/// let guard = lock.ask(TryAcquire).await.unwrap().unwrap();
/// assert!(lock.ask(IsCurrent(guard.token())).await.unwrap());
/// assert!(!lock.ask(IsCurrent(0)).await.unwrap()); // 0 is never issued
/// # });
/// ```
pub struct IsCurrent(pub u64);
impl Message for IsCurrent {
    type Reply = bool;
}

/// Remove waiters that gave up (sent by a dropped `acquire`).
///
/// ```
/// use retinue::sync::lock::Sweep;
/// use retinue::sync::{LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let lock = retinue::spawn(LockActor::new(LockOptions::default()));
/// lock.ask(Sweep).await.unwrap(); // nothing to remove: a no-op
/// # });
/// ```
pub struct Sweep;
impl Message for Sweep {
    type Reply = ();
}

/// Ask for a [`LockStatus`].
///
/// ```
/// use retinue::sync::lock::Status;
/// use retinue::sync::{LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let lock = retinue::spawn(LockActor::new(LockOptions::default()));
/// assert!(!lock.ask(Status).await.unwrap().locked);
/// # });
/// ```
pub struct Status;
impl Message for Status {
    type Reply = LockStatus;
}

/// The lease of a token ran out (sent by the actor's own timer).
///
/// ```
/// use retinue::sync::lock::{Expire, TryAcquire};
/// use retinue::sync::{LockActor, LockOptions};
/// # retinue::rt::block_on(async {
/// let lock = retinue::spawn(LockActor::new(LockOptions::default()));
/// let guard = lock.ask(TryAcquire).await.unwrap().unwrap();
/// lock.ask(Expire(guard.token())).await.unwrap(); // as if its lease ran out
/// assert!(!guard.is_current().await.unwrap());
/// # });
/// ```
pub struct Expire(pub u64);
impl Message for Expire {
    type Reply = ();
}

impl Handler<Acquire> for LockActor {
    async fn handle(&mut self, Acquire(port): Acquire, ctx: &mut Context<Self>) {
        // A wait dropped before its request was read: its sweep came first.
        if port.is_closed() {
            return;
        }
        self.waiters.push_back((port, Stopwatch::start()));
        self.pump(ctx);
    }
}

impl Handler<TryAcquire> for LockActor {
    async fn handle(
        &mut self,
        _: TryAcquire,
        ctx: &mut Context<Self>,
    ) -> Result<LockGuard, LockError> {
        if self.holder.is_some() {
            return Err(LockError::WouldBlock);
        }
        let token = next_token();
        self.hold(token, ctx);
        Ok(LockGuard::new(token, ctx.addr()))
    }
}

impl Handler<Release> for LockActor {
    async fn handle(&mut self, Release(token): Release, ctx: &mut Context<Self>) {
        let _ = self.release(token, ctx);
    }
}

impl Handler<ReleaseChecked> for LockActor {
    async fn handle(
        &mut self,
        msg: ReleaseChecked,
        ctx: &mut Context<Self>,
    ) -> Result<(), LockError> {
        self.release(msg.0, ctx)
    }
}

impl Handler<IsCurrent> for LockActor {
    async fn handle(&mut self, msg: IsCurrent, _: &mut Context<Self>) -> bool {
        self.current() == Some(msg.0)
    }
}

impl Handler<Status> for LockActor {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> LockStatus {
        LockStatus {
            locked: self.holder.is_some(),
            holder: self.current(),
            queued: self.waiters.iter().filter(|(p, _)| !p.is_closed()).count(),
            entries: self.waiters.len(),
        }
    }
}

impl Handler<Sweep> for LockActor {
    async fn handle(&mut self, _: Sweep, ctx: &mut Context<Self>) {
        self.waiters.retain(|(p, _)| !p.is_closed());
        self.pump(ctx);
    }
}

impl Handler<Expire> for LockActor {
    async fn handle(&mut self, Expire(token): Expire, ctx: &mut Context<Self>) {
        if self.current() == Some(token) {
            tracing::debug!(token, "lock lease expired; holder loses the lock");
            self.free();
            self.pump(ctx);
        }
    }
}

/// Proof of holding a [`Lock`]; dropping it releases the lock (through
/// the control lane: no await, never lost).
///
/// ```
/// use retinue::sync::Lock;
/// # retinue::rt::block_on(async {
/// let lock = Lock::new();
/// let first = lock.acquire().await.unwrap();
/// let t1 = first.token();
/// first.release().await.unwrap();
/// let second = lock.acquire().await.unwrap();
/// assert!(second.token() > t1); // fencing tokens only grow
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard {
    token: u64,
    addr: Option<Addr<LockActor>>,
}

impl LockGuard {
    fn new(token: u64, addr: Addr<LockActor>) -> Self {
        LockGuard {
            token,
            addr: Some(addr),
        }
    }

    /// Drops the guard without sending a release (the grant never reached
    /// anyone, so the actor already knows it is not held).
    fn disarm(mut self) {
        self.addr = None;
    }

    /// The fencing token of this grant: strictly greater than every token
    /// this lock granted before. Pass it to the resource you protect so it
    /// can refuse writes from a holder that lost the lock.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let lock = retinue::sync::Lock::new();
    /// let guard = lock.acquire().await.unwrap();
    /// assert_eq!(lock.holder_token().await.unwrap(), Some(guard.token()));
    /// # });
    /// ```
    pub fn token(&self) -> u64 {
        self.token
    }

    /// The identity of the lock actor this guard belongs to.
    ///
    /// ```
    /// use retinue::sync::Lock;
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let guard = lock.acquire().await.unwrap();
    /// assert_eq!(guard.lock_id(), Some(lock.addr().id()));
    /// # });
    /// ```
    pub fn lock_id(&self) -> Option<ActorId> {
        self.addr.as_ref().map(Addr::id)
    }

    /// Whether this guard still holds the lock (false after its lease ran
    /// out or the actor restarted).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{Lock, LockOptions};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::with_options(LockOptions { lease: Some(Duration::from_millis(5)) });
    /// let guard = lock.acquire().await.unwrap();
    /// while guard.is_current().await.unwrap() {
    ///     retinue::rt::sleep(Duration::from_millis(1)).await; // the lease runs out
    /// }
    /// assert!(!lock.is_locked().await.unwrap());
    /// # });
    /// ```
    pub async fn is_current(&self) -> Result<bool, LockError> {
        match &self.addr {
            Some(addr) => Ok(addr.ask(IsCurrent(self.token)).await?),
            None => Ok(false),
        }
    }

    /// Releases the lock and reports whether this guard still held it:
    /// [`LockError::Stale`] when its lease had run out (the release then
    /// changed nothing). Dropping the guard releases silently instead.
    ///
    /// ```
    /// use retinue::sync::Lock;
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let guard = lock.acquire().await.unwrap();
    /// guard.release().await.unwrap(); // Ok: it still held the lock
    /// assert!(!lock.is_locked().await.unwrap());
    /// # });
    /// ```
    pub async fn release(mut self) -> Result<(), LockError> {
        let Some(addr) = self.addr.take() else {
            return Err(LockError::Stale);
        };
        match addr.ask(ReleaseChecked(self.token)).await {
            Ok(result) => result,
            // The actor is gone: nothing is held any more.
            Err(crate::AskError::Closed) | Err(crate::AskError::NoReply) => Err(LockError::Stale),
            Err(e) => {
                let _ = addr.tell_urgent(Release(self.token));
                Err(e.into())
            }
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(addr) = self.addr.take() {
            let _ = addr.tell_urgent(Release(self.token));
        }
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("token", &self.token)
            .finish()
    }
}
