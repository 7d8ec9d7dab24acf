//! [`PoolBuilder`]: a pool's factory, size, routing and supervision, and
//! the two ways to start one: on its own ([`PoolBuilder::spawn`]) or as a
//! child of a supervision tree ([`PoolBuilder::child_spec`]).
//!
//! Invariants:
//! - Either way the workers are permanent children of the pool's own
//!   supervisor, one slot each, and their addresses exist before they run
//!   (messages sent early wait for the first instance).
//! - As a child of a tree, the pool's supervisor may itself be restarted by
//!   its parent: the restarted supervisor gets fresh workers for the same
//!   slots (same ids, so consistent hashing keeps its keys); messages
//!   still queued at the old workers are dropped (their askers get an
//!   error) and feeders are restarted for the fresh workers.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use super::keys::Registry;
use super::pool::{Pool, Shared};
use super::ring::Ring;
use super::slot::{Factory, FeedFn, Slot, lock};
use super::{Overflow, PoolError, Routing};
use crate::supervisor::{ChildSpec, Flags, Supervisor};
use crate::{Actor, Addr, Capacity, Message, SharedMailbox};

/// Builds a [`Pool`]: the worker factory, size and routing.
pub struct PoolBuilder<W: Actor> {
    factory: Factory<W>,
    size: usize,
    routing: Routing,
    overflow: Overflow,
    flags: Flags,
    capacity: Option<Capacity>,
    shared_capacity: usize,
    registry: Registry,
}

