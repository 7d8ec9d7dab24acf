//! A pool's worker slot: one supervised worker (its child spec and stable
//! address), the feeders that pull work into it, and the claim that lets
//! a shrink wait for pushes in progress.
//!
//! Invariants:
//! - A slot's id never changes while it lives (consistent hashing keys on
//!   it); a worker restarted by the pool's supervisor keeps its slot.
//! - A claim is taken before a push and checked against `live` after it:
//!   shrink clears `live`, then looks at the count, so one of the two sees
//!   the other and no push lands in a drained slot.
//! - Closing `retire` stops the slot's feeders between two messages.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_channel::{Receiver, Sender};

use super::PoolError;
use super::pool::Shared;
use crate::supervisor::ChildSpec;
use crate::{Actor, Addr, rt};

/// Builds a worker (at its start and on every restart).
pub(super) type Factory<W> = Arc<dyn Fn() -> W + Send + Sync>;

/// Starts the feeders of one slot (an acknowledged feed).
pub(super) type FeedFn<W> = Arc<dyn Fn(&Slot<W>) -> Vec<rt::JoinHandle<()>> + Send + Sync>;

pub(super) struct Slot<W: Actor> {
    pub(super) id: u64,
    pub(super) child: Arc<str>,
    pub(super) addr: Addr<W>,
    /// Closing it retires the slot's feeders (between two messages).
    pub(super) retire: Sender<()>,
    pub(super) retire_rx: Receiver<()>,
    pub(super) feeders: Arc<Mutex<Vec<rt::JoinHandle<()>>>>,
    /// Tells routed to this slot and not yet pushed (so shrink waits).
    pub(super) sending: Arc<AtomicUsize>,
    /// Cleared by shrink before it drains the slot.
    pub(super) live: Arc<AtomicBool>,
}

/// A claim on a live slot: while held, shrink waits before draining it.
pub(super) struct Claim<'a>(&'a AtomicUsize);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<W: Actor> Slot<W> {
    /// A slot for worker `id` and the child spec that runs it (not started).
    pub(super) fn new(id: u64, pool: &Shared<W>) -> Result<(ChildSpec, Slot<W>), PoolError<()>> {
        let child: Arc<str> = format!("worker-{id}").into();
        let factory = pool.factory.clone();
        let mut spec = match &pool.shared_jobs {
            Some(jobs) => ChildSpec::worker_sharing(child.to_string(), jobs, move || factory()),
            None => ChildSpec::worker(child.to_string(), move || factory()),
        };
        if let Some(capacity) = pool.capacity {
            spec = spec.capacity(capacity);
        }
        let addr = spec.addr::<W>().ok_or(PoolError::Closed(()))?;
        let (retire, retire_rx) = async_channel::bounded(1);
        let slot = Slot {
            id,
            child,
            addr,
            retire,
            retire_rx,
            feeders: Arc::default(),
            sending: Arc::default(),
            live: Arc::new(AtomicBool::new(true)),
        };
        Ok((spec, slot))
    }

    /// Claims the slot for one push, unless shrink already took it out.
    /// (Increment, then look; shrink clears `live`, then looks at the
    /// count: one of the two sees the other.)
    pub(super) fn claim(&self) -> Option<Claim<'_>> {
        self.sending.fetch_add(1, Ordering::SeqCst);
        let claim = Claim(&self.sending);
        self.live.load(Ordering::SeqCst).then_some(claim)
    }

    /// Starts `feed`'s feeders for this slot.
    pub(super) fn feed(&self, feed: &FeedFn<W>) {
        let tasks = feed(self);
        lock(&self.feeders).extend(tasks);
    }

    /// Retires the feeders and hands back their tasks (to await or abort).
    pub(super) fn retire_feeders(&self) -> Vec<rt::JoinHandle<()>> {
        self.retire.close();
        std::mem::take(&mut *lock(&self.feeders))
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

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
