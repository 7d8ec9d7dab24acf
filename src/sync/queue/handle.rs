//! [`Queue`]: the clonable handle users call, and [`QueueStream`].
//!
//! Invariants:
//! - Every method is one message to the actor (plus, for a single put, the
//!   commit of its item, and for `put_timeout` after its deadline, one
//!   withdrawal).
//! - Items come out of [`Delivered`](super::Delivered) only in the poll
//!   that returns them, and a single put's item goes in (`PutPermit::commit`)
//!   only in the poll that returns `Ok`: no await point lies between a
//!   grant and its outcome, so a future dropped anywhere did nothing.
//! - Every waiting future is `Swept`: dropped while it waits, it tells the
//!   actor to forget it at once (control lane).

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::Stream;

use super::acked::{AckOptions, QueueDelivery};
use super::actor::QueueActor;
use super::delivery::{AckSource, DeliveryError};
use super::messages::{
    Get, GetDelivery, GetMany, Join, PermitReply, Put, PutMany, QueueStatus, Refused, Shutdown,
    Status, Sweep, TaskDone, TryGetNow, TryPut, WithdrawPut,
};
use super::{GetError, PutError, QueueError, QueueOptions, QueueOrder, TryGetError, TryPutError};
use crate::sync::cancel_sweep::{Swept, ask_swept};
use crate::{Addr, AskError, ReplyTo, SendError, rt};

fn next_put_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A clonable handle to a queue actor.
///
/// ```
/// use retinue::sync::{Queue, TryGetError};
///
/// # retinue::rt::block_on(async {
/// let queue = Queue::fifo(2);
/// let producer = {
///     let q = queue.clone();
///     retinue::rt::spawn(async move {
///         for i in 0..5 { q.put(i).await.unwrap(); } // waits for room
///     })
/// };
/// for i in 0..5 {
///     assert_eq!(queue.get().await, Ok(i));
///     queue.task_done().await.unwrap();
/// }
/// producer.await.unwrap();
/// queue.join().await.unwrap(); // every item marked done
/// assert_eq!(queue.try_get().await, Err(TryGetError::Empty));
/// # });
/// ```
pub struct Queue<T: Send + 'static> {
    addr: Addr<QueueActor<T>>,
}

impl<T: Send + 'static> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            addr: self.addr.clone(),
        }
    }
}

impl<T: Send + 'static> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue").field("addr", &self.addr).finish()
    }
}

