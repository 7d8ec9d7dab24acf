//! The queue actor, its messages and the self-returning [`Delivered`] item.
//!
//! Invariants (of [`QueueActor`]):
//! - Every item the actor accepted is, at every moment, in exactly one
//!   place: the store, a `Delivered` inside a reply slot or a getter's
//!   hands, or a `GiveBack` message in the control lane on its way back to
//!   the store. Nothing else can drop it except `shutdown(immediate)`.
//! - `unfinished` = items accepted − `task_done` calls − items dropped by an
//!   immediate shutdown; joiners are released exactly when it reaches 0.
//! - After `pump`, no live getter waits while items are stored, and no
//!   live putter waits while there is room (so "put hands its item straight
//!   to a waiting getter": the put and the delivery happen in one handler).
//! - Getters and putters are each served FIFO in order of receipt; a new
//!   `try_put`/`put` never overtakes a queued putter, a new `get` never
//!   overtakes a queued getter.
//! - A give-back may push the store one past `maxsize` for a moment: an
//!   item is never dropped to honour the bound.
//! - No handler panics on any input.

use std::collections::VecDeque;
use std::sync::Arc;

use super::store::{Compare, Store};
use super::{GetError, PutError, QueueError, QueueOptions, QueueOrder, TryGetError, TryPutError};
use crate::sync::cancel_sweep::next_epoch;
use crate::{Actor, Context, Handler, Message, ReplyTo, WeakAddr};

/// An item on its way to a getter. If it is dropped before
/// [`into_inner`](Self::into_inner) — the getter gave up while it was in
/// flight — it sends itself back to the front of its queue through the
/// control lane (never waits, never refused while the queue lives).
pub struct Delivered<T: Send + 'static> {
    item: Option<T>,
    home: WeakAddr<QueueActor<T>>,
    epoch: u64,
}

impl<T: Send + 'static> Delivered<T> {
    /// Takes the item; from here on it is the caller's.
    pub fn into_inner(mut self) -> T {
        match self.item.take() {
            Some(item) => item,
            None => unreachable!("a Delivered holds its item until into_inner or drop"),
        }
    }

    fn take(&mut self) -> Option<T> {
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

pub(crate) type GetReply<T> = Result<Delivered<T>, GetError>;

/// Put an item, waiting for room (answered through `port`).
pub struct Put<T> {
    pub(crate) item: T,
    pub(crate) id: u64,
    pub(crate) port: ReplyTo<Result<(), PutError<T>>>,
}
impl<T: Send + 'static> Message for Put<T> {
    type Reply = ();
}

/// Put an item only if there is room now.
pub struct TryPut<T> {
    pub(crate) item: T,
    pub(crate) port: ReplyTo<Result<(), TryPutError<T>>>,
}
impl<T: Send + 'static> Message for TryPut<T> {
    type Reply = ();
}

/// Take back a parked put, typed: the item if it was still parked.
pub struct WithdrawPut<T>(
    pub(crate) u64,
    pub(crate) std::marker::PhantomData<fn() -> T>,
);
impl<T: Send + 'static> Message for WithdrawPut<T> {
    type Reply = Option<T>;
}

/// Wait for an item (answered through `port`).
pub struct Get<T: Send + 'static> {
    pub(crate) port: ReplyTo<GetReply<T>>,
}
impl<T: Send + 'static> Message for Get<T> {
    type Reply = ();
}

/// Take an item if one is there now (typed reply).
pub struct TryGetNow<T>(pub(crate) std::marker::PhantomData<fn() -> T>);
impl<T: Send + 'static> Message for TryGetNow<T> {
    type Reply = Result<Delivered<T>, TryGetError>;
}

/// An undelivered item coming home (from `Delivered::drop`).
pub struct GiveBack<T> {
    item: T,
    epoch: u64,
}
impl<T: Send + 'static> Message for GiveBack<T> {
    type Reply = ();
}

/// Mark one item as processed.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStatus {
    /// Items stored now.
    pub len: usize,
    /// The bound (0 = unbounded).
    pub maxsize: usize,
    /// Items accepted and not yet marked done.
    pub unfinished: usize,
    /// Live getters waiting.
    pub getters: usize,
    /// Live putters waiting.
    pub putters: usize,
    /// Whether `shutdown` was called.
    pub shut_down: bool,
}

/// Ask for a [`QueueStatus`].
pub struct Status;
impl Message for Status {
    type Reply = QueueStatus;
}

struct Putter<T> {
    id: u64,
    item: T,
    port: ReplyTo<Result<(), PutError<T>>>,
}

