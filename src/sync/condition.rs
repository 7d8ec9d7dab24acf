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
//! - a wake-up is a self-forwarding token: if it reaches a waiter that
//!   gave up in the same instant (timeout or drop racing the notify), the
//!   token's `Drop` passes the wake-up on to the next waiter, so
//!   `notify(n)` never wakes fewer live waiters than it could;
//! - waiters that gave up are pruned when they pile up;
//! - every wait that returns `Ok` returns with the lock re-acquired (also
//!   after a timeout); every `Err` means the lock is *not* held.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use super::error::ConditionError;
use super::lock::{Lock, LockGuard};
use crate::{Actor, Addr, AskError, Context, Handler, Message, ReplyTo, rt};

/// Whether a timed wait was notified or ran out of time (like
/// `std::sync::WaitTimeoutResult`).
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
    prune_at: usize,
}

impl ConditionActor {
    /// A condition with no waiters.
    pub fn new() -> Self {
        ConditionActor {
            waiters: VecDeque::new(),
            prune_at: 64,
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

/// A wake-up that reached a waiter who had already gone: pass it on.
pub struct Forward;
impl Message for Forward {
    type Reply = ();
}

impl Handler<Wait> for ConditionActor {
    async fn handle(&mut self, Wait(port): Wait, _: &mut Context<Self>) {
        if port.is_closed() {
            return;
        }
        // Waiters that timed out are skipped by notify; prune them here too
        // so a condition nobody notifies does not grow without bound.
        if self.waiters.len() >= self.prune_at {
            self.waiters.retain(|p| !p.is_closed());
            self.prune_at = (self.waiters.len() * 2).max(64);
        }
        self.waiters.push_back(port);
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
    pub fn new(lock: Lock) -> Self {
        Self::from_addr(crate::spawn(ConditionActor::new()), lock)
    }

    /// A handle to an existing condition actor, bound to `lock`.
    pub fn from_addr(addr: Addr<ConditionActor>, lock: Lock) -> Self {
        Condition { addr, lock }
    }

    /// The actor's address.
    pub fn addr(&self) -> &Addr<ConditionActor> {
        &self.addr
    }

    /// The lock this condition is bound to.
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

    /// Registers as a waiter, then releases the lock.
    async fn park(&self, guard: LockGuard) -> Result<crate::Reply<Wakeup>, ConditionError> {
        self.check(&guard)?;
        let (port, reply) = ReplyTo::pair();
        self.addr
            .tell(Wait(port))
            .await
            .map_err(|_| ConditionError::Closed)?;
        drop(guard);
        Ok(reply)
    }

    async fn reacquire(&self) -> Result<LockGuard, ConditionError> {
        self.lock.acquire().await.map_err(ConditionError::Reacquire)
    }

    /// Releases the lock, waits for a notification, and re-acquires the
    /// lock before returning.
    ///
    /// If the condition actor is restarted during the wait, this returns
    /// `Ok` with the lock re-acquired, like a spurious wake-up. On `Err`
    /// the lock is not held: [`ConditionError::WrongLock`] (the guard is
    /// another lock's; it is dropped), [`ConditionError::Closed`], or
    /// [`ConditionError::Reacquire`].
    pub async fn wait(&self, guard: LockGuard) -> Result<LockGuard, ConditionError> {
        let reply = self.park(guard).await?;
        match reply.await {
            Ok(wakeup) => wakeup.consume(),
            Err(AskError::NoReply) => {} // restarted: a spurious wake-up
            Err(e) => return Err(e.into()),
        }
        self.reacquire().await
    }

    /// [`wait`](Self::wait) with a deadline. On timeout the lock is still
    /// re-acquired (waiting for it as long as it takes) and the result says
    /// [`timed_out`](WaitTimeoutResult::timed_out).
    pub async fn wait_timeout(
        &self,
        guard: LockGuard,
        timeout: Duration,
    ) -> Result<(LockGuard, WaitTimeoutResult), ConditionError> {
        let reply = self.park(guard).await?;
        let timed_out = match rt::timeout(timeout, reply).await {
            Ok(Ok(wakeup)) => {
                wakeup.consume();
                false
            }
            Ok(Err(AskError::NoReply)) => false,
            Ok(Err(e)) => return Err(e.into()),
            Err(_elapsed) => true,
        };
        Ok((self.reacquire().await?, WaitTimeoutResult(timed_out)))
    }

    /// Waits until `predicate` is true, checking it with the lock held
    /// (at once, then after every wake-up).
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
    pub async fn notify(&self, guard: &LockGuard, n: usize) -> Result<usize, ConditionError> {
        self.check(guard)?;
        if n == 0 {
            return Err(ConditionError::ZeroCount);
        }
        Ok(self.addr.ask(Notify(n)).await?)
    }

    /// How many tasks are waiting (introspection).
    pub async fn waiting(&self) -> Result<usize, ConditionError> {
        Ok(self.addr.ask(Waiting).await?)
    }

    /// Wakes every waiter; answers how many were woken.
    pub async fn notify_all(&self, guard: &LockGuard) -> Result<usize, ConditionError> {
        self.check(guard)?;
        Ok(self.addr.ask(Notify(usize::MAX)).await?)
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("addr", &self.addr)
            .field("lock", &self.lock)
            .finish()
    }
}
