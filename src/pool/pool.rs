//! [`Pool`]: N supervised workers from one factory behind one address.
//!
//! Invariants:
//! - Workers are permanent children of the pool's own supervisor, so each
//!   keeps its address (and its mailbox) across restarts: a crashed
//!   worker's queued messages are handled by its restarted instance, not
//!   rerouted; only the message it was handling is lost (at-most-once),
//!   unless the pool is fed from an acknowledged source (then it is
//!   redelivered).
//! - A slot's id never changes while it lives, which keeps consistent
//!   hashing stable across restarts.
//! - A slot leaves the routing table before it is drained: once `shrink`
//!   removed it, no new message is routed to it; `shrink` returns after the
//!   messages already sent to it were handled and the worker stopped.
//! - Resizes are serialized (one at a time).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use async_channel::{Receiver, Sender};

use super::feeder::{AskJob, BoxJob, TellJob, pull, pull_acked};
use super::keys::Registry;
use super::ring::Ring;
use super::{Overflow, PoolError, PoolStats, Routing};
use crate::supervisor::{ChildSpec, Flags, Supervisor, SupervisorError, SupervisorRef, TreeNode};
use crate::sync::AckSource;
use crate::{Actor, Addr, Capacity, Handler, Message, ReplyTo, TrySendError, rt};

/// Builds a [`Pool`]: the worker factory, size and routing.
pub struct PoolBuilder<W: Actor> {
    factory: Arc<dyn Fn() -> W + Send + Sync>,
    size: usize,
    routing: Routing,
    overflow: Overflow,
    flags: Flags,
    capacity: Option<Capacity>,
    shared_capacity: usize,
    prefetch: usize,
    registry: Registry,
}

impl<W: Actor> PoolBuilder<W> {
    /// Balancing: how many messages each worker may hold at once (default
    /// 1: a worker takes the next one only when it is free). 2 hides the
    /// hand-over latency (a worker's next message is already waiting when
    /// it finishes) at the price of one message that could wait behind a
    /// slow one.
    pub fn prefetch(mut self, n: usize) -> Self {
        self.prefetch = n.max(1);
        self
    }

    /// How many workers to start (default 4; at least 1).
    pub fn size(mut self, size: usize) -> Self {
        self.size = size.max(1);
        self
    }

    /// How messages are routed (default round-robin).
    pub fn routing(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self
    }

    /// What `tell` does when there is no room (default backpressure).
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The supervisor flags for the workers (default one-for-one, 3
    /// restarts in 5 s; beyond that the pool's supervisor gives up).
    pub fn flags(mut self, flags: Flags) -> Self {
        self.flags = flags;
        self
    }

    /// Each worker's mailbox capacity (default: the worker type's own).
    pub fn capacity(mut self, capacity: Capacity) -> Self {
        self.capacity = Some(capacity);
        self
    }

    /// Balancing: how many messages the shared mailbox holds (default 256).
    pub fn shared_capacity(mut self, n: usize) -> Self {
        self.shared_capacity = n.max(1);
        self
    }

    /// The key of messages of type `M` for [`Routing::ConsistentHash`].
    pub fn key<M: Message, K: std::hash::Hash>(
        mut self,
        key: impl Fn(&M) -> K + Send + Sync + 'static,
    ) -> Self {
        self.registry.add_key(key);
        self
    }

    /// Lets [`Routing::Broadcast`] copy messages of type `M` on `tell`.
    pub fn copy<M: Message + Clone>(mut self) -> Self {
        self.registry.add_copy::<M>();
        self
    }

    /// Starts the supervisor and the workers.
    pub async fn spawn(self) -> Result<Pool<W>, PoolError<()>> {
        let sup = Supervisor::with_flags(self.flags).spawn().await?;
        let shared_jobs = (self.routing == Routing::Balancing)
            .then(|| async_channel::bounded(self.shared_capacity));
        let pool = Pool {
            shared: Arc::new(Shared {
                routing: self.routing,
                overflow: self.overflow,
                sup,
                factory: self.factory,
                capacity: self.capacity,
                slots: RwLock::new(Vec::new()),
                ring: RwLock::new(Ring::default()),
                next: AtomicUsize::new(0),
                next_id: AtomicU64::new(0),
                shared_jobs,
                prefetch: self.prefetch,
                registry: self.registry,
                discarded: AtomicU64::new(0),
                resizing: async_channel::bounded(1),
            }),
        };
        pool.grow(self.size).await?;
        Ok(pool)
    }
}

struct Slot<W: Actor> {
    id: u64,
    child: String,
    addr: Addr<W>,
    /// Closing it retires the slot's feeders (between two messages).
    retire: Sender<()>,
    retire_rx: Receiver<()>,
    feeders: Arc<Mutex<Vec<rt::JoinHandle<()>>>>,
    /// Tells routed to this slot and not yet pushed (so shrink waits).
    sending: Arc<AtomicUsize>,
    /// Cleared by shrink before it drains the slot.
    live: Arc<AtomicBool>,
}

/// A claim on a live slot: while held, shrink waits before draining it.
struct Claim<'a>(&'a AtomicUsize);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<W: Actor> Slot<W> {
    /// Claims the slot for one push, unless shrink already took it out.
    /// (Increment, then look; shrink clears `live`, then looks at the
    /// count: one of the two sees the other.)
    fn claim(&self) -> Option<Claim<'_>> {
        self.sending.fetch_add(1, Ordering::SeqCst);
        let claim = Claim(&self.sending);
        self.live.load(Ordering::SeqCst).then_some(claim)
    }
}