/// The queue actor. `T` is the item type.
pub struct QueueActor<T: Send + 'static> {
    store: Store<T>,
    maxsize: usize,
    unfinished: usize,
    shut_down: bool,
    immediate: bool,
    getters: VecDeque<ReplyTo<GetReply<T>>>,
    putters: VecDeque<Putter<T>>,
    joiners: Vec<ReplyTo<()>>,
    epoch: u64,
}

impl<T: Send + 'static> QueueActor<T> {
    /// A queue in `opts.order`; priority order uses `T`'s `Ord` (smallest first).
    pub fn new(opts: QueueOptions) -> Self
    where
        T: Ord,
    {
        Self::with_compare(opts, T::cmp)
    }

    /// A queue whose priority order (if `opts.order` is
    /// [`QueueOrder::Priority`]) compares items with `cmp` (`Less` first).
    pub fn with_compare(
        opts: QueueOptions,
        cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Send + Sync + 'static,
    ) -> Self {
        Self::build(opts, Some(Arc::new(cmp)))
    }

    /// A queue whose priority order is by `key(item)` (smallest first).
    pub fn with_key<K: Ord>(
        opts: QueueOptions,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
    ) -> Self {
        Self::with_compare(opts, move |a, b| key(a).cmp(&key(b)))
    }

    /// A FIFO or LIFO queue for items with no order; fails with
    /// [`QueueError::NoPriority`] if `opts.order` is priority.
    pub fn unordered(opts: QueueOptions) -> Result<Self, QueueError> {
        if opts.order == QueueOrder::Priority {
            return Err(QueueError::NoPriority);
        }
        Ok(Self::build(opts, None))
    }

    fn build(opts: QueueOptions, cmp: Option<Compare<T>>) -> Self {
        QueueActor {
            store: Store::new(opts.order, cmp),
            maxsize: opts.maxsize,
            unfinished: 0,
            shut_down: false,
            immediate: false,
            getters: VecDeque::new(),
            putters: VecDeque::new(),
            joiners: Vec::new(),
            epoch: next_epoch(),
        }
    }

    fn has_room(&self) -> bool {
        self.maxsize == 0 || self.store.len() < self.maxsize
    }

    fn deliver(&self, ctx: &Context<Self>, item: T) -> Delivered<T> {
        Delivered {
            item: Some(item),
            home: ctx.weak_addr(),
            epoch: self.epoch,
        }
    }

    fn prune(&mut self) {
        self.getters.retain(|p| !p.is_closed());
        self.putters.retain(|p| !p.port.is_closed());
        self.joiners.retain(|p| !p.is_closed());
    }

    fn accept(&mut self, item: T) {
        self.store.push_back(item);
        self.unfinished = self.unfinished.saturating_add(1);
    }

    fn finish(&mut self, n: usize) {
        self.unfinished = self.unfinished.saturating_sub(n);
        if self.unfinished == 0 {
            for port in self.joiners.drain(..) {
                let _ = port.send(());
            }
        }
    }

    /// Restores the invariants: items go to live getters, room goes to live
    /// putters, and after a shutdown getters of an empty queue fail.
    fn pump(&mut self, ctx: &Context<Self>) {
        loop {
            let mut progressed = false;
            while !self.store.is_empty() {
                let Some(port) = self.getters.pop_front() else {
                    break;
                };
                if port.is_closed() {
                    continue;
                }
                let Some(item) = self.store.pop() else {
                    break;
                };
                progressed = true;
                if let Err(Ok(mut back)) = port.send(Ok(self.deliver(ctx, item))) {
                    if let Some(item) = back.take() {
                        self.store.push_front(item);
                    }
                }
            }
            while self.has_room() && !self.shut_down {
                let Some(putter) = self.putters.pop_front() else {
                    break;
                };
                if putter.port.is_closed() {
                    continue; // the putter gave up: its put never happened
                }
                progressed = true;
                self.accept(putter.item);
                let _ = putter.port.send(Ok(()));
            }
            if !progressed {
                break;
            }
        }
        if self.shut_down && self.store.is_empty() {
            for port in self.getters.drain(..) {
                let _ = port.send(Err(GetError::ShutDown));
            }
        }
    }

    fn putters_waiting(&mut self) -> bool {
        while self.putters.front().is_some_and(|p| p.port.is_closed()) {
            self.putters.pop_front();
        }
        !self.putters.is_empty()
    }
}

impl<T: Send + 'static> Actor for QueueActor<T> {}

