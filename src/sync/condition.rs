//! Condition: a condition variable bound to a [`Lock`], as an actor
//! (`asyncio.Condition`).
//!
//! Invariants:
//! - a waiter is registered with the condition actor *before* it releases
//!   the lock: a notifier must hold the lock, so it can only notify after
//!   the waiter's registration is in the mailbox, and no wake-up is lost;
//! - notify wakes the longest-waiting live waiters first (FIFO); a waiter
//!   that gave up is skipped. Woken waiters then queue for the lock in the
//!   order they reach it (several woken at once may swap places there);
//! - a wake-up is a self-forwarding token, held by the woken wait until it
//!   has re-acquired the lock: if the wait is dropped at any point after
//!   the notify picked it (the token still in its reply, or the task
//!   already queued for the lock), or re-acquiring fails, the token's
//!   `Drop` passes the wake-up on to the next waiter (CPython's
//!   `test_cancelled_wakeup_relock`), so `notify(n)` never wakes fewer
//!   live waiters than it could;
//! - a waiter that gives up is removed at once: its dropped reply sends a
//!   `Sweep` on the control lane (see `cancel_sweep`); queries never
//!   change state;
//! - every wait that returns `Ok` returns with the lock re-acquired (also
//!   after a timeout); every `Err` means the lock is *not* held.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use super::cancel_sweep::Swept;
use super::error::ConditionError;
use super::lock::{Lock, LockGuard};
use crate::{Actor, Addr, AskError, Context, Handler, Message, ReplyTo, rt};

/// Whether a timed wait was notified or ran out of time (like
/// `std::sync::WaitTimeoutResult`).
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{Condition, Lock};
/// # retinue::rt::block_on(async {
/// let lock = Lock::new();
/// let cond = Condition::new(lock.clone());
/// let guard = lock.acquire().await.unwrap();
/// let (_guard, res) = cond.wait_timeout(guard, Duration::from_millis(1)).await.unwrap();
/// assert!(res.timed_out()); // nobody notified
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True when the deadline passed before a notification.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// The condition actor: a FIFO of parked waiters. Usually reached through
/// a [`Condition`].
///
/// ```
/// use retinue::sync::{Condition, ConditionActor, Lock};
/// # retinue::rt::block_on(async {
/// let lock = Lock::new();
/// let cond = Condition::from_addr(retinue::spawn(ConditionActor::new()), lock.clone());
/// let guard = lock.acquire().await.unwrap();
/// assert_eq!(cond.notify_all(&guard).await, Ok(0)); // nobody waits yet
/// # });
/// ```
pub struct ConditionActor {
    waiters: VecDeque<ReplyTo<Wakeup>>,
}

impl ConditionActor {
    /// A condition with no waiters.
    pub fn new() -> Self {
        ConditionActor {
            waiters: VecDeque::new(),
        }
    }

    fn notify(&mut self, n: usize, ctx: &mut Context<Self>) -> usize {
        let mut woken = 0;
        while woken < n {
            let Some(port) = self.waiters.pop_front() else {
                break;
            };
            if port.is_closed() {
                continue;
            }
            match port.send(Wakeup(Some(ctx.addr()))) {
                Ok(()) => woken += 1,
                Err(wakeup) => wakeup.consume(),
            }
        }
        woken
    }
}

impl Default for ConditionActor {
    fn default() -> Self {
        Self::new()
    }
}

impl Actor for ConditionActor {}

/// Park until notified (sent with `ask_with`).
pub struct Wait(pub ReplyTo<Wakeup>);
impl Message for Wait {
    type Reply = ();
}

/// Wake up to this many waiters; answers how many were woken.
pub struct Notify(pub usize);
impl Message for Notify {
    type Reply = usize;
}

/// How many live waiters are parked.
pub struct Waiting;
impl Message for Waiting {
    type Reply = usize;
}

/// A snapshot of a condition's state (read-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionStatus {
    /// Live waiters parked.
    pub waiting: usize,
    /// Waiter entries the actor holds, abandoned ones included: equal to
    /// `waiting` except between a wait's drop and its sweep.
    pub entries: usize,
}

/// Ask for a [`ConditionStatus`].
pub struct Status;
impl Message for Status {
    type Reply = ConditionStatus;
}

/// Remove waiters that gave up (sent when a wait is dropped).
pub struct Sweep;
impl Message for Sweep {
    type Reply = ();
}

/// A wake-up that reached a waiter who had already gone: pass it on.
pub struct Forward;
impl Message for Forward {
    type Reply = ();
}

impl Handler<Wait> for ConditionActor {
    async fn handle(&mut self, Wait(port): Wait, _: &mut Context<Self>) {
        if !port.is_closed() {
            self.waiters.push_back(port);
        }
    }
}

