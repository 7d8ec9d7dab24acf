//! The queue actor: storage, waiting getters and putters, `join` accounting.
//!
//! Invariants (of [`QueueActor`]):
//! - Every item the actor accepted is, at every moment, in exactly one
//!   place: the store, a `Delivered`/`DeliveredBatch` inside a reply slot
//!   or a getter's hands, or a give-back message in the control lane on its
//!   way back to the store. Nothing else can drop it except
//!   `shutdown(immediate)`.
//! - `unfinished` = items accepted − `task_done` calls − items dropped by an
//!   immediate shutdown; joiners are released exactly when it reaches 0.
//! - `reserved` = permits granted and not yet committed or returned; room
//!   is `maxsize − stored − reserved`, so a granted put always finds its
//!   slot (see `permit`: a single put lands only in the putter's own poll).
//! - After `pump`, no live getter waits while items are stored, and no
//!   live putter waits while there is room.
//! - Looking never changes state: `Status` reports the waiter lists as they
//!   are; abandoned waiters leave through `Sweep`, sent by the dropped
//!   future itself (after its reply port closed), so they never wait for
//!   the front.
//! - Getters and putters are each served FIFO in order of receipt (a
//!   single putter's item enters when it commits, so a batch behind granted
//!   single puts waits for their commits; two concurrent single putters'
//!   items enter in the order they commit); a new
//!   `try_put`/`put` never overtakes a queued putter, a new `get` never
//!   overtakes a queued getter.
//! - A give-back may push the store past `maxsize` for a moment: an item is
//!   never dropped to honour the bound.
//! - No handler panics on any input.

use std::collections::VecDeque;
use std::sync::Arc;

use super::acked::{AckOptions, QueueDelivery};
use super::delivered::{Delivered, DeliveredBatch};
use super::messages::{
    Commit, Get, GetMany, GiveBack, GiveBackMany, Join, PermitReply, Put, PutMany, QueueStatus,
    Refused, Shutdown, Status, Sweep, TaskDone, TryGetNow, TryPut, Unreserve, WithdrawPut,
};
use super::permit::PutPermit;
use super::store::{Compare, Held, Store};
use super::waiters::{Getter, Putter};
use super::{GetError, PutError, QueueError, QueueOptions, QueueOrder, TryGetError};
use crate::metrics::{self, Counter, Gauge};
use crate::sync::cancel_sweep::next_epoch;
use crate::{Actor, BoxError, Context, ExitReason, Handler, ReplyTo};

/// The queue actor. `T` is the item type. Spawn it yourself (or under a
/// supervisor) and wrap its address with [`Queue::from_addr`](super::Queue::from_addr).
///
/// ```
/// use retinue::sync::{Queue, QueueActor, QueueError, QueueOptions, QueueOrder};
///
/// // Items without an order cannot go in a priority queue: a typed error.
/// struct Job;
/// let opts = QueueOptions { maxsize: 8, order: QueueOrder::Priority };
/// assert_eq!(QueueActor::<Job>::unordered(opts).err(), Some(QueueError::NoPriority));
///
/// # retinue::rt::block_on(async {
/// let queue = Queue::from_addr(retinue::spawn(QueueActor::<u32>::new(opts)));
/// queue.put(3).await.unwrap();
/// queue.put(1).await.unwrap();
/// assert_eq!(queue.get().await, Ok(1)); // smallest first
/// # });
/// ```
pub struct QueueActor<T: Send + 'static> {
    pub(super) store: Store<T>,
    maxsize: usize,
    unfinished: usize,
    shut_down: bool,
    pub(super) immediate: bool,
    getters: VecDeque<Getter<T>>,
    putters: VecDeque<Putter<T>>,
    joiners: Vec<ReplyTo<()>>,
    reserved: usize,
    pub(super) epoch: u64,
    pub(super) acks: AckOptions<T>,
    meters: Meters,
}

