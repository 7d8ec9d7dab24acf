//! The acknowledged-delivery contract, shared by every queue that offers
//! at-least-once delivery: the local [`Queue`](super::Queue) (see
//! [`QueueDelivery`](super::QueueDelivery)) and a cross-machine queue alike
//! (`retinue::remote::RemoteQueue`, feature `nats`), so a consumer (a
//! worker pool, say) can be fed by either.
//!
//! Invariants every implementation keeps:
//! - An item handed out as a [`Delivery`] is done only when it is acked
//!   (or dead-lettered by the source); `join`-style accounting waits for it.
//! - A delivery that is nacked, or dropped unacked (the consumer panicked,
//!   its task was aborted), is delivered again, and its
//!   [`delivery_count`](Delivery::delivery_count) says how many times it
//!   has been handed out, this time included (1 on the first delivery).
//! - After the source's maximum number of deliveries the item is
//!   dead-lettered instead of redelivered, so a poison item cannot loop
//!   forever.
//! - A source behind a network rides out transient faults inside
//!   [`next_delivery`](AckSource::next_delivery) (it retries until it
//!   reconnects) and returns [`DeliveryError::ShutDown`] only when it is
//!   gone for good, so a consumer that stops on any error stops only then.
//!   An `ack` that fails with [`DeliveryError::Unavailable`] may not have
//!   been recorded: the item may be delivered again (at least once, never
//!   lost).

use std::fmt;
use std::future::Future;

/// One item handed out by an [`AckSource`], to be acknowledged when done.
pub trait Delivery: Send + 'static {
    /// The item type.
    type Item: Send + 'static;

    /// The item (it stays in the delivery until the delivery is settled).
    fn item(&self) -> &Self::Item;

    /// How many times this item has been handed out, this time included.
    fn delivery_count(&self) -> u32;

    /// Done: the item will not be delivered again.
    fn ack(self) -> impl Future<Output = Result<(), DeliveryError>> + Send;

    /// Not done: deliver it again (or dead-letter it after the maximum
    /// number of deliveries). Dropping a delivery unacked does the same.
    fn nack(self) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// A queue that hands out acknowledged deliveries (at-least-once).
pub trait AckSource: Clone + Send + Sync + 'static {
    /// The item type.
    type Item: Send + 'static;
    /// The delivery type.
    type Delivery: Delivery<Item = Self::Item>;

    /// Waits for the next item, as a delivery to acknowledge.
    fn next_delivery(&self) -> impl Future<Output = Result<Self::Delivery, DeliveryError>> + Send;
}

/// Why a delivery could not be taken or settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// The source is shut down (and, for a drain, empty): no more items.
    ShutDown,
    /// The source is unreachable (stopped, restarting, a lost connection).
    Unavailable(String),
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::ShutDown => f.write_str("the source is shut down"),
            DeliveryError::Unavailable(why) => write!(f, "the source is unavailable: {why}"),
        }
    }
}

impl std::error::Error for DeliveryError {}
