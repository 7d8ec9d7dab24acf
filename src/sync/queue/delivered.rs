//! Self-returning deliveries: how an item travels from the queue actor to a
//! getter without ever being lost (see the module docs of `queue`).
//!
//! Invariant: a [`Delivered`] / [`DeliveredBatch`] owns its items until
//! `into_inner` hands them to the caller; if it is dropped first, it sends
//! them back to the front of their queue through the control lane, in their
//! original order. Nothing is ever cloned, so nothing is delivered twice.

use super::actor::QueueActor;
use super::messages::{GiveBack, GiveBackMany};
use super::store::Held;
use crate::WeakAddr;

/// An item on its way to a getter. If it is dropped before
/// [`into_inner`](Self::into_inner) — the getter gave up while it was in
/// flight — it sends itself back to the front of its queue through the
/// control lane (never waits, never refused while the queue lives).
pub struct Delivered<T: Send + 'static> {
    item: Option<Held<T>>,
    home: WeakAddr<QueueActor<T>>,
    epoch: u64,
}

impl<T: Send + 'static> Delivered<T> {
    pub(crate) fn new(item: Held<T>, home: WeakAddr<QueueActor<T>>, epoch: u64) -> Self {
        Delivered {
            item: Some(item),
            home,
            epoch,
        }
    }

    /// Takes the item; from here on it is the caller's.
    pub fn into_inner(mut self) -> T {
        match self.item.take() {
            Some((item, _)) => item,
            None => unreachable!("a Delivered holds its item until into_inner or drop"),
        }
    }

    /// Disarms it (the actor takes an unsent item back itself).
    pub(crate) fn take(&mut self) -> Option<Held<T>> {
        self.item.take()
    }
}

impl<T: Send + 'static> Drop for Delivered<T> {
    fn drop(&mut self) {
        if let Some(item) = self.item.take() {
            if let Some(addr) = self.home.upgrade() {
                let _ = addr.tell_urgent(GiveBack {
                    item,
                    epoch: self.epoch,
                });
            }
        }
    }
}

/// Several items on their way to one getter ([`get_many`]); returned to the
/// front of the queue, in order, if dropped before
/// [`into_inner`](Self::into_inner).
///
/// [`get_many`]: super::Queue::get_many
pub struct DeliveredBatch<T: Send + 'static> {
    items: Vec<Held<T>>,
    home: WeakAddr<QueueActor<T>>,
    epoch: u64,
}

impl<T: Send + 'static> DeliveredBatch<T> {
    pub(crate) fn new(items: Vec<Held<T>>, home: WeakAddr<QueueActor<T>>, epoch: u64) -> Self {
        DeliveredBatch { items, home, epoch }
    }

    /// Takes the items, in queue order; from here on they are the caller's.
    pub fn into_inner(mut self) -> Vec<T> {
        std::mem::take(&mut self.items)
            .into_iter()
            .map(|(item, _)| item)
            .collect()
    }

    /// Disarms it (the actor takes unsent items back itself).
    pub(crate) fn take(&mut self) -> Vec<Held<T>> {
        std::mem::take(&mut self.items)
    }
}

impl<T: Send + 'static> Drop for DeliveredBatch<T> {
    fn drop(&mut self) {
        let items = std::mem::take(&mut self.items);
        if !items.is_empty() {
            if let Some(addr) = self.home.upgrade() {
                let _ = addr.tell_urgent(GiveBackMany {
                    items,
                    epoch: self.epoch,
                });
            }
        }
    }
}
