//! [`Queue`]: an asyncio-style queue (FIFO, LIFO or priority) as an actor.
//!
//! # Why items are never lost or duplicated
//!
//! Every item the actor hands out travels inside a [`Delivered`]: a small
//! owner whose `Drop` sends an untaken item back to the front of its queue
//! through the control lane (`tell_urgent`: never waits, never refused
//! while the queue is alive). That covers every way a getter can vanish:
//! - before the actor answers: `ReplyTo::send` returns the `Delivered`, and
//!   the actor puts the item back itself, synchronously, in the same handler;
//! - after the answer was stored but before the getter took it: the reply
//!   slot drops the `Delivered`, which sends the item home;
//! - after the getter took it: [`Delivered::into_inner`] disarmed it in the
//!   same poll that returned the item, so it is the caller's.
//!
//! Nothing is ever copied, so nothing can be delivered twice; the actor's
//! `unfinished` count is not touched by a give-back (the item is still
//! pending), so `join` stays exact. This is provably lossless without any
//! acknowledgement round trip, which keeps a get at one ask.
//!
//! Puts: an item is in the queue exactly when `put` / `try_put` /
//! `put_timeout` said `Ok`. A single put asks for room first and keeps its
//! item; the actor reserves a slot and answers with a permit, and the
//! putter's future commits the item in the very poll that receives it (see
//! `permit`). So a put whose future is dropped at any point never happened:
//! its item is dropped with the future, and a retry cannot duplicate. Every
//! error (timeout, shutdown, a dead or restarting actor) gives the item
//! back. A waiting future that is dropped tells the actor at once, so an
//! abandoned waiter never stays in its list. (`put_many` accepts a batch
//! piece by piece as room frees: dropped midway, a prefix has landed.)
//!
//! Two delivery guarantees:
//! - **At most once** ([`Queue::get`], `try_get`, `get_many`, `stream`):
//!   once `get` returns, the item is the caller's. A consumer that crashes
//!   while working on it loses it, and `join` waits for its `task_done`.
//! - **At least once** ([`Queue::get_delivery`]): the item stays in a
//!   [`QueueDelivery`] until it is acked. Nacked or dropped unacked (a
//!   panic, an aborted task), it goes back to the FRONT of the queue with
//!   its delivery count; after [`AckOptions::max_deliveries`] it goes to the
//!   dead-letter queue instead. `join` counts it done only when acked or
//!   dead-lettered, so a crashed consumer never makes `join` hang. The
//!   [`AckSource`] / [`Delivery`] traits are the same contract a
//!   cross-machine queue offers.
//!
//! Batches: [`Queue::put_many`] and [`Queue::get_many`] move many items per
//! message (same guarantees: a [`DeliveredBatch`] returns all its items, in
//! order, if it reaches nobody). They exist for throughput: each single
//! `put`/`get` is one actor round trip.
//!
//! Restarts: a supervised queue that restarts starts empty; items handed
//! out by the previous instance that come back are accepted as new items.

mod acked;
mod actor;
mod delivered;
mod delivery;
mod handle;
mod messages;
mod permit;
mod store;
mod waiters;

use std::fmt;

use serde::Deserialize;

use crate::AskError;

pub use acked::{AckOptions, QueueDelivery};
pub use actor::QueueActor;
pub use delivered::{Delivered, DeliveredBatch};
pub use delivery::{AckSource, Delivery, DeliveryError};
pub use handle::{Queue, QueueStream};
pub use messages::{
    Ack, Commit, DeadLetter, Get, GetDelivery, GetMany, GiveBack, GiveBackMany, Join, Put, PutMany,
    QueueStatus, Redeliver, Shutdown, Status, Sweep, TaskDone, TryGetNow, TryPut, Unreserve,
    WithdrawPut,
};
pub use store::QueueOrder;

/// Options of a [`QueueActor`] (deserializable from config files).
///
/// ```
/// use retinue::sync::{QueueOptions, QueueOrder};
/// let opts = QueueOptions::default();
/// assert_eq!(opts.maxsize, 0); // unbounded
/// assert_eq!(opts.order, QueueOrder::Fifo);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueOptions {
    /// Most items stored at once; `0` (the default) means unbounded.
    pub maxsize: usize,
    /// `"fifo"` (default), `"lifo"` or `"priority"`.
    pub order: QueueOrder,
}

/// Misuse of a queue, or a queue that is gone.
///
/// ```
/// use retinue::sync::{Queue, QueueError};
/// # retinue::rt::block_on(async {
/// let queue = Queue::<u32>::fifo(0);
/// assert_eq!(queue.task_done().await, Err(QueueError::TaskDoneTooMany));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueError {
    /// `task_done` called more times than items were put.
    TaskDoneTooMany,
    /// A priority queue was requested for items with no order.
    NoPriority,
    /// `join_timeout`: unfinished items remained at the deadline.
    Timeout,
    /// The actor is gone, or stopped/restarted before answering.
    Unavailable(AskError),
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::TaskDoneTooMany => f.write_str("task_done called too many times"),
            QueueError::NoPriority => f.write_str("a priority queue needs an item order"),
            QueueError::Timeout => f.write_str("items still unfinished at the deadline"),
            QueueError::Unavailable(e) => write!(f, "queue unavailable: {e}"),
        }
    }
}

impl std::error::Error for QueueError {}

impl From<AskError> for QueueError {
    fn from(e: AskError) -> Self {
        QueueError::Unavailable(e)
    }
}

