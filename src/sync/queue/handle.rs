//! [`Queue`]: the clonable handle users call, and [`QueueStream`].
//!
//! Invariant: every method is one message to the actor (plus, for
//! `put_timeout` after its deadline, one withdrawal); items come back out of
//! [`Delivered`](super::Delivered) only in the poll that returns them.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::Stream;

use super::actor::QueueActor;
use super::messages::{
    Get, GetMany, Join, Put, PutMany, QueueStatus, Shutdown, Status, TaskDone, TryGetNow, TryPut,
    WithdrawPut,
};
use super::{GetError, PutError, QueueError, QueueOptions, QueueOrder, TryGetError, TryPutError};
use crate::{Addr, ReplyTo, SendError, rt};

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

    /// Wraps the address of an existing (e.g. supervised) queue actor.
    pub fn from_addr(addr: Addr<QueueActor<T>>) -> Self {
        Queue { addr }
    }

    /// The actor's address.
    pub fn addr(&self) -> &Addr<QueueActor<T>> {
        &self.addr
    }

    /// Puts an item, waiting (FIFO among putters) while the queue is full.
    pub async fn put(&self, item: T) -> Result<(), PutError<T>> {
        let (port, reply) = ReplyTo::pair();
        if let Err(SendError(msg)) = self.addr.tell(Put { item, id: 0, port }).await {
            return Err(PutError::Closed(msg.item));
        }
        reply
            .await
            .unwrap_or_else(|e| Err(PutError::Unavailable(e)))
    }

    /// [`put`](Self::put) with a deadline; on timeout the put is withdrawn
    /// and the item comes back in [`PutError::Timeout`]. (The deadline
    /// covers the wait for room, not a wait for mailbox space.)
    pub async fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        let id = next_put_id();
        let (port, mut reply) = ReplyTo::pair();
        if let Err(SendError(msg)) = self.addr.tell(Put { item, id, port }).await {
            return Err(PutError::Closed(msg.item));
        }
        match rt::timeout(timeout, &mut reply).await {
            Ok(answer) => answer.unwrap_or_else(|e| Err(PutError::Unavailable(e))),
            // Same sender, same lane: the withdrawal is handled after the put.
            Err(_) => match self.addr.ask(WithdrawPut(id, PhantomData)).await {
                Ok(Some(item)) => Err(PutError::Timeout(item)),
                // Not parked any more: the put was answered; take that answer.
                Ok(None) => reply
                    .await
                    .unwrap_or_else(|e| Err(PutError::Unavailable(e))),
                Err(e) => Err(PutError::Unavailable(e)),
            },
        }
    }

    /// Puts an item if there is room now, else [`TryPutError::Full`] with
    /// the item.
    pub async fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let (port, reply) = ReplyTo::pair();
        if let Err(SendError(msg)) = self.addr.tell(TryPut { item, port }).await {
            return Err(TryPutError::Closed(msg.item));
        }
        reply
            .await
            .unwrap_or_else(|e| Err(TryPutError::Unavailable(e)))
    }

    /// Takes the next item, waiting (FIFO among getters) while empty.
    /// Cancellation-safe: if this future is dropped, no item is lost.
    pub async fn get(&self) -> Result<T, GetError> {
        let delivered = self.addr.ask_with(|port| Get { port }).await??;
        Ok(delivered.into_inner())
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
        if let Err(SendError(msg)) = self.addr.tell(PutMany { items, port }).await {
            return Err(PutError::Closed(msg.items));
        }
        reply
            .await
            .unwrap_or_else(|e| Err(PutError::Unavailable(e)))
    }

    /// Waits for at least one item, then takes up to `max` (in queue
    /// order) in one message. Cancellation-safe like [`get`](Self::get).
    pub async fn get_many(&self, max: usize) -> Result<Vec<T>, GetError> {
        if max == 0 {
            return Err(GetError::ZeroCount);
        }
        let batch = self.addr.ask_with(|port| GetMany { max, port }).await??;
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
        Ok(self.addr.ask_with(|port| Join { port }).await?)
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
