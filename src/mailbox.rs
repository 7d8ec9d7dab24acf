//! The mailbox: one structure, two lanes, shared by every address of an
//! actor and by whoever runs its instances.
//!
//! Invariants:
//! - The **user lane** ([`Lane`]) holds told and asked messages in arrival
//!   order. When bounded, `queued` never exceeds `limit`: a sender reserves
//!   a place before pushing and the receiver frees it when it takes the
//!   message out to handle it. Places are a counter, not preallocated
//!   slots, so an idle actor costs no queue memory whatever its capacity.
//! - Senders wake the receiver only when it is parked (the lane's `PARKED`
//!   tag), and the receiver wakes senders only when the lane was full, so
//!   a busy actor and its senders exchange no notifications at all. There
//!   is one receiver, so its wake-up is an [`AtomicWaker`] (one atomic
//!   swap each side), not a listener list: parking costs no allocation and
//!   no lock.
//! - The **control lane** is unbounded and always served first. Sending to
//!   it never waits, so `Drop` code can use it (a guard's release), and it
//!   never loses a signal while the mailbox is open. It is rare traffic, so
//!   it is a mutex-guarded `VecDeque` (no memory until used) with an atomic
//!   length that keeps the receiver's hot path to one load. "First"
//!   holds across the lanes: a signal pushed before a user message is
//!   handled before it, because the receiver looks at the control lane
//!   again after every take from the user lane (the take synchronises
//!   with the pushes it returns, so it sees what was pushed before them).
//! - The mailbox outlives actor instances: a supervisor runs a fresh
//!   instance on the same mailbox after a crash, and queued messages wait
//!   for it. Only [`Mailbox::close`] ends it, once; after that every push
//!   fails, everything queued is dropped (so pending asks fail instead of
//!   hanging) and the exit reason is published to waiters and watchers.
//! - Orphaned means no sender left *and then* both lanes empty, looked at in
//!   that order: a sender's pushes happen before its leaving, so a message
//!   told just before the last address drops is still handled.
//! - One receiver: only the [`Inbox`](crate::Inbox) receives and closes,
//!   and it keeps the messages taken but not yet handled in its [`Batch`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::task::{Context as TaskContext, Poll};

use atomic_waker::AtomicWaker;
use event_listener::{Event, listener};

use crate::addr::ActorId;
use crate::envelope::Envelope;
use crate::exit::ExitReason;
use crate::lane::{Batch, Lane, Pushed};

mod handover;
mod shared;

pub(crate) use handover::Handover;

pub use shared::SharedMailbox;

/// How many messages a mailbox's user lane holds before `tell` waits.
///
/// ```
/// use retinue::Capacity;
///
/// assert_eq!(Capacity::DEFAULT, Capacity::Bounded(256));
/// assert_eq!(Capacity::Bounded(0).normalized(), Capacity::Bounded(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// At most this many queued messages; `tell` waits for room and
    /// `try_tell` answers `Full`. Zero is treated as one.
    Bounded(usize),
    /// No limit: `tell` never waits. Use only where the senders are
    /// themselves bounded, or memory is the limit.
    Unbounded,
}

impl Capacity {
    /// The default, 256 messages.
    ///
    /// Capacity costs no memory until messages are actually queued (the
    /// bound is a counter), so the default is chosen for throughput: the
    /// `core` bench shows tell throughput flat from 256 up, and slower
    /// below it, where the sender parks more often: 15-20 % at 16 on one
    /// worker, and several times on a busy two-worker machine.
    pub const DEFAULT: Capacity = Capacity::Bounded(256);

    /// Zero-sized bounds become one.
    pub fn normalized(self) -> Capacity {
        match self {
            Capacity::Bounded(0) => Capacity::Bounded(1),
            other => other,
        }
    }

    fn limit(self) -> usize {
        match self.normalized() {
            Capacity::Bounded(n) => n,
            Capacity::Unbounded => usize::MAX,
        }
    }
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity::DEFAULT
    }
}

/// What the control lane carries.
pub(crate) enum Control<A> {
    /// End the current instance with this reason after the message in hand.
    Exit(ExitReason),
    /// End instance number `instance` (and no later one) with this reason:
    /// a failure reported by one of its owned tasks, or a supervisor's stop.
    Fail { instance: u64, reason: ExitReason },
    /// An urgent message, served before the user lane.
    Message(Envelope<A>),
}

/// What the receiver gets next.
pub(crate) enum Received<A> {
    Control(Control<A>),
    Message(Envelope<A>),
    /// No strong address is left and both lanes are empty: nobody can ever
    /// send again.
    Orphaned,
}