/// `retinue_queue_*` handles, made when an instance starts.
#[derive(Default)]
struct Meters {
    length: Gauge,
    puts: Counter,
    gets: Counter,
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
            reserved: 0,
            epoch: next_epoch(),
            acks: AckOptions::default(),
            meters: Meters::default(),
        }
    }

    fn has_room(&self) -> bool {
        self.maxsize == 0 || self.store.len() + self.reserved < self.maxsize
    }

    /// Reserves a slot for a putter and sends it the permit; a permit that
    /// reaches nobody gives its slot back at once.
    fn grant(&mut self, port: ReplyTo<PermitReply<T>>, ctx: &Context<Self>) {
        self.reserved += 1;
        let permit = PutPermit::new(ctx.weak_addr(), self.epoch);
        if let Err(Ok(permit)) = port.send(Ok(permit)) {
            permit.disarm();
            self.reserved -= 1;
        }
    }

    pub(super) fn accept(&mut self, item: T) {
        self.meters.puts.increment(1);
        self.store.push_back(item);
        self.unfinished = self.unfinished.saturating_add(1);
    }

    pub(super) fn finish(&mut self, n: usize) {
        self.unfinished = self.unfinished.saturating_sub(n);
        if self.unfinished == 0 {
            for port in self.joiners.drain(..) {
                let _ = port.send(());
            }
        }
    }

    /// Returns items (in their original order) to the front of the store.
    fn restore(&mut self, items: Vec<Held<T>>) {
        for item in items.into_iter().rev() {
            self.store.push_front(item);
        }
    }

    /// Hands stored items to the first live getter; false if none is left.
    fn serve_one_getter(&mut self, ctx: &Context<Self>) -> bool {
        let Some(getter) = self.getters.pop_front() else {
            return false;
        };
        match getter {
            Getter::One(port) if !port.is_closed() => {
                if let Some(item) = self.store.pop() {
                    let delivered = Delivered::new(item, ctx.weak_addr(), self.epoch);
                    match port.send(Ok(delivered)) {
                        Ok(()) => self.meters.gets.increment(1),
                        Err(Ok(mut back)) => self.restore(back.take().into_iter().collect()),
                        Err(Err(_)) => {}
                    }
                }
            }
            Getter::Many(max, port) if !port.is_closed() => {
                let mut items = Vec::with_capacity(max.min(self.store.len()));
                while items.len() < max {
                    match self.store.pop() {
                        Some(item) => items.push(item),
                        None => break,
                    }
                }
                let n = items.len() as u64;
                let batch = DeliveredBatch::new(items, ctx.weak_addr(), self.epoch);
                match port.send(Ok(batch)) {
                    Ok(()) => self.meters.gets.increment(n),
                    Err(Ok(mut back)) => self.restore(back.take()),
                    Err(Err(_)) => {}
                }
            }
            Getter::Acked(port) if !port.is_closed() => {
                if let Some((item, count)) = self.store.pop() {
                    let delivery = QueueDelivery::new(item, count, ctx.weak_addr(), self.epoch);
                    match port.send(Ok(delivery)) {
                        Ok(()) => self.meters.gets.increment(1),
                        Err(Ok(back)) => self.restore(back.disarm().into_iter().collect()),
                        Err(Err(_)) => {}
                    }
                }
            }
            _ => {} // gave up: skip
        }
        true
    }

    /// Gives room to the first live putter; false if none is left.
    fn serve_one_putter(&mut self, ctx: &Context<Self>) -> bool {
        let Some(front) = self.putters.front_mut() else {
            return false;
        };
        if front.is_closed() {
            // The putter gave up: its (remaining) put never happens.
            self.putters.pop_front();
            return true;
        }
        match front {
            Putter::One { .. } => {
                if let Some(Putter::One { port, .. }) = self.putters.pop_front() {
                    self.grant(port, ctx);
                }
            }
            // Single puts granted before this batch land first (FIFO).
            Putter::Many { .. } if self.reserved > 0 => return false,
            Putter::Many { items, .. } => {
                let next = items.pop_front();
                let done = items.is_empty();
                if let Some(item) = next {
                    self.accept(item);
                }
                if done {
                    if let Some(Putter::Many { port, .. }) = self.putters.pop_front() {
                        let _ = port.send(Ok(()));
                    }
                }
            }
        }
        true
    }

    /// Restores the invariants: items go to live getters, room goes to live
    /// putters, and after a shutdown getters of an empty queue fail.
    pub(super) fn pump(&mut self, ctx: &Context<Self>) {
        loop {
            let mut progressed = false;
            while !self.store.is_empty() && self.serve_one_getter(ctx) {
                progressed = true;
            }
            while self.has_room() && !self.shut_down && self.serve_one_putter(ctx) {
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        if self.shut_down && self.store.is_empty() {
            for getter in self.getters.drain(..) {
                getter.fail(GetError::ShutDown);
            }
        }
        self.meters.length.set(self.store.len() as f64);
    }

    fn putters_waiting(&mut self) -> bool {
        while self.putters.front().is_some_and(Putter::is_closed) {
            self.putters.pop_front();
        }
        !self.putters.is_empty()
    }

    pub(super) fn push_getter(&mut self, getter: Getter<T>, ctx: &Context<Self>) {
        self.getters.push_back(getter);
        self.pump(ctx);
    }

    pub(super) fn give_back(&mut self, items: Vec<Held<T>>, epoch: u64, ctx: &Context<Self>) {
        let ours = epoch == self.epoch;
        if self.immediate {
            // An immediate shutdown drops remaining items, counting them done.
            if ours {
                self.finish(items.len());
            }
            return;
        }
        if !ours {
            // Taken from a previous instance: this one counts them as new.
            self.unfinished = self.unfinished.saturating_add(items.len());
        }
        self.restore(items);
        self.pump(ctx);
    }
}

impl<T: Send + 'static> Actor for QueueActor<T> {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let path = [metrics::path_label(ctx.path())];
        self.meters = Meters {
            length: metrics::gauge("retinue_queue_length", &path),
            puts: metrics::counter("retinue_queue_puts_total", &path),
            gets: metrics::counter("retinue_queue_gets_total", &path),
        };
        self.meters.length.set(self.store.len() as f64);
        Ok(())
    }

    async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
        self.meters.length.set(0.0);
    }
}