impl<W: Actor> Clone for Slot<W> {
    fn clone(&self) -> Self {
        Slot {
            id: self.id,
            child: self.child.clone(),
            addr: self.addr.clone(),
            retire: self.retire.clone(),
            retire_rx: self.retire_rx.clone(),
            feeders: self.feeders.clone(),
            sending: self.sending.clone(),
            live: self.live.clone(),
        }
    }
}

/// The balancing pool's shared mailbox.
type JobChannel<W> = (Sender<BoxJob<W>>, Receiver<BoxJob<W>>);

struct Shared<W: Actor> {
    routing: Routing,
    overflow: Overflow,
    sup: SupervisorRef,
    factory: Arc<dyn Fn() -> W + Send + Sync>,
    capacity: Option<Capacity>,
    slots: RwLock<Vec<Slot<W>>>,
    ring: RwLock<Ring>,
    next: AtomicUsize,
    next_id: AtomicU64,
    shared_jobs: Option<JobChannel<W>>,
    prefetch: usize,
    registry: Registry,
    discarded: AtomicU64,
    /// A one-place channel used as an async mutex for resizes.
    resizing: (Sender<()>, Receiver<()>),
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
        PoolBuilder {
            factory: Arc::new(factory),
            size: 4,
            routing: Routing::default(),
            overflow: Overflow::default(),
            flags: Flags::default(),
            capacity: None,
            shared_capacity: 256,
            prefetch: 1,
            registry: Registry::default(),
        }
    }

    fn slots(&self) -> RwLockReadGuard<'_, Vec<Slot<W>>> {
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
                Some((tx, _)) => tx.len(),
                None => slots.iter().map(|s| s.addr.mailbox_len()).sum(),
            },
        }
    }

    /// The pool's supervisor (its children are the workers).
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.shared.sup
    }

    /// A snapshot of the pool's supervision tree, its workers as children.
    pub async fn tree(&self, name: &str) -> Result<TreeNode, SupervisorError> {
        self.shared.sup.tree(name).await
    }

    /// Sends `msg` to one worker (with [`Routing::Broadcast`], a copy to
    /// each). When there is no room it waits or refuses, per [`Overflow`].
    pub async fn tell<M: Message>(&self, msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        match self.shared.routing {
            Routing::Broadcast => self.broadcast_copied(msg).await,
            Routing::Balancing => self.to_shared(Box::new(TellJob(msg))).await,
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
            Routing::Balancing => {
                let (port, reply) = ReplyTo::pair();
                self.to_shared(Box::new(AskJob(msg, port))).await?;
                reply.await.map_err(PoolError::Ask)?.map_err(PoolError::Ask)
            }
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
        if self.shared.registry.copy_of(&msg).is_none() {
            return Err(PoolError::NoCopy(msg));
        }
        let workers = self.workers();
        let Some((last, rest)) = workers.split_last() else {
            return Err(PoolError::Closed(msg));
        };
        for addr in rest {
            if let Some(copy) = self.shared.registry.copy_of(&msg) {
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
            let slot = match self.pick(&msg) {
                Ok(slot) => slot,
                Err(e) => return Err(e.with(msg)),
            };
            let sent = self.send_to(&slot, msg).await;
            match sent {
                Ok(()) => return Ok(()),
                // The worker left the pool (shrink) meanwhile: route again.
                Err(Unsent::Gone(back)) if self.size() > 0 => msg = back,
                Err(Unsent::Gone(back)) => return Err(PoolError::Closed(back)),
                Err(Unsent::Full(back)) => {
                    self.shared.discarded.fetch_add(1, Ordering::Relaxed);
                    return Err(PoolError::Full(back));
                }
            }
        }
    }

    /// Chooses the slot for `msg` (nothing is sent yet).
    fn pick<M: Message>(&self, msg: &M) -> Result<Slot<W>, PoolError<()>> {
        let slots = self.slots();
        let n = slots.len();
        if n == 0 {
            return Err(PoolError::Closed(()));
        }
        let at = match self.shared.routing {
            Routing::Random => fastrand::usize(..n),
            Routing::SmallestMailbox => (0..n)
                .min_by_key(|&i| slots[i].addr.mailbox_len())
                .unwrap_or(0),
            Routing::ConsistentHash => {
                let key = self
                    .shared
                    .registry
                    .key_of(msg)
                    .ok_or(PoolError::NoKey(()))?;
                let ring = self.shared.ring.read().unwrap_or_else(|e| e.into_inner());
                let owner = ring.owner(key).ok_or(PoolError::Closed(()))?;
                slots.iter().position(|s| s.id == owner).unwrap_or(0)
            }
            _ => self.shared.next.fetch_add(1, Ordering::Relaxed) % n,
        };
        Ok(slots[at].clone())
    }

    async fn send_to<M: Message>(&self, slot: &Slot<W>, msg: M) -> Result<(), Unsent<M>>
    where
        W: Handler<M>,
    {
        let Some(claim) = slot.claim() else {
            return Err(Unsent::Gone(msg));
        };
        let mut msg = match slot.addr.try_tell(msg) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(m)) => m,
            Err(TrySendError::Closed(m)) => return Err(Unsent::Gone(m)),
        };
        if self.shared.routing != Routing::ConsistentHash {
            let others: Vec<Slot<W>> = self.slots().clone();
            for other in others.iter().filter(|o| o.id != slot.id) {
                let Some(_claim) = other.claim() else {
                    continue;
                };
                msg = match other.addr.try_tell(msg) {
                    Ok(()) => return Ok(()),
                    Err(TrySendError::Full(m) | TrySendError::Closed(m)) => m,
                };
            }
        }
        if self.shared.overflow != Overflow::Backpressure {
            return Err(Unsent::Full(msg));
        }
        let sent = slot.addr.tell(msg).await.map_err(|e| Unsent::Gone(e.0));
        drop(claim);
        sent
    }

    /// Balancing: into the shared mailbox, per the overflow policy.
    async fn to_shared<M: Message>(&self, job: BoxJob<W>) -> Result<(), PoolError<M>> {
        let Some((tx, rx)) = &self.shared.shared_jobs else {
            return Err(PoolError::Closed(back::<M, W>(job)));
        };
        let mut job = match tx.try_send(job) {
            Ok(()) => return Ok(()),
            Err(async_channel::TrySendError::Closed(job)) => {
                return Err(PoolError::Closed(back::<M, W>(job)));
            }
            Err(async_channel::TrySendError::Full(job)) => job,
        };
        match self.shared.overflow {
            Overflow::Backpressure => tx
                .send(job)
                .await
                .map_err(|e| PoolError::Closed(back::<M, W>(e.0))),
            Overflow::DropNewest => {
                self.shared.discarded.fetch_add(1, Ordering::Relaxed);
                Err(PoolError::Full(back::<M, W>(job)))
            }
            Overflow::DropOldest => loop {
                if rx.try_recv().is_ok() {
                    self.shared.discarded.fetch_add(1, Ordering::Relaxed);
                }
                job = match tx.try_send(job) {
                    Ok(()) => return Ok(()),
                    Err(async_channel::TrySendError::Full(j)) => j,
                    Err(async_channel::TrySendError::Closed(j)) => {
                        return Err(PoolError::Closed(back::<M, W>(j)));
                    }
                };
            },
        }
    }

    /// Feeds every worker from an acknowledged source (e.g. a
    /// [`Queue`](crate::sync::Queue) via `get_delivery`), `prefetch`
    /// deliveries in flight per worker (at least 1; 1 is the usual choice).
    /// A delivery is acked after its worker handled it; if the worker fails
    /// on it, it is nacked and redelivered; so a crash loses nothing and
    /// redelivers at most the deliveries in flight. Workers added later by
    /// [`resize`](Self::resize) are not fed (call this again for them).
    pub fn feed_from<S>(&self, source: S, prefetch: usize)
    where
        S: AckSource,
        S::Item: Message + Clone,
        W: Handler<S::Item>,
    {
        for slot in self.slots().iter() {
            let mut feeders = lock(&slot.feeders);
            for _ in 0..prefetch.max(1) {
                let task = pull_acked(slot.addr.clone(), source.clone(), slot.retire_rx.clone());
                feeders.push(rt::spawn(task));
            }
        }
    }

    /// Grows or shrinks the pool to `size` workers (at least 1). Shrinking
    /// takes the newest workers out of routing first, then waits until each
    /// has handled every message already sent to it (and its in-flight
    /// one), then stops it: nothing is lost.
    pub async fn resize(&self, size: usize) -> Result<(), PoolError<()>> {
        let size = size.max(1);
        let _turn = self.turn().await;
        let now = self.size();
        if size > now {
            self.grow_unlocked(size - now).await
        } else {
            for _ in size..now {
                self.shrink_one().await?;
            }
            Ok(())
        }
    }

    async fn grow(&self, n: usize) -> Result<(), PoolError<()>> {
        let _turn = self.turn().await;
        self.grow_unlocked(n).await
    }

    async fn grow_unlocked(&self, n: usize) -> Result<(), PoolError<()>> {
        for _ in 0..n {
            let slot = self.start_slot().await?;
            if let Some((_, rx)) = &self.shared.shared_jobs {
                let mut feeders = lock(&slot.feeders);
                for _ in 0..self.shared.prefetch {
                    let task = pull(slot.addr.clone(), rx.clone(), slot.retire_rx.clone());
                    feeders.push(rt::spawn(task));
                }
            }
            self.shared
                .ring
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .add(slot.id);
            self.shared
                .slots
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .push(slot);
        }
        Ok(())
    }

    async fn start_slot(&self) -> Result<Slot<W>, PoolError<()>> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let child = format!("worker-{id}");
        let factory = self.shared.factory.clone();
        let mut spec = ChildSpec::worker(child.clone(), move || factory());
        if let Some(capacity) = self.shared.capacity {
            spec = spec.capacity(capacity);
        }
        let addr = spec.addr::<W>().ok_or(PoolError::Closed(()))?;
        self.shared.sup.start_child(spec).await?;
        let (retire, retire_rx) = async_channel::bounded(1);
        Ok(Slot {
            id,
            child,
            addr,
            retire,
            retire_rx,
            feeders: Arc::default(),
            sending: Arc::default(),
            live: Arc::new(AtomicBool::new(true)),
        })
    }

    /// Takes the newest worker out of routing, lets it finish what it was
    /// sent, then stops it.
    async fn shrink_one(&self) -> Result<(), PoolError<()>> {
        let slot = {
            let mut slots = self.shared.slots.write().unwrap_or_else(|e| e.into_inner());
            if slots.len() <= 1 {
                return Ok(());
            }
            match slots.pop() {
                Some(slot) => slot,
                None => return Ok(()),
            }
        };
        self.shared
            .ring
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(slot.id);
        self.drain(&slot).await;
        self.shared.sup.terminate_child(&slot.child).await?;
        match self.shared.sup.delete_child(&slot.child).await {
            Ok(()) | Err(SupervisorError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits until `slot`'s feeders stopped and its mailbox is empty (the
    /// in-flight message, if any, then finishes before the stop is seen:
    /// a stop is served between two messages).
    async fn drain(&self, slot: &Slot<W>) {
        slot.live.store(false, Ordering::SeqCst);
        slot.retire.close();
        let feeders = std::mem::take(&mut *lock(&slot.feeders));
        for feeder in feeders {
            let _ = feeder.await;
        }
        while slot.sending.load(Ordering::SeqCst) > 0 || slot.addr.mailbox_len() > 0 {
            rt::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Stops feeding, then stops every worker and the pool's supervisor.
    /// Messages still queued are dropped (their askers get an error); call
    /// [`resize`](Self::resize) down or wait for your own completion signal
    /// first to finish them.
    pub async fn shutdown(&self) {
        let slots: Vec<_> = self.slots().clone();
        for slot in &slots {
            slot.retire.close();
            let feeders = std::mem::take(&mut *lock(&slot.feeders));
            for feeder in feeders {
                feeder.abort();
                let _ = feeder.await;
            }
        }
        if let Some((tx, _)) = &self.shared.shared_jobs {
            tx.close();
        }
        self.shared.sup.shutdown().await;
    }

    /// Waits for the resize turn (one resize at a time).
    async fn turn(&self) -> Turn<'_> {
        let _ = self.shared.resizing.0.send(()).await;
        Turn(&self.shared.resizing.1)
    }
}

/// Holds the resize turn; gives it back when dropped.
struct Turn<'a>(&'a Receiver<()>);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let _ = self.0.try_recv();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The message inside a job that could not be queued.
fn back<M: Message, W: Actor>(job: BoxJob<W>) -> M {
    match job.into_msg().downcast::<M>() {
        Ok(m) => *m,
        Err(_) => unreachable!("a job of this call carries an M"),
    }
}

/// A routed tell that did not go out.
enum Unsent<M> {
    /// No room (and the policy refuses to wait).
    Full(M),
    /// The worker is gone (it left the pool).
    Gone(M),
}