type Watcher = Box<dyn FnOnce(ActorId, &ExitReason) + Send>;

struct ExitState {
    reason: Option<ExitReason>,
    watchers: Vec<Watcher>,
}

struct ControlLane<A> {
    queue: VecDeque<Control<A>>,
    closed: bool,
}

/// The parts of a mailbox that most actors use once, at the end, or
/// never: allocated on first use, so that an idle actor does not carry
/// them (they are half the mailbox).
struct Cold<A> {
    control: Mutex<ControlLane<A>>,
    exit: Mutex<ExitState>,
}

impl<A> Cold<A> {
    fn new() -> Self {
        Cold {
            control: Mutex::new(ControlLane {
                queue: VecDeque::new(),
                closed: false,
            }),
            exit: Mutex::new(ExitState {
                reason: None,
                watchers: Vec::new(),
            }),
        }
    }
}

pub(crate) struct Mailbox<A> {
    id: ActorId,
    user: Lane<A>,
    /// The control lane's length: the receiver's hot path reads only this.
    control_len: AtomicUsize,
    limit: usize,
    queued: AtomicUsize,
    instances: AtomicU64,
    /// Messages handed to an instance's handler (relaxed; for observers).
    handled: AtomicU64,
    senders: AtomicUsize,
    /// Wakes the (one) receiver: a push to a parked lane, a control
    /// message, or the last sender leaving.
    arrived: AtomicWaker,
    /// Wakes senders waiting for room.
    room: Event,
    exited: Event,
    cold: OnceLock<Box<Cold<A>>>,
    /// Counts asks; made when the first instance starts.
    #[cfg(feature = "metrics")]
    ask_meter: OnceLock<crate::metrics::AskMeter>,
}

/// Why a push did not happen; carries the envelope back.
pub(crate) enum PushFailed<A> {
    Full(Envelope<A>),
    Closed(Envelope<A>),
}

impl<A> Mailbox<A> {
    pub(crate) fn new(capacity: Capacity) -> Self {
        Mailbox {
            id: ActorId::next(),
            user: Lane::new(),
            control_len: AtomicUsize::new(0),
            limit: capacity.limit(),
            queued: AtomicUsize::new(0),
            instances: AtomicU64::new(0),
            handled: AtomicU64::new(0),
            senders: AtomicUsize::new(0),
            arrived: AtomicWaker::new(),
            room: Event::new(),
            exited: Event::new(),
            cold: OnceLock::new(),
            #[cfg(feature = "metrics")]
            ask_meter: OnceLock::new(),
        }
    }

    pub(crate) fn id(&self) -> ActorId {
        self.id
    }

    pub(crate) fn capacity(&self) -> Capacity {
        if self.limit == usize::MAX {
            Capacity::Unbounded
        } else {
            Capacity::Bounded(self.limit)
        }
    }

    /// Counts a new instance starting on this mailbox; returns its number.
    pub(crate) fn next_instance(&self) -> u64 {
        self.instances.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// How many instances have started on this mailbox.
    pub(crate) fn instances(&self) -> u64 {
        self.instances.load(Ordering::Relaxed)
    }

    /// Counts one message handled (one relaxed add: a statistic, not a
    /// synchronisation point).
    pub(crate) fn count_handled(&self) {
        self.handled.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages handled so far, by every instance run on this mailbox.
    pub(crate) fn handled(&self) -> u64 {
        self.handled.load(Ordering::Relaxed)
    }

    /// Messages sent and not yet handed to an instance (those the
    /// receiver has taken into its batch included).
    pub(crate) fn len(&self) -> usize {
        if self.is_closed() {
            return 0;
        }
        self.queued.load(Ordering::Relaxed)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.user.is_closed()
    }

    // ----- senders -------------------------------------------------------

    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn remove_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.arrived.wake();
        }
    }