impl<T: Send + 'static> Handler<Put<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: Put<T>, ctx: &mut Context<Self>) {
        if msg.port.is_closed() {
            return; // the putter gave up before its put was seen
        }
        if self.shut_down {
            let _ = msg.port.send(Err(Refused::ShutDown));
        } else if self.putters_waiting() || !self.has_room() {
            self.putters.push_back(Putter::One {
                id: msg.id,
                port: msg.port,
            });
        } else {
            self.grant(msg.port, ctx);
        }
    }
}

impl<T: Send + 'static> Handler<Commit<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: Commit<T>, ctx: &mut Context<Self>) {
        if msg.epoch == self.epoch {
            self.reserved = self.reserved.saturating_sub(1);
        }
        if self.immediate {
            // Granted before an immediate shutdown: dropped like stored items.
            return;
        }
        self.accept(msg.item);
        self.pump(ctx);
    }
}

impl<T: Send + 'static> Handler<Unreserve> for QueueActor<T> {
    async fn handle(&mut self, msg: Unreserve, ctx: &mut Context<Self>) {
        if msg.epoch == self.epoch {
            self.reserved = self.reserved.saturating_sub(1);
            self.pump(ctx);
        }
    }
}

impl<T: Send + 'static> Handler<PutMany<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: PutMany<T>, ctx: &mut Context<Self>) {
        if msg.port.is_closed() {
            return;
        }
        if self.shut_down {
            let _ = msg.port.send(Err(PutError::ShutDown(msg.items)));
            return;
        }
        self.putters_waiting();
        self.putters.push_back(Putter::Many {
            items: msg.items.into(),
            port: msg.port,
        });
        self.pump(ctx);
        // An empty batch is answered by the pump like any other putter.
        if self.putters.back().is_some_and(|p| match p {
            Putter::Many { items, .. } => items.is_empty(),
            Putter::One { .. } => false,
        }) {
            if let Some(Putter::Many { port, .. }) = self.putters.pop_back() {
                let _ = port.send(Ok(()));
            }
        }
    }
}

impl<T: Send + 'static> Handler<TryPut<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: TryPut<T>, ctx: &mut Context<Self>) {
        if self.shut_down {
            let _ = msg.port.send(Err(Refused::ShutDown));
        } else if self.putters_waiting() || !self.has_room() {
            let _ = msg.port.send(Err(Refused::Full));
        } else {
            self.grant(msg.port, ctx);
        }
    }
}

impl<T: Send + 'static> Handler<WithdrawPut<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: WithdrawPut<T>, _: &mut Context<Self>) -> bool {
        let at = self
            .putters
            .iter()
            .position(|p| matches!(p, Putter::One { id, .. } if *id == msg.0));
        at.and_then(|at| self.putters.remove(at)).is_some()
    }
}

impl<T: Send + 'static> Handler<Sweep> for QueueActor<T> {
    async fn handle(&mut self, _: Sweep, ctx: &mut Context<Self>) {
        self.getters.retain(|g| !g.is_closed());
        self.putters.retain(|p| !p.is_closed());
        self.joiners.retain(|p| !p.is_closed());
        self.pump(ctx);
    }
}

impl<T: Send + 'static> Handler<Get<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: Get<T>, ctx: &mut Context<Self>) {
        if !msg.port.is_closed() {
            self.push_getter(Getter::One(msg.port), ctx);
        }
    }
}

impl<T: Send + 'static> Handler<GetMany<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: GetMany<T>, ctx: &mut Context<Self>) {
        if msg.max == 0 {
            let _ = msg.port.send(Err(GetError::ZeroCount));
        } else if !msg.port.is_closed() {
            self.push_getter(Getter::Many(msg.max, msg.port), ctx);
        }
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
        let delivered = Delivered::new(item, ctx.weak_addr(), self.epoch);
        self.meters.gets.increment(1);
        self.pump(ctx);
        Ok(delivered)
    }
}

impl<T: Send + 'static> Handler<GiveBack<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: GiveBack<T>, ctx: &mut Context<Self>) {
        self.give_back(vec![msg.item], msg.epoch, ctx);
    }
}

impl<T: Send + 'static> Handler<GiveBackMany<T>> for QueueActor<T> {
    async fn handle(&mut self, msg: GiveBackMany<T>, ctx: &mut Context<Self>) {
        self.give_back(msg.items, msg.epoch, ctx);
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
            putter.fail_shut_down();
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
