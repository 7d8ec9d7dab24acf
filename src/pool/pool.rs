//! [`Pool`]: the handle of N supervised workers behind one address, and
//! how it routes each `tell` and `ask`.
//!
//! Invariants:
//! - Workers are permanent children of the pool's own supervisor, so each
//!   keeps its address (and its mailbox) across restarts: a crashed
//!   worker's queued messages are handled by its restarted instance, not
//!   rerouted; only the message it was handling is lost (at-most-once),
//!   unless the pool is fed from an acknowledged source (then it is
//!   redelivered).
//! - A slot leaves the routing table before it is drained: once `shrink`
//!   removed it, no new message is routed to it (a push holds a claim on
//!   its slot, see slot.rs).
//! - Consistent hashing never falls back to another worker: a key's
//!   message waits for (or is refused by) the key's own worker.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use async_channel::{Receiver, Sender};

use super::builder::PoolBuilder;
use super::keys::Registry;
use super::ring::Ring;
use super::slot::{Factory, FeedFn, Slot};
use super::{Overflow, PoolError, PoolStats, Routing};
use crate::supervisor::{Supervisor, SupervisorError, SupervisorRef, TreeNode};
use crate::{Actor, Addr, Capacity, Handler, Message, SharedMailbox, TrySendError};

/// What every handle of one pool shares.
pub(super) struct Shared<W: Actor> {
    pub(super) routing: Routing,
    pub(super) overflow: Overflow,
    /// The pool's supervisor (stable across its restarts by a parent).
    pub(super) sup: Addr<Supervisor>,
    /// Whether that supervisor was ever started (a pool in a tree that
    /// has not started yet: false).
    pub(super) started: AtomicBool,
    pub(super) factory: Factory<W>,
    pub(super) capacity: Option<Capacity>,
    pub(super) slots: RwLock<Vec<Slot<W>>>,
    pub(super) ring: RwLock<Ring>,
    pub(super) next: AtomicUsize,
    pub(super) next_id: AtomicU64,
    /// Balancing: the mailbox every worker also serves.
    pub(super) shared_jobs: Option<SharedMailbox<W>>,
    pub(super) registry: RwLock<Registry>,
    pub(super) discarded: AtomicU64,
    /// A one-place channel used as an async mutex for resizes.
    pub(super) resizing: (Sender<()>, Receiver<()>),
    /// What starts the feeders of each new slot.
    pub(super) feeds: Mutex<Vec<FeedFn<W>>>,
}

/// A pool of supervised workers behind one address-like handle (cheap to
/// clone): [`tell`](Self::tell) and [`ask`](Self::ask) like an [`Addr`],
/// routed by the pool's [`Routing`].
///
/// ```
/// use retinue::{Actor, Context, Handler, Message};
/// use retinue::pool::{Pool, Routing};
///
/// struct Square;
/// impl Actor for Square {}
/// struct Job(u64);
/// impl Message for Job { type Reply = u64; }
/// impl Handler<Job> for Square {
///     async fn handle(&mut self, job: Job, _: &mut Context<Self>) -> u64 { job.0 * job.0 }
/// }
///
/// # retinue::rt::block_on(async {
/// let pool = Pool::builder(|| Square).size(3).routing(Routing::RoundRobin).spawn().await.unwrap();
/// assert_eq!(pool.ask(Job(7)).await.unwrap(), 49);
/// pool.tell(Job(1)).await.unwrap();
/// pool.resize(5).await.unwrap();
/// assert_eq!(pool.size(), 5);
/// pool.shutdown().await;
/// # });
/// ```
pub struct Pool<W: Actor> {
    shared: Arc<Shared<W>>,
}

impl<W: Actor> Clone for Pool<W> {
    fn clone(&self) -> Self {
        Pool {
            shared: self.shared.clone(),
        }
    }
}

impl<W: Actor> std::fmt::Debug for Pool<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("routing", &self.shared.routing)
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

