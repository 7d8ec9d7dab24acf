//! The queue actor's protocol: one message type per operation.
//!
//! Invariant: every message that carries items either delivers them to the
//! actor or, when the actor is gone, gives them back through
//! [`SendError`](crate::SendError) to the handle, which returns them in the
//! error; the deferred replies carry the items back on every refusal.

use std::marker::PhantomData;

use super::acked::QueueDelivery;
use super::delivered::{Delivered, DeliveredBatch};
use super::permit::PutPermit;
use super::store::Held;
use super::{GetError, PutError, QueueError, TryGetError};
use crate::{Message, ReplyTo};

pub(crate) type GetReply<T> = Result<Delivered<T>, GetError>;
pub(crate) type GetManyReply<T> = Result<DeliveredBatch<T>, GetError>;
pub(crate) type PermitReply<T> = Result<PutPermit<T>, Refused>;
pub(crate) type DeliveryReply<T> = Result<QueueDelivery<T>, GetError>;

/// Why the actor refused room to a single put (the item is still the
/// putter's: it never travels before its permit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    ShutDown,
    Full,
}

/// Ask for room for one item, waiting for it (answered through `port` with
/// a permit; the item follows in [`Commit`]).
pub struct Put<T: Send + 'static> {
    pub(crate) id: u64,
    pub(crate) port: ReplyTo<PermitReply<T>>,
}
impl<T: Send + 'static> Message for Put<T> {
    type Reply = ();
}

/// The item of a granted put (control lane, from the putter's own poll).
pub struct Commit<T> {
    pub(crate) item: T,
    pub(crate) epoch: u64,
}
impl<T: Send + 'static> Message for Commit<T> {
    type Reply = ();
}

/// A granted slot that reached nobody comes back (control lane).
pub struct Unreserve {
    pub(crate) epoch: u64,
}
impl Message for Unreserve {
    type Reply = ();
}

/// Put several items in order, waiting for room as needed.
pub struct PutMany<T> {
    pub(crate) items: Vec<T>,
    pub(crate) port: ReplyTo<Result<(), PutError<Vec<T>>>>,
}
impl<T: Send + 'static> Message for PutMany<T> {
    type Reply = ();
}

/// Ask for room for one item only if there is room now.
pub struct TryPut<T: Send + 'static> {
    pub(crate) port: ReplyTo<PermitReply<T>>,
}
impl<T: Send + 'static> Message for TryPut<T> {
    type Reply = ();
}

/// Take back a parked put by id (`put_timeout` at its deadline): `true` if
/// it was still parked (then it never happens).
pub struct WithdrawPut<T>(pub(crate) u64, pub(crate) PhantomData<fn() -> T>);
impl<T: Send + 'static> Message for WithdrawPut<T> {
    type Reply = bool;
}

/// Forget waiters that gave up (control lane, sent by a put, get or join
/// future dropped while it waits, after its reply port closed).
///
/// ```
/// use retinue::sync::queue::Sweep;
/// use retinue::sync::{QueueActor, QueueOptions};
/// # retinue::rt::block_on(async {
/// let queue = retinue::spawn(QueueActor::<u32>::new(QueueOptions::default()));
/// queue.ask(Sweep).await.unwrap(); // nobody gave up: a no-op
/// # });
/// ```
pub struct Sweep;
impl Message for Sweep {
    type Reply = ();
}

/// Wait for an item (answered through `port`).
pub struct Get<T: Send + 'static> {
    pub(crate) port: ReplyTo<GetReply<T>>,
}
impl<T: Send + 'static> Message for Get<T> {
    type Reply = ();
}

/// Wait for at least one item, take up to `max`.
pub struct GetMany<T: Send + 'static> {
    pub(crate) max: usize,
    pub(crate) port: ReplyTo<GetManyReply<T>>,
}
impl<T: Send + 'static> Message for GetMany<T> {
    type Reply = ();
}

/// Take an item if one is there now.
pub struct TryGetNow<T>(pub(crate) PhantomData<fn() -> T>);
impl<T: Send + 'static> Message for TryGetNow<T> {
    type Reply = Result<Delivered<T>, TryGetError>;
}

