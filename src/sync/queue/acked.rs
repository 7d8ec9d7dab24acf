//! Acknowledged (at-least-once) delivery from the local queue.
//!
//! [`Queue::get_delivery`](super::Queue::get_delivery) hands out a
//! [`QueueDelivery`]: it owns the item until it is settled.
//!
//! Invariants:
//! - `ack` sends `Ack` (control lane): the item counts as done (`join`).
//! - `nack`, or a drop unacked (a panic unwinding through the consumer, an
//!   aborted task), sends the item back to the FRONT of the queue
//!   (`Redeliver`, control lane: never waits, never refused while the queue
//!   lives) with its delivery count; it is still unfinished.
//! - A delivery that never reached its consumer (the get was cancelled
//!   while the answer was on its way) comes back without counting.
//! - An item that comes back after `max_deliveries` deliveries goes to the
//!   dead-letter queue (`DeadLetter`, control lane) and counts as done.
//!   With no dead-letter queue it is dropped, with a `tracing` warning.
//! - Epochs: an ack or a return for a previous instance (before a
//!   supervisor restart) does not touch this instance's count; a returned
//!   item is then accepted as a new one.

use std::fmt;

use super::actor::QueueActor;
use super::delivery::{Delivery, DeliveryError};
use super::handle::Queue;
use super::messages::{Ack, DeadLetter, GetDelivery, Redeliver};
use super::store::Held;
use super::waiters::Getter;
use crate::{Context, Handler, WeakAddr};

/// How an acknowledged queue redelivers and dead-letters.
///
/// ```
/// use retinue::sync::{AckOptions, Queue};
/// let dead = Queue::<String>::fifo(0);
/// let acks = AckOptions { max_deliveries: 3, dead_letter: Some(dead) };
/// let _jobs = Queue::acked(100, acks);
/// ```
pub struct AckOptions<T: Send + 'static> {
    /// Most deliveries of one item; when a delivery comes back unacked for
    /// the `max_deliveries`-th time the item is dead-lettered. `0` (the
    /// default) redelivers forever.
    pub max_deliveries: u32,
    /// Where dead letters go (`None`: dropped, with a warning).
    pub dead_letter: Option<Queue<T>>,
}

impl<T: Send + 'static> Default for AckOptions<T> {
    fn default() -> Self {
        AckOptions {
            max_deliveries: 0,
            dead_letter: None,
        }
    }
}

impl<T: Send + 'static> Clone for AckOptions<T> {
    fn clone(&self) -> Self {
        AckOptions {
            max_deliveries: self.max_deliveries,
            dead_letter: self.dead_letter.clone(),
        }
    }
}

impl<T: Send + 'static> fmt::Debug for AckOptions<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckOptions")
            .field("max_deliveries", &self.max_deliveries)
            .field("dead_letter", &self.dead_letter)
            .finish()
    }
}

/// An item from [`Queue::get_delivery`]: ack it when done; dropped unacked,
/// it goes back to the front of its queue (see the module docs).
///
/// ```
/// use retinue::sync::{Delivery, Queue};
///
/// # retinue::rt::block_on(async {
/// let queue = Queue::fifo(0);
/// queue.put("job").await.unwrap();
/// let first = queue.get_delivery().await.unwrap();
/// assert_eq!((*first.item(), first.delivery_count()), ("job", 1));
/// drop(first); // the worker crashed: the job comes back
/// let again = queue.get_delivery().await.unwrap();
/// assert_eq!(again.delivery_count(), 2);
/// again.ack().await.unwrap();
/// queue.join().await.unwrap(); // acked items are done
/// # });
/// ```
pub struct QueueDelivery<T: Send + 'static> {
    item: Option<T>,
    count: u32,
    received: bool,
    home: WeakAddr<QueueActor<T>>,
    epoch: u64,
}

