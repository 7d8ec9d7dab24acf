//! [`SharedMailbox`]: one mailbox that several actors of the same type
//! serve, each taking the next message only when it is free (Akka's
//! balancing dispatcher; the floor of a work queue: N consumers on one
//! channel).
//!
//! Invariants:
//! - An actor takes a shared message only when it is about to handle it:
//!   its own mailbox (control lane first) is always looked at first, and
//!   it never holds a shared message it is not handling. So a slow actor
//!   hoards nothing, and a crash loses at most the message in hand.
//! - The queue is a [`Handover`] of [`InlineEnvelope`]s, stored in the
//!   queue's own slots: a small told message costs no allocation (a heap
//!   message crossing threads is most of what a pool costs over a plain
//!   channel of values: see benches/pool.rs).
//! - The last handle dropped closes it; messages already queued are
//!   still served.
//! - Closing drops what is queued, so pending asks fail instead of
//!   hanging; actors serving it go on serving their own mailboxes.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Capacity;
use super::handover::{Handover, Refused};
use crate::actor::{Actor, Handler, Message};
use crate::envelope::{Ask, InlineEnvelope, Tell};
use crate::error::{AskError, SendError, TrySendError};
use crate::reply::ReplyTo;

/// A mailbox served by several actors: whichever is free takes the next
/// message. Attach actors with [`Inbox::share`](crate::Inbox::share) (or
/// [`ChildSpec::worker_sharing`](crate::supervisor::ChildSpec::worker_sharing)
/// for supervised ones); send with [`tell`](Self::tell) and
/// [`ask`](Self::ask) like an [`Addr`](crate::Addr). Cheap to clone.
///
/// ```
/// use retinue::{Actor, Capacity, Context, Handler, Inbox, Message, SharedMailbox};
///
/// struct Square;
/// impl Actor for Square {}
/// struct Job(u64);
/// impl Message for Job { type Reply = u64; }
/// impl Handler<Job> for Square {
///     async fn handle(&mut self, job: Job, _: &mut Context<Self>) -> u64 { job.0 * job.0 }
/// }
///
/// # retinue::rt::block_on(async {
/// let jobs = SharedMailbox::<Square>::new(Capacity::Bounded(64));
/// let mut workers = Vec::new();
/// for _ in 0..3 {
///     let mut inbox = Inbox::<Square>::new();
///     inbox.share(&jobs);
///     workers.push(inbox.addr());
///     retinue::rt::spawn(async move { inbox.run(Square).await });
/// }
/// assert_eq!(jobs.ask(Job(7)).await, Ok(49)); // whichever worker is free
/// jobs.tell(Job(1)).await.unwrap();
/// for w in &workers { w.stop(); w.wait_stopped().await; }
/// # });
/// ```
pub struct SharedMailbox<A> {
    queue: Arc<Handover<InlineEnvelope<A>>>,
    /// Live handles (the actors serving it hold the queue, not a handle).
    handles: Arc<AtomicUsize>,
    capacity: Capacity,
}

impl<A: Actor> SharedMailbox<A> {
    /// A shared mailbox holding up to `capacity` waiting messages.
    pub fn new(capacity: Capacity) -> Self {
        let capacity = capacity.normalized();
        let bound = match capacity {
            Capacity::Bounded(n) => Some(n),
            Capacity::Unbounded => None,
        };
        SharedMailbox {
            queue: Arc::new(Handover::new(bound)),
            handles: Arc::new(AtomicUsize::new(1)),
            capacity,
        }
    }