/// An undelivered item coming home (from `Delivered::drop`).
pub struct GiveBack<T> {
    pub(crate) item: Held<T>,
    pub(crate) epoch: u64,
}
impl<T: Send + 'static> Message for GiveBack<T> {
    type Reply = ();
}

/// Undelivered items coming home (from `DeliveredBatch::drop`), in order.
pub struct GiveBackMany<T> {
    pub(crate) items: Vec<Held<T>>,
    pub(crate) epoch: u64,
}
impl<T: Send + 'static> Message for GiveBackMany<T> {
    type Reply = ();
}

/// Wait for an item as an acknowledged delivery (answered through `port`).
pub struct GetDelivery<T: Send + 'static> {
    pub(crate) port: ReplyTo<DeliveryReply<T>>,
}
impl<T: Send + 'static> Message for GetDelivery<T> {
    type Reply = ();
}

/// A delivery was acknowledged: its item is done (control lane).
pub struct Ack {
    pub(crate) epoch: u64,
}
impl Message for Ack {
    type Reply = ();
}

/// A delivery came back unacknowledged (dropped or nacked; control lane).
/// `count` is how often it was handed to a consumer.
pub struct Redeliver<T> {
    pub(crate) item: T,
    pub(crate) count: u32,
    pub(crate) epoch: u64,
}
impl<T: Send + 'static> Message for Redeliver<T> {
    type Reply = ();
}

/// An item dead-lettered by another queue (control lane: never refused,
/// past the bound if need be, so a dead letter is never dropped).
pub struct DeadLetter<T> {
    pub(crate) item: T,
}
impl<T: Send + 'static> Message for DeadLetter<T> {
    type Reply = ();
}

/// Mark one item as processed.
///
/// ```
/// use retinue::sync::QueueError;
/// use retinue::sync::queue::TaskDone;
/// use retinue::sync::{QueueActor, QueueOptions};
/// # retinue::rt::block_on(async {
/// let queue = retinue::spawn(QueueActor::<u32>::new(QueueOptions::default()));
/// let err = queue.ask(TaskDone).await.unwrap().unwrap_err();
/// assert_eq!(err, QueueError::TaskDoneTooMany); // nothing was put
/// # });
/// ```
pub struct TaskDone;
impl Message for TaskDone {
    type Reply = Result<(), QueueError>;
}

/// Wait until every accepted item has been marked done.
pub struct Join {
    pub(crate) port: ReplyTo<()>,
}
impl Message for Join {
    type Reply = ();
}

/// Shut the queue down (drain or immediate).
pub struct Shutdown {
    pub(crate) immediate: bool,
}
impl Message for Shutdown {
    type Reply = ();
}

/// A snapshot of a queue's state.
///
/// ```
/// use retinue::sync::queue::Status;
/// use retinue::sync::{QueueActor, QueueOptions};
/// # retinue::rt::block_on(async {
/// let queue = retinue::spawn(QueueActor::<u32>::new(QueueOptions::default()));
/// let s = queue.ask(Status).await.unwrap();
/// assert_eq!((s.len, s.maxsize, s.unfinished, s.shut_down), (0, 0, 0, false));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStatus {
    /// Items stored now.
    pub len: usize,
    /// The bound (0 = unbounded).
    pub maxsize: usize,
    /// Items accepted and not yet marked done.
    pub unfinished: usize,
    /// Getters waiting. A getter whose future was dropped is gone from
    /// this count once the actor has handled its sweep (control lane, so
    /// before any later ordinary message): reading it changes nothing.
    pub getters: usize,
    /// Putters waiting (same rule as `getters`).
    pub putters: usize,
    /// Whether `shutdown` was called.
    pub shut_down: bool,
}

/// Ask for a [`QueueStatus`].
///
/// ```
/// use retinue::sync::queue::Status;
/// use retinue::sync::{QueueActor, QueueOptions};
/// # retinue::rt::block_on(async {
/// let queue = retinue::spawn(QueueActor::<u32>::new(QueueOptions::default()));
/// assert_eq!(queue.ask(Status).await.unwrap().len, 0);
/// # });
/// ```
pub struct Status;
impl Message for Status {
    type Reply = QueueStatus;
}
