//! Put permits: how a single `put` lands only in the putter's own poll.
//!
//! A put is two steps. The putter asks for room ([`Put`](super::Put) /
//! [`TryPut`](super::TryPut), carrying no item); when there is room the actor
//! *reserves* one slot and answers with a [`PutPermit`]. The putter's future,
//! in the very poll that receives the permit, commits its item through the
//! control lane (`tell_urgent`: never waits) and returns `Ok`.
//!
//! Invariants:
//! - The item never leaves the putter before `commit`, so a put whose
//!   future is dropped at any await point never happened: its item is
//!   dropped with the future, never stored, never delivered.
//! - A reserved slot is held by exactly one permit; a permit that is
//!   dropped unused (the future was dropped after the answer was stored but
//!   before it was polled) returns its slot (`Unreserve`, control lane);
//!   one the actor could not deliver is disarmed and returned at once.
//! - Commits and returns carry the instance's epoch: a permit granted by a
//!   previous instance (before a supervisor restart) does not touch this
//!   instance's reservations, and its item counts as a new one.

use super::actor::QueueActor;
use super::messages::{Commit, Unreserve};
use crate::WeakAddr;

/// One reserved slot in a bounded queue, on its way to a putter.
pub(crate) struct PutPermit<T: Send + 'static> {
    home: WeakAddr<QueueActor<T>>,
    epoch: u64,
    armed: bool,
}

impl<T: Send + 'static> PutPermit<T> {
    pub(crate) fn new(home: WeakAddr<QueueActor<T>>, epoch: u64) -> Self {
        PutPermit {
            home,
            epoch,
            armed: true,
        }
    }

    /// Stores `item` in the reserved slot; gives it back if the actor is gone.
    pub(crate) fn commit(mut self, item: T) -> Result<(), T> {
        self.armed = false;
        let epoch = self.epoch;
        match self.home.upgrade() {
            Some(addr) => addr
                .tell_urgent(Commit { item, epoch })
                .map_err(|e| e.0.item),
            None => Err(item),
        }
    }

    /// The actor could not deliver it and returns the slot itself.
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl<T: Send + 'static> Drop for PutPermit<T> {
    fn drop(&mut self) {
        if self.armed {
            if let Some(addr) = self.home.upgrade() {
                let _ = addr.tell_urgent(Unreserve { epoch: self.epoch });
            }
        }
    }
}