    /// Queues a message for whichever actor is free first, waiting for
    /// room when full. Fails (with the message) once closed.
    pub async fn tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        // Room is the common case: settle it without the waiting future.
        let envelope = match self.queue.try_push(InlineEnvelope::new(Tell::new(msg))) {
            Ok(()) => return Ok(()),
            Err(Refused::Closed(e)) => return Err(SendError(unwrap_tell(e))),
            Err(Refused::Full(e)) => e,
        };
        self.queue
            .push(envelope)
            .await
            .map_err(|e| SendError(unwrap_tell(e)))
    }

    /// Queues a message if there is room right now.
    ///
    /// ```
    /// use retinue::{Actor, Capacity, Context, Handler, Message, SharedMailbox, TrySendError};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// let shared = SharedMailbox::<Echo>::new(Capacity::Bounded(1)); // nobody serves it yet
    /// shared.try_tell(Say(1)).unwrap();
    /// assert!(matches!(shared.try_tell(Say(2)), Err(TrySendError::Full(Say(2)))));
    /// assert_eq!(shared.len(), 1);
    /// ```
    pub fn try_tell<M: Message>(&self, msg: M) -> Result<(), TrySendError<M>>
    where
        A: Handler<M>,
    {
        self.queue
            .try_push(InlineEnvelope::new(Tell::new(msg)))
            .map_err(|failed| match failed {
                Refused::Full(e) => TrySendError::Full(unwrap_tell(e)),
                Refused::Closed(e) => TrySendError::Closed(unwrap_tell(e)),
            })
    }

    /// Queues a message and waits for the reply of whichever actor took it.
    /// [`AskError::Closed`] once closed; [`AskError::NoReply`] when the
    /// handler panicked, or the message was dropped unhandled (closed or
    /// [`drop_oldest`](Self::drop_oldest)). An actor that serves this
    /// mailbox and asks it from a handler waits for *another* actor to
    /// take the message: with no other, that never happens (use
    /// [`Addr::ask_timeout`](crate::Addr::ask_timeout)'s pattern,
    /// `rt::timeout`, if that can be the case).
    pub async fn ask<M: Message>(&self, msg: M) -> Result<M::Reply, AskError>
    where
        A: Handler<M>,
    {
        let (port, reply) = ReplyTo::pair();
        self.queue
            .push(InlineEnvelope::new(Ask::new(msg, port)))
            .await
            .map_err(|_| AskError::Closed)?;
        reply.await
    }

    /// Drops the oldest waiting message (its asker, if any, gets
    /// [`AskError::NoReply`]); false if none was waiting. For senders that
    /// prefer the newest work to the oldest when full.
    ///
    /// ```
    /// use retinue::{Actor, Capacity, Context, Handler, Message, SharedMailbox};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// let shared = SharedMailbox::<Echo>::new(Capacity::Bounded(1));
    /// shared.try_tell(Say(1)).unwrap();
    /// assert!(shared.drop_oldest());
    /// shared.try_tell(Say(2)).unwrap(); // room again
    /// assert!(!SharedMailbox::<Echo>::new(Capacity::Unbounded).drop_oldest());
    /// ```
    pub fn drop_oldest(&self) -> bool {
        self.queue.try_take().is_ok()
    }
}

impl<A> SharedMailbox<A> {
    /// Messages waiting (not yet taken by an actor).
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no message is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many messages it holds before `tell` waits.
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// Ends it for good: later sends fail and queued messages are dropped
    /// (their askers get [`AskError::NoReply`]). Actors serving it go on
    /// serving their own mailboxes.
    ///
    /// ```
    /// use retinue::{Actor, AskError, Capacity, Context, Handler, Message, SharedMailbox};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let shared = SharedMailbox::<Echo>::new(Capacity::DEFAULT);
    /// shared.close();
    /// assert!(shared.is_closed());
    /// assert_eq!(shared.ask(Say(1)).await, Err(AskError::Closed));
    /// # });
    /// ```
    pub fn close(&self) {
        self.queue.close();
        while self.queue.try_take().is_ok() {}
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// The queue, for an [`Inbox`](crate::Inbox) that serves it.
    pub(crate) fn queue(&self) -> Arc<Handover<InlineEnvelope<A>>> {
        self.queue.clone()
    }
}

impl<A> Clone for SharedMailbox<A> {
    fn clone(&self) -> Self {
        self.handles.fetch_add(1, Ordering::Relaxed);
        SharedMailbox {
            queue: self.queue.clone(),
            handles: self.handles.clone(),
            capacity: self.capacity,
        }
    }
}

impl<A> Drop for SharedMailbox<A> {
    fn drop(&mut self) {
        // Like `Arc`: the last one sees every other's clone and drop.
        if self.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.queue.close();
        }
    }
}

impl<A> fmt::Debug for SharedMailbox<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMailbox")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

fn unwrap_tell<A: Handler<M>, M: Message>(envelope: InlineEnvelope<A>) -> M {
    match envelope.into_payload::<Tell<M>>() {
        Some(tell) => tell.0,
        None => unreachable!("a tell envelope came back as another type"),
    }
}