impl<T: Send + 'static> QueueDelivery<T> {
    /// A delivery of an item handed out `before` times already.
    pub(crate) fn new(item: T, before: u32, home: WeakAddr<QueueActor<T>>, epoch: u64) -> Self {
        QueueDelivery {
            item: Some(item),
            count: before.saturating_add(1),
            received: false,
            home,
            epoch,
        }
    }

    /// The consumer has it (called in the poll that returns it).
    pub(crate) fn mark_received(&mut self) {
        self.received = true;
    }

    /// The actor could not deliver it and takes the item back itself.
    pub(crate) fn disarm(mut self) -> Option<Held<T>> {
        let before = self.count - 1;
        self.item.take().map(|item| (item, before))
    }

    /// The item, mutably (e.g. to record progress before a nack).
    pub fn item_mut(&mut self) -> &mut T {
        match self.item.as_mut() {
            Some(item) => item,
            None => unreachable!("a QueueDelivery holds its item until settled"),
        }
    }

    fn settle(&mut self, ack: bool) -> Result<(), DeliveryError> {
        let Some(item) = self.item.take() else {
            return Ok(());
        };
        let gone = || DeliveryError::Unavailable("the queue actor has stopped".into());
        let addr = self.home.upgrade().ok_or_else(gone)?;
        let epoch = self.epoch;
        let sent = if ack {
            drop(item);
            addr.tell_urgent(Ack { epoch }).map_err(|_| ())
        } else {
            let count = if self.received {
                self.count
            } else {
                self.count - 1
            };
            addr.tell_urgent(Redeliver { item, count, epoch })
                .map_err(|_| ())
        };
        sent.map_err(|()| gone())
    }
}

impl<T: Send + 'static> Delivery for QueueDelivery<T> {
    type Item = T;

    fn item(&self) -> &T {
        match self.item.as_ref() {
            Some(item) => item,
            None => unreachable!("a QueueDelivery holds its item until settled"),
        }
    }

    fn delivery_count(&self) -> u32 {
        self.count
    }

    async fn ack(mut self) -> Result<(), DeliveryError> {
        self.settle(true)
    }

    async fn nack(mut self) -> Result<(), DeliveryError> {
        self.settle(false)
    }
}

impl<T: Send + 'static> Drop for QueueDelivery<T> {
    fn drop(&mut self) {
        let _ = self.settle(false);
    }
}

impl<T: Send + 'static> fmt::Debug for QueueDelivery<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueDelivery")
            .field("delivery_count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> QueueActor<T> {
    /// Sets how acknowledged deliveries are redelivered and dead-lettered.
    pub fn acknowledged(mut self, acks: AckOptions<T>) -> Self {
        self.acks = acks;
        self
    }

    fn dead_letter(&mut self, item: T, count: u32) {
        match &self.acks.dead_letter {
            Some(dlq) => {
                if dlq.addr().tell_urgent(DeadLetter { item }).is_err() {
                    tracing::warn!(count, "dead-letter queue gone: an item was dropped");
                }
            }
            None => tracing::warn!(count, "item dropped after its last delivery"),
        }
    }
}

impl<T: Send + 'static> Handler<GetDelivery<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: GetDelivery<T>, ctx: &mut Context<Self>) {
        if !msg.port.is_closed() {
            self.push_getter(Getter::Acked(msg.port), ctx);
        }
    }
}

impl<T: Send + 'static> Handler<Ack> for QueueActor<T> {
    async fn handle(&mut self, msg: Ack, _: &mut Context<Self>) {
        if msg.epoch == self.epoch {
            self.finish(1);
        }
    }
}

impl<T: Send + 'static> Handler<Redeliver<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: Redeliver<T>, ctx: &mut Context<Self>) {
        let max = self.acks.max_deliveries;
        if max > 0 && msg.count >= max && !self.immediate {
            self.dead_letter(msg.item, msg.count);
            if msg.epoch == self.epoch {
                self.finish(1);
            }
            return;
        }
        self.give_back(vec![(msg.item, msg.count)], msg.epoch, ctx);
    }
}

impl<T: Send + 'static> Handler<DeadLetter<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: DeadLetter<T>, ctx: &mut Context<Self>) {
        if self.immediate {
            tracing::warn!("dead letter dropped: the dead-letter queue was shut down");
            return;
        }
        self.accept(msg.item);
        self.pump(ctx);
    }
}