impl<W: Actor> Pool<W> {
    /// A builder for a pool of workers made by `factory` (called once per
    /// worker start and again on every restart).
    pub fn builder(factory: impl Fn() -> W + Send + Sync + 'static) -> PoolBuilder<W> {
        PoolBuilder::new(Arc::new(factory))
    }

    pub(super) fn from_shared(shared: Arc<Shared<W>>) -> Self {
        Pool { shared }
    }

    pub(super) fn shared(&self) -> &Shared<W> {
        &self.shared
    }

    pub(super) fn slots(&self) -> RwLockReadGuard<'_, Vec<Slot<W>>> {
        self.shared.slots.read().unwrap_or_else(|e| e.into_inner())
    }

    /// How many workers the pool has now.
    pub fn size(&self) -> usize {
        self.slots().len()
    }

    /// The routing strategy.
    pub fn routing(&self) -> Routing {
        self.shared.routing
    }

    /// The workers' addresses, in slot order (stable across restarts).
    pub fn workers(&self) -> Vec<Addr<W>> {
        self.slots().iter().map(|s| s.addr.clone()).collect()
    }

    /// Size, messages waiting, and messages discarded by the overflow policy.
    pub fn stats(&self) -> PoolStats {
        let slots = self.slots();
        PoolStats {
            size: slots.len(),
            discarded: self.shared.discarded.load(Ordering::Relaxed),
            queued: match &self.shared.shared_jobs {
                Some(jobs) => jobs.len(),
                None => slots.iter().map(|s| s.addr.mailbox_len()).sum(),
            },
        }
    }

    /// The pool's supervisor (its children are the workers), once it has
    /// started (a pool in a tree that is not started yet: this waits).
    pub async fn supervisor(&self) -> Result<SupervisorRef, SupervisorError> {
        SupervisorRef::wait_started(self.shared.sup.clone()).await
    }

    /// A snapshot of the pool's supervision tree, its workers as children.
    pub async fn tree(&self, name: &str) -> Result<TreeNode, SupervisorError> {
        self.supervisor().await?.tree(name).await
    }

    /// Sets (or replaces) the key of messages of type `M` for
    /// [`Routing::ConsistentHash`], like [`PoolBuilder::key`]: for pools
    /// built elsewhere, e.g. declared in a config file. Until a key is
    /// set, such messages are refused with [`PoolError::NoKey`].
    pub fn set_key<M: Message, K: std::hash::Hash>(
        &self,
        key: impl Fn(&M) -> K + Send + Sync + 'static,
    ) {
        self.registry_mut().add_key(key);
    }

    /// Lets [`Routing::Broadcast`] copy messages of type `M` on `tell`,
    /// like [`PoolBuilder::copy`].
    pub fn set_copy<M: Message + Clone>(&self) {
        self.registry_mut().add_copy::<M>();
    }

    /// A copy of `msg`, if its type was registered as copyable.
    pub(super) fn copy_of<M: Message>(&self, msg: &M) -> Option<M> {
        self.registry().copy_of(msg)
    }

    fn registry(&self) -> RwLockReadGuard<'_, Registry> {
        self.shared
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn registry_mut(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.shared
            .registry
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `msg` to one worker (with [`Routing::Broadcast`], a copy to
    /// each). When there is no room it waits or refuses, per [`Overflow`].
    pub async fn tell<M: Message>(&self, msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        match self.shared.routing {
            Routing::Broadcast => self.broadcast_copied(msg).await,
            Routing::Balancing => self.to_shared(msg).await,
            _ => self.tell_routed(msg).await,
        }
    }

    /// Sends `msg` to one worker and waits for its reply. A worker that
    /// fails while handling it gives [`PoolError::Ask`]. (Not offered by a
    /// broadcast pool: which reply would it be?)
    pub async fn ask<M: Message>(&self, msg: M) -> Result<M::Reply, PoolError<M>>
    where
        W: Handler<M>,
    {
        match self.shared.routing {
            Routing::Broadcast => Err(PoolError::AskBroadcast(msg)),
            // Like a routed ask, it waits for room whatever the overflow.
            Routing::Balancing => match &self.shared.shared_jobs {
                Some(jobs) => jobs.ask(msg).await.map_err(PoolError::Ask),
                None => Err(PoolError::Closed(msg)),
            },
            _ => loop {
                let slot = match self.pick(&msg) {
                    Ok(slot) => slot,
                    Err(e) => return Err(e.with(msg)),
                };
                // Held until the reply: a shrink waits for this ask.
                if let Some(_claim) = slot.claim() {
                    return slot.addr.ask(msg).await.map_err(PoolError::Ask);
                }
            },
        }
    }

    /// Sends a copy of `msg` to every worker, whatever the routing.
    pub async fn broadcast<M: Message + Clone>(&self, msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        for addr in self.workers() {
            addr.tell(msg.clone())
                .await
                .map_err(|e| PoolError::Closed(e.0))?;
        }
        Ok(())
    }

    async fn broadcast_copied<M: Message>(&self, msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        if self.registry().copy_of(&msg).is_none() {
            return Err(PoolError::NoCopy(msg));
        }
        let workers = self.workers();
        let Some((last, rest)) = workers.split_last() else {
            return Err(PoolError::Closed(msg));
        };
        for addr in rest {
            let copy = self.registry().copy_of(&msg);
            if let Some(copy) = copy {
                addr.tell(copy).await.map_err(|e| PoolError::Closed(e.0))?;
            }
        }
        last.tell(msg).await.map_err(|e| PoolError::Closed(e.0))
    }

    /// Routed tell: the chosen worker if it has room, else (except for
    /// consistent hashing) any other with room, else wait or refuse.
    async fn tell_routed<M: Message>(&self, mut msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        loop {
            let (slot, back) = match self.try_route(msg) {
                Ok(()) => return Ok(()),
                Err(Refused::Pick(e)) => return Err(e),
                Err(Refused::Gone(slot, back)) => {
                    msg = self.reroute(&slot, back)?;
                    continue;
                }
                Err(Refused::Full(slot, back)) => (slot, back),
            };
            if self.shared.overflow != Overflow::Backpressure {
                self.shared.discarded.fetch_add(1, Ordering::Relaxed);
                return Err(PoolError::Full(back));
            }
            // Backpressure: wait for room at the chosen worker.
            let Some(claim) = slot.claim() else {
                msg = back; // it left the pool meanwhile: route again
                continue;
            };
            let sent = slot.addr.tell(back).await;
            drop(claim);
            match sent {
                Ok(()) => return Ok(()),
                Err(e) => msg = self.reroute(&slot, e.0)?,
            }
        }
    }

    /// A message that did not reach `slot`'s worker: route it again if the
    /// slot left the table meanwhile (a shrink, a rebuild), else the
    /// worker is stopped for good (the pool's supervisor gave up).
    pub(super) fn reroute<M>(&self, slot: &Slot<W>, msg: M) -> Result<M, PoolError<M>> {
        let slots = self.slots();
        let replaced = !slots.iter().any(|s| s.addr.id() == slot.addr.id());
        if replaced && !slots.is_empty() {
            Ok(msg)
        } else {
            Err(PoolError::Closed(msg))
        }
    }

    /// Chooses the slot for `msg` (nothing is sent yet).
    pub(super) fn pick<M: Message>(&self, msg: &M) -> Result<Slot<W>, PoolError<()>> {
        let slots = self.slots();
        let at = self.pick_at(&slots, msg)?;
        Ok(slots[at].clone())
    }

    /// Where in `slots` routing puts `msg`.
    fn pick_at<M: Message>(&self, slots: &[Slot<W>], msg: &M) -> Result<usize, PoolError<()>> {
        let n = slots.len();
        if n == 0 {
            return Err(PoolError::Closed(()));
        }
        Ok(match self.shared.routing {
            Routing::Random => fastrand::usize(..n),
            Routing::SmallestMailbox => (0..n)
                .min_by_key(|&i| slots[i].addr.mailbox_len())
                .unwrap_or(0),
            Routing::ConsistentHash => {
                let key = self.registry().key_of(msg).ok_or(PoolError::NoKey(()))?;
                let ring = self.shared.ring.read().unwrap_or_else(|e| e.into_inner());
                let owner = ring.owner(key).ok_or(PoolError::Closed(()))?;
                slots.iter().position(|s| s.id == owner).unwrap_or(0)
            }
            _ => self.shared.next.fetch_add(1, Ordering::Relaxed) % n,
        })
    }

    /// Routes `msg` without waiting: to the worker routing picks, or
    /// (except for consistent hashing) to any other with room. Works under
    /// the table's read lock and copies the picked slot only on failure.
    pub(super) fn try_route<M: Message>(&self, msg: M) -> Result<(), Refused<W, M>>
    where
        W: Handler<M>,
    {
        let slots = self.slots();
        let at = match self.pick_at(&slots, &msg) {
            Ok(at) => at,
            Err(e) => return Err(Refused::Pick(e.with(msg))),
        };
        let slot = &slots[at];
        let mut msg = match push(slot, msg) {
            Pushed::Done => return Ok(()),
            Pushed::Full(m) => m,
            Pushed::Gone(m) => return Err(Refused::Gone(slot.clone(), m)),
        };
        if self.shared.routing != Routing::ConsistentHash {
            for other in slots.iter().filter(|o| o.id != slot.id) {
                msg = match push(other, msg) {
                    Pushed::Done => return Ok(()),
                    Pushed::Full(m) | Pushed::Gone(m) => m,
                };
            }
        }
        Err(Refused::Full(slot.clone(), msg))
    }

    /// Balancing: into the shared mailbox, per the overflow policy.
    async fn to_shared<M: Message>(&self, msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        let Some(jobs) = &self.shared.shared_jobs else {
            return Err(PoolError::Closed(msg));
        };
        let mut msg = match jobs.try_tell(msg) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Closed(msg)) => return Err(PoolError::Closed(msg)),
            Err(TrySendError::Full(msg)) => msg,
        };
        match self.shared.overflow {
            Overflow::Backpressure => jobs.tell(msg).await.map_err(|e| PoolError::Closed(e.0)),
            Overflow::DropNewest => {
                self.shared.discarded.fetch_add(1, Ordering::Relaxed);
                Err(PoolError::Full(msg))
            }
            Overflow::DropOldest => loop {
                if jobs.drop_oldest() {
                    self.shared.discarded.fetch_add(1, Ordering::Relaxed);
                }
                msg = match jobs.try_tell(msg) {
                    Ok(()) => return Ok(()),
                    Err(TrySendError::Full(msg)) => msg,
                    Err(TrySendError::Closed(msg)) => return Err(PoolError::Closed(msg)),
                };
            },
        }
    }
}

/// A routed message that did not go out without waiting.
pub(super) enum Refused<W: Actor, M> {
    /// Routing refused it (no worker, no key).
    Pick(PoolError<M>),
    /// No room at the picked worker (nor at any other it may go to).
    Full(Slot<W>, M),
    /// The picked worker's mailbox is closed.
    Gone(Slot<W>, M),
}

/// What one non-waiting push to a slot did.
enum Pushed<M> {
    Done,
    Full(M),
    Gone(M),
}

fn push<W: Handler<M>, M: Message>(slot: &Slot<W>, msg: M) -> Pushed<M> {
    let Some(_claim) = slot.claim() else {
        return Pushed::Gone(msg);
    };
    match slot.addr.try_tell(msg) {
        Ok(()) => Pushed::Done,
        Err(TrySendError::Full(m)) => Pushed::Full(m),
        Err(TrySendError::Closed(m)) => Pushed::Gone(m),
    }
}