impl Handler<Notify> for ConditionActor {
    async fn handle(&mut self, Notify(n): Notify, ctx: &mut Context<Self>) -> usize {
        self.notify(n, ctx)
    }
}

impl Handler<Waiting> for ConditionActor {
    async fn handle(&mut self, _: Waiting, _: &mut Context<Self>) -> usize {
        self.waiters.iter().filter(|p| !p.is_closed()).count()
    }
}

impl Handler<Status> for ConditionActor {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> ConditionStatus {
        ConditionStatus {
            waiting: self.waiters.iter().filter(|p| !p.is_closed()).count(),
            entries: self.waiters.len(),
        }
    }
}

impl Handler<Sweep> for ConditionActor {
    async fn handle(&mut self, _: Sweep, _: &mut Context<Self>) {
        self.waiters.retain(|p| !p.is_closed());
    }
}

impl Handler<Forward> for ConditionActor {
    async fn handle(&mut self, _: Forward, ctx: &mut Context<Self>) {
        self.notify(1, ctx);
    }
}

/// A notification on its way to a waiter. Dropped unconsumed, it forwards
/// itself to the next waiter.
pub struct Wakeup(Option<Addr<ConditionActor>>);

impl Wakeup {
    fn consume(mut self) {
        self.0 = None;
    }
}

impl Drop for Wakeup {
    fn drop(&mut self) {
        if let Some(addr) = self.0.take() {
            let _ = addr.tell_urgent(Forward);
        }
    }
}

impl fmt::Debug for Wakeup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wakeup")
    }
}

/// A condition variable bound to a [`Lock`].
///
/// A waiter passes its [`LockGuard`] in and gets a fresh one back: the
/// lock is released while it waits and held again when `wait` returns.
/// Dropping a `wait` future releases nothing twice and loses no
/// notification (see the module invariants). Like every condition
/// variable, re-check your predicate after waking ([`wait_for`] does it).
/// There is no `try_wait`: a wait that answers at once would be a no-op;
/// the timeout forms are [`wait_timeout`](Condition::wait_timeout) and
/// [`wait_for_timeout`](Condition::wait_for_timeout).
///
/// In a config file the built-in `condition` kind names its lock child:
/// `args = { lock = "mutex" }` (see [`ConditionArgs`](crate::config::ConditionArgs)).
///
/// [`wait_for`]: Condition::wait_for
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use retinue::sync::{Condition, Lock};
/// # retinue::rt::block_on(async {
/// let lock = Lock::new();
/// let cond = Condition::new(lock.clone());
/// let ready = Arc::new(AtomicBool::new(false));
///
/// let consumer = {
///     let (lock, cond, ready) = (lock.clone(), cond.clone(), ready.clone());
///     retinue::rt::spawn(async move {
///         let guard = lock.acquire().await.unwrap();
///         let guard = cond.wait_for(guard, || ready.load(Ordering::SeqCst)).await?;
///         Ok::<u64, retinue::sync::ConditionError>(guard.token())
///     })
/// };
///
/// let guard = lock.acquire().await.unwrap();
/// ready.store(true, Ordering::SeqCst);
/// cond.notify_all(&guard).await.unwrap();
/// drop(guard);
/// assert!(consumer.await.unwrap().is_ok());
/// # });
/// ```
#[derive(Clone)]
pub struct Condition {
    addr: Addr<ConditionActor>,
    lock: Lock,
}

impl Condition {
    /// Spawns a condition actor bound to `lock`.
    ///
    /// ```
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let cond = Condition::new(lock.clone());
    /// assert!(cond.lock().addr().id() == lock.addr().id());
    /// assert_eq!(cond.waiting().await, Ok(0));
    /// # });
    /// ```
    pub fn new(lock: Lock) -> Self {
        Self::from_addr(crate::spawn(ConditionActor::new()), lock)
    }

    /// A handle to an existing condition actor, bound to `lock`.
    ///
    /// ```
    /// use retinue::sync::{Condition, ConditionActor, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let addr = retinue::spawn(ConditionActor::new());
    /// let cond = Condition::from_addr(addr, lock.clone());
    /// let guard = lock.acquire().await.unwrap();
    /// assert_eq!(cond.notify(&guard, 1).await, Ok(0));
    /// # });
    /// ```
    pub fn from_addr(addr: Addr<ConditionActor>, lock: Lock) -> Self {
        Condition { addr, lock }
    }