impl<W: Actor> PoolBuilder<W> {
    pub(super) fn new(factory: Factory<W>) -> Self {
        PoolBuilder {
            factory,
            size: 4,
            routing: Routing::default(),
            overflow: Overflow::default(),
            flags: Flags::default(),
            capacity: None,
            shared_capacity: 256,
            registry: Registry::default(),
        }
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

    /// The key of messages of type `M` for [`Routing::ConsistentHash`]
    /// (also settable later: [`Pool::set_key`]).
    pub fn key<M: Message, K: std::hash::Hash>(
        mut self,
        key: impl Fn(&M) -> K + Send + Sync + 'static,
    ) -> Self {
        self.registry.add_key(key);
        self
    }

    /// Lets [`Routing::Broadcast`] copy messages of type `M` on `tell`
    /// (also settable later: [`Pool::set_copy`]).
    pub fn copy<M: Message + Clone>(mut self) -> Self {
        self.registry.add_copy::<M>();
        self
    }

    /// Starts the pool's supervisor and the workers, on their own (not in
    /// a supervision tree; see [`child_spec`](Self::child_spec) for that).
    pub async fn spawn(self) -> Result<Pool<W>, PoolError<()>> {
        let size = self.size;
        let sup = Supervisor::with_flags(self.flags.clone()).spawn().await?;
        let shared = self.into_shared(sup.addr().clone());
        shared.started.store(true, Ordering::SeqCst);
        let pool = Pool::from_shared(Arc::new(shared));
        pool.grow(size).await?;
        Ok(pool)
    }

    /// The pool as a child of a supervision tree: the spec of the pool's
    /// supervisor (id `id`, its workers as children) and the pool's handle,
    /// usable at once (messages wait until the tree starts). In
    /// [`tree`](crate::supervisor::System::tree) snapshots the pool is a
    /// supervisor with one child per worker (`worker-0`, `worker-1`, ...).
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    /// use retinue::pool::{Pool, Routing};
    /// use retinue::supervisor::{Strategy, Supervisor};
    ///
    /// struct Echo;
    /// impl Actor for Echo {}
    /// struct Say(u32);
    /// impl Message for Say { type Reply = u32; }
    /// impl Handler<Say> for Echo {
    ///     async fn handle(&mut self, say: Say, _: &mut Context<Self>) -> u32 { say.0 }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let (spec, pool) = Pool::builder(|| Echo).size(2).routing(Routing::Random).child_spec("echoes").unwrap();
    /// let root = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
    /// assert_eq!(pool.ask(Say(5)).await.unwrap(), 5);
    /// let tree = root.tree("root").await.unwrap();
    /// assert!(tree.find("echoes/worker-1").is_some());
    /// root.shutdown().await;
    /// # });
    /// ```
    pub fn child_spec(self, id: impl Into<String>) -> Result<(ChildSpec, Pool<W>), PoolError<()>> {
        let size = self.size;
        let flags = self.flags.clone();
        let first: Arc<Mutex<Option<Vec<ChildSpec>>>> = Arc::default();
        let cell: Arc<OnceLock<Arc<Shared<W>>>> = Arc::default();
        let spec = ChildSpec::supervisor(id, {
            let (first, cell) = (first.clone(), cell.clone());
            move || {
                if let Some(shared) = cell.get() {
                    shared.started.store(true, Ordering::SeqCst);
                }
                let specs = lock(&first).take().unwrap_or_else(|| match cell.get() {
                    Some(shared) => shared.rebuild(),
                    None => Vec::new(),
                });
                specs
                    .into_iter()
                    .fold(Supervisor::with_flags(flags.clone()), Supervisor::child)
            }
        });
        let sup = spec.addr::<Supervisor>().ok_or(PoolError::Closed(()))?;
        let shared = Arc::new(self.into_shared(sup));
        let mut specs = Vec::with_capacity(size);
        for _ in 0..size {
            let (child, slot) = shared.new_slot()?;
            shared.add_slot(slot);
            specs.push(child);
        }
        *lock(&first) = Some(specs);
        let _ = cell.set(shared.clone());
        Ok((spec, Pool::from_shared(shared)))
    }

    fn into_shared(self, sup: Addr<Supervisor>) -> Shared<W> {
        let shared_jobs = (self.routing == Routing::Balancing)
            .then(|| SharedMailbox::new(Capacity::Bounded(self.shared_capacity)));
        Shared {
            routing: self.routing,
            overflow: self.overflow,
            sup,
            started: AtomicBool::new(false),
            factory: self.factory,
            capacity: self.capacity,
            slots: RwLock::new(Vec::new()),
            ring: RwLock::new(Ring::default()),
            next: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            shared_jobs,
            registry: RwLock::new(self.registry),
            discarded: AtomicU64::new(0),
            resizing: async_channel::bounded(1),
            feeds: Mutex::new(Vec::new()),
        }
    }
}

impl<W: Actor> Shared<W> {
    /// A new slot (with a fresh id) and its child spec; not yet routed to.
    pub(super) fn new_slot(&self) -> Result<(ChildSpec, Slot<W>), PoolError<()>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Slot::new(id, self)
    }

    /// Starts the slot's feeders, then puts it in the ring and the table.
    pub(super) fn add_slot(&self, slot: Slot<W>) {
        for feed in lock(&self.feeds).iter() {
            slot.feed(feed);
        }
        self.ring
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add(slot.id);
        self.slots
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(slot);
    }

    /// The pool's supervisor is being restarted by its parent: fresh
    /// workers (and feeders) for the same slots, and their specs. (The
    /// shared mailbox, if any, is the pool's: what waits there stays.)
    fn rebuild(&self) -> Vec<ChildSpec> {
        let feeds: Vec<FeedFn<W>> = lock(&self.feeds).clone();
        let mut slots = self.slots.write().unwrap_or_else(|e| e.into_inner());
        let mut specs = Vec::with_capacity(slots.len());
        for slot in slots.iter_mut() {
            // The old feeders stop between messages; their tasks run out.
            drop(slot.retire_feeders());
            let Ok((spec, fresh)) = Slot::new(slot.id, self) else {
                continue;
            };
            for feed in &feeds {
                fresh.feed(feed);
            }
            *slot = fresh;
            specs.push(spec);
        }
        specs
    }
}