impl<T: Send + 'static> Queue<T> {
    /// Spawns a queue with these options; priority order uses `T: Ord`.
    pub fn new(opts: QueueOptions) -> Self
    where
        T: Ord,
    {
        Self::from_addr(crate::spawn(QueueActor::new(opts)))
    }

    /// Spawns a FIFO queue of at most `maxsize` items (0 = unbounded).
    pub fn fifo(maxsize: usize) -> Self {
        Self::spawn_unordered(maxsize, QueueOrder::Fifo)
    }

    /// Spawns a LIFO queue of at most `maxsize` items (0 = unbounded).
    pub fn lifo(maxsize: usize) -> Self {
        Self::spawn_unordered(maxsize, QueueOrder::Lifo)
    }

    /// Spawns a priority queue (smallest first) of at most `maxsize` items.
    pub fn priority(maxsize: usize) -> Self
    where
        T: Ord,
    {
        Self::new(QueueOptions {
            maxsize,
            order: QueueOrder::Priority,
        })
    }

    /// Spawns a priority queue ordered by `key(item)` (smallest first).
    pub fn priority_by_key<K: Ord>(
        maxsize: usize,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> Self {
        let opts = QueueOptions {
            maxsize,
            order: QueueOrder::Priority,
        };
        Self::from_addr(crate::spawn(QueueActor::with_key(opts, key)))
    }

    fn spawn_unordered(maxsize: usize, order: QueueOrder) -> Self {
        let opts = QueueOptions { maxsize, order };
        let actor = QueueActor::with_compare(opts, |_, _| std::cmp::Ordering::Equal);
        Self::from_addr(crate::spawn(actor))
    }

    /// Spawns a FIFO queue of at most `maxsize` items (0 = unbounded) whose
    /// acknowledged deliveries ([`get_delivery`](Self::get_delivery)) are
    /// redelivered and dead-lettered as `acks` says.
    pub fn acked(maxsize: usize, acks: AckOptions<T>) -> Self {
        let opts = QueueOptions {
            maxsize,
            order: QueueOrder::Fifo,
        };
        let actor = QueueActor::with_compare(opts, |_, _| std::cmp::Ordering::Equal);
        Self::from_addr(crate::spawn(actor.acknowledged(acks)))
    }

    /// Wraps the address of an existing (e.g. supervised) queue actor.
    pub fn from_addr(addr: Addr<QueueActor<T>>) -> Self {
        Queue { addr }
    }

    /// The actor's address.
    pub fn addr(&self) -> &Addr<QueueActor<T>> {
        &self.addr
    }

    /// Puts an item, waiting (FIFO among putters) while the queue is full.
    ///
    /// Cancellation-safe: if this future is dropped at any point before it
    /// returns `Ok`, the put never happened (the item is dropped with the
    /// future, never stored, never delivered) and its waiting entry leaves
    /// the queue at once. So a retry after a cancelled put cannot duplicate.
    pub async fn put(&self, item: T) -> Result<(), PutError<T>> {
        let id = next_put_id();
        let (port, reply) = ReplyTo::pair();
        let wait = Swept::new(reply, self.addr.clone(), Sweep);
        if self.addr.tell(Put { id, port }).await.is_err() {
            return Err(PutError::Closed(item));
        }
        put_outcome(land(item, wait.await))
    }

    /// [`put`](Self::put) with a deadline; on timeout the put is withdrawn
    /// and the item comes back in [`PutError::Timeout`]. (The deadline
    /// covers the wait for room, not a wait for mailbox space.)
    ///
    /// The same protocol as `put`; at the deadline it asks the actor to
    /// withdraw the parked put, and the actor alone decides whether that
    /// came too late (then the permit is on its way and the put lands).
    pub async fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        let id = next_put_id();
        let (port, reply) = ReplyTo::pair();
        let mut wait = Swept::new(reply, self.addr.clone(), Sweep);
        if self.addr.tell(Put { id, port }).await.is_err() {
            return Err(PutError::Closed(item));
        }
        let answer = match rt::timeout(timeout, &mut wait).await {
            Ok(answer) => answer,
            // Same sender, same lane: the withdrawal is handled after the put.
            Err(_) => match self.addr.ask(WithdrawPut(id, PhantomData)).await {
                Ok(true) => return Err(PutError::Timeout(item)),
                Ok(false) => wait.await, // granted meanwhile
                Err(e) => Err(e),
            },
        };
        put_outcome(land(item, answer))
    }

    /// Puts an item if there is room now, else [`TryPutError::Full`] with
    /// the item. Cancellation-safe like [`put`](Self::put).
    pub async fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let (port, reply) = ReplyTo::pair();
        if self.addr.tell(TryPut { port }).await.is_err() {
            return Err(TryPutError::Closed(item));
        }
        match land(item, reply.await) {
            Ok(()) => Ok(()),
            Err((item, Landing::Refused(Refused::Full))) => Err(TryPutError::Full(item)),
            Err((item, Landing::Refused(Refused::ShutDown))) => Err(TryPutError::ShutDown(item)),
            Err((item, Landing::Gone | Landing::Lost)) => Err(TryPutError::Closed(item)),
        }
    }

    /// Takes the next item, waiting (FIFO among getters) while empty.
    /// Cancellation-safe: if this future is dropped, no item is lost.
    pub async fn get(&self) -> Result<T, GetError> {
        let delivered = ask_swept(&self.addr, |port| Get { port }, Sweep).await??;
        Ok(delivered.into_inner())
    }

    /// Takes the next item as an acknowledged delivery (at-least-once),
    /// waiting (FIFO among getters) while empty.
    ///
    /// The item is done (for [`join`](Self::join)) when the delivery is
    /// acked, or dead-lettered after the queue's `max_deliveries`
    /// ([`AckOptions`]); dropped or nacked unacked, it goes back to the front
    /// of the queue with its delivery count. Do not call
    /// [`task_done`](Self::task_done) for it. Cancellation-safe like `get`.
    ///
    /// Guarantees, side by side: [`get`](Self::get) is at-most-once (the
    /// item is the caller's once returned: a consumer that crashes with it
    /// loses it, and `join` waits for a `task_done` that may never come);
    /// `get_delivery` is at-least-once (a crash means redelivery, so an
    /// item can be processed twice if the crash came after its work).
    pub async fn get_delivery(&self) -> Result<QueueDelivery<T>, GetError> {
        let mut delivery = ask_swept(&self.addr, |port| GetDelivery { port }, Sweep).await??;
        delivery.mark_received();
        Ok(delivery)
    }

    /// Puts several items in order as one message, waiting for room as
    /// needed (FIFO among putters: the batch is one putter). On shutdown the
    /// items not yet accepted come back in [`PutError::ShutDown`]. If this
    /// future is dropped, items not yet accepted are dropped.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let queue = retinue::sync::Queue::fifo(2);
    /// let q = queue.clone();
    /// let producer = retinue::rt::spawn(async move { q.put_many(vec![1, 2, 3, 4, 5]).await });
    /// let mut got = Vec::new();
    /// while got.len() < 5 {
    ///     got.extend(queue.get_many(8).await.unwrap());
    /// }
    /// assert_eq!(got, [1, 2, 3, 4, 5]);
    /// producer.await.unwrap().unwrap();
    /// # });
    /// ```
    pub async fn put_many(&self, items: Vec<T>) -> Result<(), PutError<Vec<T>>> {
        let (port, reply) = ReplyTo::pair();
        let wait = Swept::new(reply, self.addr.clone(), Sweep);
        if let Err(SendError(msg)) = self.addr.tell(PutMany { items, port }).await {
            return Err(PutError::Closed(msg.items));
        }
        wait.await.unwrap_or_else(|e| Err(PutError::Unavailable(e)))
    }

    /// Waits for at least one item, then takes up to `max` (in queue
    /// order) in one message. Cancellation-safe like [`get`](Self::get).
    pub async fn get_many(&self, max: usize) -> Result<Vec<T>, GetError> {
        if max == 0 {
            return Err(GetError::ZeroCount);
        }
        let batch = ask_swept(&self.addr, |port| GetMany { max, port }, Sweep).await??;
        Ok(batch.into_inner())
    }

    /// Takes an item if there is one now.
    pub async fn try_get(&self) -> Result<T, TryGetError> {
        let delivered = self.addr.ask(TryGetNow(PhantomData)).await??;
        Ok(delivered.into_inner())
    }

    /// [`get`](Self::get) with a deadline ([`GetError::Timeout`]).
    pub async fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        rt::timeout(timeout, self.get())
            .await
            .unwrap_or(Err(GetError::Timeout))
    }

    /// Marks one item as processed (see [`join`](Self::join)).
    pub async fn task_done(&self) -> Result<(), QueueError> {
        self.addr.ask(TaskDone).await?
    }

    /// Waits until every item put has been marked done (at once if none).
    pub async fn join(&self) -> Result<(), QueueError> {
        Ok(ask_swept(&self.addr, |port| Join { port }, Sweep).await?)
    }

    /// [`join`](Self::join) with a deadline ([`QueueError::Timeout`]).
    pub async fn join_timeout(&self, timeout: Duration) -> Result<(), QueueError> {
        rt::timeout(timeout, self.join())
            .await
            .unwrap_or(Err(QueueError::Timeout))
    }

    /// Shuts the queue down. Later puts fail and blocked putters get their
    /// item back in [`PutError::ShutDown`]. Drain (`immediate = false`):
    /// stored items can still be taken, then gets fail. Immediate: stored
    /// items are dropped (counted as done) and blocked getters fail now.
    pub async fn shutdown(&self, immediate: bool) -> Result<(), QueueError> {
        Ok(self.addr.ask(Shutdown { immediate }).await?)
    }

    /// A snapshot of the state.
    pub async fn status(&self) -> Result<QueueStatus, QueueError> {
        Ok(self.addr.ask(Status).await?)
    }

    /// Items stored now.
    pub async fn len(&self) -> Result<usize, QueueError> {
        Ok(self.status().await?.len)
    }

    /// Whether no item is stored now.
    pub async fn is_empty(&self) -> Result<bool, QueueError> {
        Ok(self.status().await?.len == 0)
    }

    /// Consumes items as a stream; it ends when the queue is shut down and
    /// empty (or the actor is gone). Dropping it loses no item.
    pub fn stream(&self) -> QueueStream<T> {
        let queue = self.clone();
        QueueStream {
            inner: Box::pin(futures_lite::stream::unfold(queue, |q| async move {
                match q.get().await {
                    Ok(item) => Some((item, q)),
                    Err(_) => None,
                }
            })),
        }
    }
}