    /// The actor's address.
    ///
    /// ```
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let cond = Condition::new(Lock::new());
    /// assert!(cond.addr().is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<ConditionActor> {
        &self.addr
    }

    /// The lock this condition is bound to.
    ///
    /// ```
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let cond = Condition::new(Lock::new());
    /// let guard = cond.lock().acquire().await.unwrap(); // the lock to wait with
    /// let (_guard, _) = cond.wait_timeout(guard, std::time::Duration::from_millis(1)).await.unwrap();
    /// # });
    /// ```
    pub fn lock(&self) -> &Lock {
        &self.lock
    }

    fn check(&self, guard: &LockGuard) -> Result<(), ConditionError> {
        if guard.lock_id() == Some(self.lock.addr().id()) {
            Ok(())
        } else {
            Err(ConditionError::WrongLock)
        }
    }

    /// Registers as a waiter, then releases the lock. Dropping the answer
    /// before it resolves removes the waiter at once (a sweep).
    async fn park(&self, guard: LockGuard) -> Result<Parked, ConditionError> {
        self.check(&guard)?;
        let (port, reply) = ReplyTo::pair();
        let parked = Swept::new(reply, self.addr.clone(), Sweep);
        self.addr
            .tell(Wait(port))
            .await
            .map_err(|_| ConditionError::Closed)?;
        drop(guard);
        Ok(parked)
    }

    /// Re-acquires the lock, holding the wake-up until it is held: if this
    /// future is dropped (or the lock is gone) first, the wake-up's `Drop`
    /// passes the notification on to the next waiter.
    async fn reacquire(&self, wakeup: Option<Wakeup>) -> Result<LockGuard, ConditionError> {
        let guard = self
            .lock
            .acquire()
            .await
            .map_err(ConditionError::Reacquire)?;
        if let Some(wakeup) = wakeup {
            wakeup.consume();
        }
        Ok(guard)
    }

    /// Releases the lock, waits for a notification, and re-acquires the
    /// lock before returning.
    ///
    /// If the condition actor is restarted during the wait, this returns
    /// `Ok` with the lock re-acquired, like a spurious wake-up. On `Err`
    /// the lock is not held: [`ConditionError::WrongLock`] (the guard is
    /// another lock's; it is dropped), [`ConditionError::Closed`], or
    /// [`ConditionError::Reacquire`].
    ///
    /// ```
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let cond = Condition::new(lock.clone());
    /// let waiter = {
    ///     let (lock, cond) = (lock.clone(), cond.clone());
    ///     retinue::rt::spawn(async move {
    ///         let guard = lock.acquire().await.unwrap();
    ///         let guard = cond.wait(guard).await.unwrap(); // the lock is free meanwhile
    ///         guard.token()
    ///     })
    /// };
    /// while cond.waiting().await.unwrap() == 0 {
    ///     retinue::rt::sleep(std::time::Duration::from_millis(1)).await;
    /// }
    /// let guard = lock.acquire().await.unwrap();
    /// cond.notify(&guard, 1).await.unwrap();
    /// drop(guard);
    /// let token = waiter.await.unwrap(); // it woke holding the lock again
    /// assert!(token > 0);
    /// # });
    /// ```
    pub async fn wait(&self, guard: LockGuard) -> Result<LockGuard, ConditionError> {
        let parked = self.park(guard).await?;
        let wakeup = match parked.await {
            Ok(wakeup) => Some(wakeup),
            Err(AskError::NoReply) => None, // restarted: a spurious wake-up
            Err(e) => return Err(e.into()),
        };
        self.reacquire(wakeup).await
    }

    /// [`wait`](Self::wait) with a deadline. On timeout the lock is still
    /// re-acquired (waiting for it as long as it takes) and the result says
    /// [`timed_out`](WaitTimeoutResult::timed_out).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let cond = Condition::new(lock.clone());
    /// let guard = lock.acquire().await.unwrap();
    /// let (guard, res) = cond.wait_timeout(guard, Duration::from_millis(2)).await.unwrap();
    /// assert!(res.timed_out());
    /// assert_eq!(lock.holder_token().await.unwrap(), Some(guard.token())); // held again
    /// # });
    /// ```
    pub async fn wait_timeout(
        &self,
        guard: LockGuard,
        timeout: Duration,
    ) -> Result<(LockGuard, WaitTimeoutResult), ConditionError> {
        let parked = self.park(guard).await?;
        let (wakeup, timed_out) = match rt::timeout(timeout, parked).await {
            Ok(Ok(wakeup)) => (Some(wakeup), false),
            Ok(Err(AskError::NoReply)) => (None, false),
            Ok(Err(e)) => return Err(e.into()),
            Err(_elapsed) => (None, true),
        };
        let guard = self.reacquire(wakeup).await?;
        Ok((guard, WaitTimeoutResult(timed_out)))
    }

    /// Waits until `predicate` is true, checking it with the lock held
    /// (at once, then after every wake-up).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let cond = Condition::new(lock.clone());
    /// let items = Arc::new(AtomicU32::new(0)); // guarded by the lock
    /// let consumer = {
    ///     let (lock, cond, items) = (lock.clone(), cond.clone(), items.clone());
    ///     retinue::rt::spawn(async move {
    ///         let guard = lock.acquire().await.unwrap();
    ///         let _guard = cond.wait_for(guard, || items.load(Ordering::SeqCst) >= 2).await.unwrap();
    ///         items.load(Ordering::SeqCst)
    ///     })
    /// };
    /// for _ in 0..2 {
    ///     let guard = lock.acquire().await.unwrap();
    ///     items.fetch_add(1, Ordering::SeqCst);
    ///     cond.notify_all(&guard).await.unwrap();
    /// }
    /// assert_eq!(consumer.await.unwrap(), 2);
    /// # });
    /// ```
    pub async fn wait_for(
        &self,
        mut guard: LockGuard,
        mut predicate: impl FnMut() -> bool,
    ) -> Result<LockGuard, ConditionError> {
        while !predicate() {
            guard = self.wait(guard).await?;
        }
        Ok(guard)
    }

    /// [`wait_for`](Self::wait_for) with an overall deadline. Returns the
    /// re-acquired guard and whether the predicate held in the end
    /// (`false` means the deadline passed first).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let cond = Condition::new(lock.clone());
    /// let guard = lock.acquire().await.unwrap();
    /// let (_guard, ok) = cond
    ///     .wait_for_timeout(guard, Duration::from_millis(2), || false)
    ///     .await
    ///     .unwrap();
    /// assert!(!ok); // the deadline passed first
    /// # });
    /// ```
    pub async fn wait_for_timeout(
        &self,
        mut guard: LockGuard,
        timeout: Duration,
        mut predicate: impl FnMut() -> bool,
    ) -> Result<(LockGuard, bool), ConditionError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if predicate() {
                return Ok((guard, true));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok((guard, false));
            }
            guard = self.wait_timeout(guard, left).await?.0;
        }
    }

    /// Wakes up to `n` waiters, longest-waiting first; answers how many were
    /// woken. The caller must hold the bound lock (pass its guard; only
    /// its lock is checked, not whether its lease is still current).
    ///
    /// ```
    /// use retinue::sync::{Condition, ConditionError, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let cond = Condition::new(lock.clone());
    /// let guard = lock.acquire().await.unwrap();
    /// assert_eq!(cond.notify(&guard, 1).await, Ok(0)); // nobody waits
    /// assert_eq!(cond.notify(&guard, 0).await, Err(ConditionError::ZeroCount));
    /// let other = Lock::new().acquire().await.unwrap();
    /// assert_eq!(cond.notify(&other, 1).await, Err(ConditionError::WrongLock));
    /// # });
    /// ```
    pub async fn notify(&self, guard: &LockGuard, n: usize) -> Result<usize, ConditionError> {
        self.check(guard)?;
        if n == 0 {
            return Err(ConditionError::ZeroCount);
        }
        Ok(self.addr.ask(Notify(n)).await?)
    }

    /// How many tasks are waiting (introspection).
    ///
    /// ```
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let cond = Condition::new(Lock::new());
    /// assert_eq!(cond.waiting().await, Ok(0));
    /// # });
    /// ```
    pub async fn waiting(&self) -> Result<usize, ConditionError> {
        Ok(self.addr.ask(Waiting).await?)
    }

    /// Live waiters and the entries the actor holds, in one round trip
    /// (read-only: asking changes nothing).
    ///
    /// ```
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let cond = Condition::new(lock.clone());
    /// let guard = lock.acquire().await.unwrap();
    /// let wait = cond.wait_timeout(guard, std::time::Duration::from_millis(1));
    /// let (_guard, res) = wait.await.unwrap();
    /// assert!(res.timed_out());
    /// let status = cond.status().await.unwrap();
    /// assert_eq!((status.waiting, status.entries), (0, 0)); // removed at once
    /// # });
    /// ```
    pub async fn status(&self) -> Result<ConditionStatus, ConditionError> {
        Ok(self.addr.ask(Status).await?)
    }

    /// Wakes every waiter; answers how many were woken.
    ///
    /// ```
    /// use retinue::sync::{Condition, Lock};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let cond = Condition::new(lock.clone());
    /// let guard = lock.acquire().await.unwrap();
    /// assert_eq!(cond.notify_all(&guard).await, Ok(0));
    /// # });
    /// ```
    pub async fn notify_all(&self, guard: &LockGuard) -> Result<usize, ConditionError> {
        self.check(guard)?;
        Ok(self.addr.ask(Notify(usize::MAX)).await?)
    }
}

/// A parked wait: resolves to the wake-up, sweeps itself if dropped.
type Parked = Swept<Wakeup, ConditionActor, Sweep>;

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("addr", &self.addr)
            .field("lock", &self.lock)
            .finish()
    }
}