/// Why a `put` failed; carries the item back whenever it still exists.
///
/// ```
/// use retinue::sync::{PutError, Queue};
/// # retinue::rt::block_on(async {
/// let queue = Queue::fifo(0);
/// queue.shutdown(false).await.unwrap();
/// let err = queue.put(7).await.unwrap_err();
/// assert!(matches!(err, PutError::ShutDown(7)));
/// # });
/// ```
#[derive(PartialEq, Eq)]
pub enum PutError<T> {
    /// The queue is shut down (now or while the put waited).
    ShutDown(T),
    /// `put_timeout`: no room within the deadline; the put was withdrawn.
    Timeout(T),
    /// The actor stopped (for good, or to restart) before the put landed;
    /// the put never happened and the item is back.
    Closed(T),
    /// [`put_many`](Queue::put_many) only: the actor took the batch but
    /// stopped (or restarted) before answering; the items not yet accepted
    /// went down with that instance.
    Unavailable(AskError),
}

impl<T> PutError<T> {
    /// The item, if the error carries it.
    ///
    /// ```
    /// use retinue::sync::PutError;
    /// assert_eq!(PutError::Timeout(3).into_item(), Some(3));
    /// ```
    pub fn into_item(self) -> Option<T> {
        match self {
            PutError::ShutDown(t) | PutError::Timeout(t) | PutError::Closed(t) => Some(t),
            PutError::Unavailable(_) => None,
        }
    }
}

/// Why a `try_put` failed; carries the item back whenever it still exists.
///
/// ```
/// use retinue::sync::{Queue, TryPutError};
/// # retinue::rt::block_on(async {
/// let queue = Queue::fifo(1);
/// queue.try_put(1).await.unwrap();
/// assert!(matches!(queue.try_put(2).await, Err(TryPutError::Full(2))));
/// # });
/// ```
#[derive(PartialEq, Eq)]
pub enum TryPutError<T> {
    /// No room right now (or putters are queued ahead).
    Full(T),
    /// The queue is shut down.
    ShutDown(T),
    /// The actor stopped (for good, or to restart) before the put landed;
    /// the item is back.
    Closed(T),
    /// Kept for compatibility: a single put now always returns its item.
    Unavailable(AskError),
}

impl<T> TryPutError<T> {
    /// The item, if the error carries it.
    ///
    /// ```
    /// use retinue::sync::TryPutError;
    /// assert_eq!(TryPutError::Full('x').into_item(), Some('x'));
    /// ```
    pub fn into_item(self) -> Option<T> {
        match self {
            TryPutError::Full(t) | TryPutError::ShutDown(t) | TryPutError::Closed(t) => Some(t),
            TryPutError::Unavailable(_) => None,
        }
    }
}

/// Why a `get` failed.
///
/// ```
/// use std::time::Duration;
/// use retinue::sync::{GetError, Queue};
/// # retinue::rt::block_on(async {
/// let queue = Queue::<u32>::fifo(0);
/// assert_eq!(queue.get_timeout(Duration::from_millis(1)).await, Err(GetError::Timeout));
/// assert_eq!(queue.get_many(0).await, Err(GetError::ZeroCount));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetError {
    /// The queue is shut down and (for a drain) empty.
    ShutDown,
    /// `get_timeout`: no item within the deadline.
    Timeout,
    /// `get_many(0)`: a batch of zero items makes no sense.
    ZeroCount,
    /// The actor is gone, or stopped/restarted before answering.
    Unavailable(AskError),
}

/// Why a `try_get` failed.
///
/// ```
/// use retinue::sync::{Queue, TryGetError};
/// # retinue::rt::block_on(async {
/// let queue = Queue::<u32>::fifo(0);
/// assert_eq!(queue.try_get().await, Err(TryGetError::Empty));
/// queue.shutdown(false).await.unwrap();
/// assert_eq!(queue.try_get().await, Err(TryGetError::ShutDown));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryGetError {
    /// No item right now.
    Empty,
    /// The queue is shut down and empty.
    ShutDown,
    /// The actor is gone, or stopped/restarted before answering.
    Unavailable(AskError),
}

macro_rules! item_error_fmt {
    ($ty:ident { $($variant:ident => $text:expr),* $(,)? }) => {
        impl<T> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($ty::$variant(..) => f.write_str(concat!(stringify!($variant), "(..)")),)*
                    $ty::Unavailable(e) => write!(f, "Unavailable({e:?})"),
                }
            }
        }
        impl<T> fmt::Display for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $($ty::$variant(..) => f.write_str($text),)*
                    $ty::Unavailable(e) => write!(f, "queue unavailable: {e}"),
                }
            }
        }
        impl<T> std::error::Error for $ty<T> {}
    };
}

item_error_fmt!(PutError {
    ShutDown => "the queue is shut down",
    Timeout => "no room in the queue within the deadline",
    Closed => "the queue actor has stopped",
});
item_error_fmt!(TryPutError {
    Full => "the queue is full",
    ShutDown => "the queue is shut down",
    Closed => "the queue actor has stopped",
});

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::ShutDown => f.write_str("the queue is shut down"),
            GetError::Timeout => f.write_str("no item within the deadline"),
            GetError::ZeroCount => f.write_str("a batch of zero items was requested"),
            GetError::Unavailable(e) => write!(f, "queue unavailable: {e}"),
        }
    }
}

impl std::error::Error for GetError {}

impl From<AskError> for GetError {
    fn from(e: AskError) -> Self {
        GetError::Unavailable(e)
    }
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::ShutDown => f.write_str("the queue is shut down"),
            TryGetError::Unavailable(e) => write!(f, "queue unavailable: {e}"),
        }
    }
}

impl std::error::Error for TryGetError {}

impl From<AskError> for TryGetError {
    fn from(e: AskError) -> Self {
        TryGetError::Unavailable(e)
    }
}