impl<T: Send + 'static> AckSource for Queue<T> {
    type Item = T;
    type Delivery = QueueDelivery<T>;

    async fn next_delivery(&self) -> Result<QueueDelivery<T>, DeliveryError> {
        self.get_delivery().await.map_err(|e| match e {
            GetError::ShutDown => DeliveryError::ShutDown,
            other => DeliveryError::Unavailable(other.to_string()),
        })
    }
}

/// How a single put ended when it did not land; the item is still ours.
enum Landing {
    Refused(Refused),
    /// The actor is gone: the commit could not be sent.
    Gone,
    /// The actor stopped (or restarted) before answering.
    Lost,
}

fn put_outcome<T>(landed: Result<(), (T, Landing)>) -> Result<(), PutError<T>> {
    match landed {
        Ok(()) => Ok(()),
        Err((item, Landing::Refused(_))) => Err(PutError::ShutDown(item)),
        Err((item, Landing::Gone | Landing::Lost)) => Err(PutError::Closed(item)),
    }
}

/// Commits `item` with the permit in `answer`, in this very poll.
fn land<T: Send + 'static>(
    item: T,
    answer: Result<PermitReply<T>, AskError>,
) -> Result<(), (T, Landing)> {
    match answer {
        Ok(Ok(permit)) => permit.commit(item).map_err(|item| (item, Landing::Gone)),
        Ok(Err(refused)) => Err((item, Landing::Refused(refused))),
        Err(_) => Err((item, Landing::Lost)),
    }
}

/// A [`Queue`] consumed as a [`Stream`] (see [`Queue::stream`]).
///
/// ```
/// use futures_lite::StreamExt;
/// use retinue::sync::Queue;
///
/// # retinue::rt::block_on(async {
/// let queue = Queue::fifo(0);
/// for word in ["a", "b", "c"] { queue.put(word).await.unwrap(); }
/// queue.shutdown(false).await.unwrap(); // drain: the stream ends when empty
/// let words: Vec<_> = queue.stream().collect().await;
/// assert_eq!(words, ["a", "b", "c"]);
/// # });
/// ```
pub struct QueueStream<T> {
    inner: Pin<Box<dyn Stream<Item = T> + Send>>,
}

impl<T> Stream for QueueStream<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for QueueStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueStream").finish_non_exhaustive()
    }
}