impl<T: Send + 'static> Handler<Put<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: Put<T>, ctx: &mut Context<Self>) {
        if msg.port.is_closed() {
            return; // the putter gave up before its put was seen
        }
        if self.shut_down {
            let _ = msg.port.send(Err(PutError::ShutDown(msg.item)));
            return;
        }
        if self.putters_waiting() || !self.has_room() {
            self.putters.push_back(Putter {
                id: msg.id,
                item: msg.item,
                port: msg.port,
            });
            return;
        }
        self.accept(msg.item);
        let _ = msg.port.send(Ok(()));
        self.pump(ctx);
    }
}

impl<T: Send + 'static> Handler<TryPut<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: TryPut<T>, ctx: &mut Context<Self>) {
        if self.shut_down {
            let _ = msg.port.send(Err(TryPutError::ShutDown(msg.item)));
        } else if self.putters_waiting() || !self.has_room() {
            let _ = msg.port.send(Err(TryPutError::Full(msg.item)));
        } else {
            self.accept(msg.item);
            let _ = msg.port.send(Ok(()));
            self.pump(ctx);
        }
    }
}

impl<T: Send + 'static> Handler<WithdrawPut<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: WithdrawPut<T>, _: &mut Context<Self>) -> Option<T> {
        let at = self.putters.iter().position(|p| p.id == msg.0)?;
        self.putters.remove(at).map(|p| p.item)
    }
}

impl<T: Send + 'static> Handler<Get<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: Get<T>, ctx: &mut Context<Self>) {
        if msg.port.is_closed() {
            return;
        }
        let n = self.getters.len();
        if n >= 64 && n.is_power_of_two() {
            // Amortised cleanup of getters that gave up on an empty queue.
            self.getters.retain(|p| !p.is_closed());
        }
        self.getters.push_back(msg.port);
        self.pump(ctx);
    }
}

impl<T: Send + 'static> Handler<TryGetNow<T>> for QueueActor<T> {
    async fn handle(
        &mut self,
        _: TryGetNow<T>,
        ctx: &mut Context<Self>,
    ) -> Result<Delivered<T>, TryGetError> {
        // A live queued getter means the store is empty (pump invariant).
        let Some(item) = self.store.pop() else {
            return Err(if self.shut_down {
                TryGetError::ShutDown
            } else {
                TryGetError::Empty
            });
        };
        let delivered = self.deliver(ctx, item);
        self.pump(ctx);
        Ok(delivered)
    }
}

impl<T: Send + 'static> Handler<GiveBack<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: GiveBack<T>, ctx: &mut Context<Self>) {
        let ours = msg.epoch == self.epoch;
        if self.immediate {
            // An immediate shutdown drops remaining items, counting them done.
            if ours {
                self.finish(1);
            }
            return;
        }
        self.store.push_front(msg.item);
        if !ours {
            // Taken from a previous instance: this one counts it as new.
            self.unfinished = self.unfinished.saturating_add(1);
        }
        self.pump(ctx);
    }
}

impl<T: Send + 'static> Handler<TaskDone> for QueueActor<T> {
    async fn handle(&mut self, _: TaskDone, _: &mut Context<Self>) -> Result<(), QueueError> {
        if self.unfinished == 0 {
            return Err(QueueError::TaskDoneTooMany);
        }
        self.finish(1);
        Ok(())
    }
}

impl<T: Send + 'static> Handler<Join> for QueueActor<T> {
    async fn handle(&mut self, msg: Join, _: &mut Context<Self>) {
        if self.unfinished == 0 {
            let _ = msg.port.send(());
        } else if !msg.port.is_closed() {
            self.joiners.push(msg.port);
        }
    }
}

impl<T: Send + 'static> Handler<Shutdown> for QueueActor<T> {
    async fn handle(&mut self, msg: Shutdown, ctx: &mut Context<Self>) {
        self.shut_down = true;
        for putter in self.putters.drain(..) {
            let _ = putter.port.send(Err(PutError::ShutDown(putter.item)));
        }
        if msg.immediate && !self.immediate {
            self.immediate = true;
            let dropped = self.store.clear();
            self.finish(dropped);
        }
        self.pump(ctx);
    }
}

impl<T: Send + 'static> Handler<Status> for QueueActor<T> {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> QueueStatus {
        self.prune();
        QueueStatus {
            len: self.store.len(),
            maxsize: self.maxsize,
            unfinished: self.unfinished,
            getters: self.getters.len(),
            putters: self.putters.len(),
            shut_down: self.shut_down,
        }
    }
}