    fn try_reserve(&self) -> bool {
        if self.limit == usize::MAX {
            // Unbounded: counted only so that `len` can tell.
            self.queued.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        let mut queued = self.queued.load(Ordering::Relaxed);
        loop {
            if queued >= self.limit {
                return false;
            }
            match self.queued.compare_exchange_weak(
                queued,
                queued + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => queued = now,
            }
        }
    }

    /// Frees the place of a message taken out (or never pushed).
    ///
    /// Senders wait only after seeing the lane full, and nothing but this
    /// changes a full count, so the place freed from a full lane is the
    /// first change every waiting sender can miss: waking all of them
    /// then (they retry, and the losers wait again) loses no one, and a
    /// lane that is not full costs no notification at all.
    fn unreserve(&self) {
        if self.queued.fetch_sub(1, Ordering::AcqRel) == self.limit {
            self.room.notify(usize::MAX);
        }
    }

    /// Pushes to the user lane if there is room right now.
    pub(crate) fn try_push(&self, envelope: Envelope<A>) -> Result<(), PushFailed<A>> {
        if !self.try_reserve() {
            // Closed takes precedence: a closed mailbox is never "full".
            if self.is_closed() {
                return Err(PushFailed::Closed(envelope));
            }
            return Err(PushFailed::Full(envelope));
        }
        // The push itself sees a close (no separate check on the hot path).
        match self.user.push(envelope) {
            Pushed::Delivered { wake } => {
                if wake {
                    self.arrived.wake();
                }
                Ok(())
            }
            Pushed::Closed(envelope) => {
                self.unreserve();
                Err(PushFailed::Closed(envelope))
            }
        }
    }

    /// Pushes to the user lane, waiting for room (backpressure).
    pub(crate) async fn push(&self, mut envelope: Envelope<A>) -> Result<(), Envelope<A>> {
        loop {
            match self.try_push(envelope) {
                Ok(()) => return Ok(()),
                Err(PushFailed::Closed(e)) => return Err(e),
                Err(PushFailed::Full(e)) => envelope = e,
            }
            listener!(self.room => room);
            // Pairs with the fence in `Event::notify`, as in `receive`.
            std::sync::atomic::fence(Ordering::SeqCst);
            match self.try_push(envelope) {
                Ok(()) => return Ok(()),
                Err(PushFailed::Closed(e)) => return Err(e),
                Err(PushFailed::Full(e)) => envelope = e,
            }
            room.await;
        }
    }

    /// Pushes to the control lane; never waits.
    pub(crate) fn push_control(&self, control: Control<A>) -> Result<(), Control<A>> {
        {
            let mut lane = self.lock_control();
            if lane.closed {
                return Err(control);
            }
            lane.queue.push_back(control);
            self.control_len.store(lane.queue.len(), Ordering::Release);
        }
        self.arrived.wake();
        Ok(())
    }

    /// Makes the ask counters (once), labelled with `path`.
    #[cfg(feature = "metrics")]
    pub(crate) fn meter_asks(&self, path: Option<&str>)
    where
        A: 'static,
    {
        self.ask_meter
            .get_or_init(|| crate::metrics::AskMeter::new::<A>(path));
    }

    /// Counts an ask (`timed_out`: one that timed out).
    #[inline]
    pub(crate) fn count_ask(&self, timed_out: bool) {
        #[cfg(feature = "metrics")]
        if let Some(meter) = self.ask_meter.get() {
            if timed_out {
                meter.timed_out();
            } else {
                meter.asked();
            }
        }
        #[cfg(not(feature = "metrics"))]
        let _ = timed_out;
    }

    fn cold(&self) -> &Cold<A> {
        self.cold.get_or_init(|| Box::new(Cold::new()))
    }

    fn lock_control(&self) -> MutexGuard<'_, ControlLane<A>> {
        lock(&self.cold().control)
    }

    /// The next control signal; an empty lane is one load (inlined in
    /// every receive).
    #[inline]
    fn pop_control(&self) -> Option<Control<A>> {
        if self.control_len.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.pop_control_locked()
    }

    #[cold]
    fn pop_control_locked(&self) -> Option<Control<A>> {
        let mut lane = self.lock_control();
        let control = lane.queue.pop_front();
        self.control_len.store(lane.queue.len(), Ordering::Release);
        control
    }

    // ----- the receiver ----------------------------------------------------

    /// The next thing for the actor if there is one right now.
    pub(crate) fn try_receive(&self, batch: &mut Batch<A>) -> Option<Received<A>> {
        if let Some(next) = self.try_take(batch) {
            return Some(next);
        }
        if self.senders.load(Ordering::Acquire) != 0 {
            return None;
        }
        // The last sender may have pushed after the look above and then
        // left: its push happens before its leaving, which we just saw, so
        // look again before calling the actor orphaned.
        Some(self.try_take(batch).unwrap_or(Received::Orphaned))
    }

    /// Control first, then the batch, refilled from the user lane.
    fn try_take(&self, batch: &mut Batch<A>) -> Option<Received<A>> {
        if let Some(control) = self.pop_control() {
            return Some(Received::Control(control));
        }
        if batch.is_empty() {
            *batch = self.user.take();
            // A signal pushed after the look above but before one of these
            // messages (by the same sender, say) must still go first: the
            // take synchronises with those pushes, so a second look sees it.
            if !batch.is_empty() {
                if let Some(control) = self.pop_control() {
                    return Some(Received::Control(control));
                }
            }
        }
        let envelope = batch.pop()?;
        self.unreserve();
        Some(Received::Message(envelope))
    }

    /// The next thing for the actor: control first, then user messages.
    /// `batch` is the receiver's own store of taken messages.
    pub(crate) async fn receive(&self, batch: &mut Batch<A>) -> Received<A> {
        std::future::poll_fn(|cx| self.poll_receive(batch, cx)).await
    }

    fn poll_receive(&self, batch: &mut Batch<A>, cx: &mut TaskContext<'_>) -> Poll<Received<A>> {
        loop {
            if let Some(next) = self.try_receive(batch) {
                return Poll::Ready(next);
            }
            // Registered before parking and before the re-checks below: a
            // sender changes what they look at (the lane, the control
            // length, the sender count) before its `wake`, and both sides
            // pass through the waker's read-modify-write, so either this
            // poll sees the change or the sender sees this waker.
            self.arrived.register(cx.waker());
            // Parking is the user lane's re-check (it fails if a message
            // is there); the control lane and the senders are re-checked
            // here. Not through `try_receive`: taking would clear the tag.
            if !self.user.park() {
                continue;
            }
            if let Some(control) = self.pop_control() {
                return Poll::Ready(Received::Control(control));
            }
            if self.senders.load(Ordering::Acquire) == 0 {
                // Not orphaned yet: a last push may have landed after the
                // park (`try_receive` looks again).
                continue;
            }
            return Poll::Pending;
        }
    }

    // ----- the end -----------------------------------------------------------

    /// Ends the mailbox for good, dropping what is queued and what the
    /// receiver had `taken`. Returns false if it was already closed.
    pub(crate) fn close(&self, reason: ExitReason, taken: Batch<A>) -> bool {
        let Some(queued) = self.user.close() else {
            return false;
        };
        let control = {
            let mut lane = self.lock_control();
            lane.closed = true;
            self.control_len.store(0, Ordering::Release);
            std::mem::take(&mut lane.queue)
        };
        // Dropping what is queued drops the ports of pending asks: they
        // fail. Outside the lock: a dropped message may send on drop.
        drop_each(control);
        drop_each(taken);
        drop_each(queued);
        self.room.notify(usize::MAX);
        let watchers = {
            let mut exit = self.lock_exit();
            exit.reason = Some(reason.clone());
            std::mem::take(&mut exit.watchers)
        };
        self.exited.notify(usize::MAX);
        for watcher in watchers {
            watcher(self.id, &reason);
        }
        true
    }

    fn lock_exit(&self) -> MutexGuard<'_, ExitState> {
        lock(&self.cold().exit)
    }

    pub(crate) fn exit_reason(&self) -> Option<ExitReason> {
        // Not closed before the cold part exists: no need to allocate it.
        let cold = self.cold.get()?;
        lock(&cold.exit).reason.clone()
    }

    /// Calls `watcher` once with the final exit reason: later, or right now
    /// when the mailbox is already closed.
    pub(crate) fn on_exit(&self, watcher: Watcher) {
        let reason = {
            let mut exit = self.lock_exit();
            match &exit.reason {
                Some(reason) => reason.clone(),
                None => {
                    exit.watchers.push(watcher);
                    return;
                }
            }
        };
        watcher(self.id, &reason);
    }

    pub(crate) async fn wait_closed(&self) -> ExitReason {
        loop {
            if let Some(reason) = self.exit_reason() {
                return reason;
            }
            listener!(self.exited => exited);
            if let Some(reason) = self.exit_reason() {
                return reason;
            }
            exited.await;
        }
    }
}

/// Locks, ignoring poison: every critical section here leaves its data
/// consistent even if a watcher or a dropped message panics later.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Drops messages one by one, each under `catch_unwind`: a message whose
/// `Drop` panics must not end the close half-way (the messages after it
/// would leak, their askers wait forever, and the exit would never be
/// published to waiters and watchers).
fn drop_each<T>(items: impl IntoIterator<Item = T>) {
    for item in items {
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(item)));
        if let Err(payload) = dropped {
            tracing::warn!(panic = %crate::rt::panic_message(&*payload), "a message's `Drop` panicked at close");
        }
    }
}
