//! RwLock: many readers or one writer, as an actor.
//!
//! Invariants (of one [`RwLockActor`] instance):
//! - the grants in force are either one writer, or readers plus at most
//!   one upgradable reader, together never more than `max_readers` (when
//!   set); grants are guards whose `Drop` releases through the control
//!   lane (never lost, no await);
//! - requests are served strictly FIFO in the order received: a queued
//!   writer blocks every reader behind it (no writer starvation), and a
//!   new arrival never overtakes a queued waiter;
//! - a pending upgrade (the upgradable reader asking for write) blocks new
//!   readers and is granted as soon as the current readers leave;
//! - a waiter that gives up (its future is dropped or times out) is
//!   removed at once: its future sends a `GaveUp` notice on the control
//!   lane, so the readers behind a writer that gave up proceed; a grant
//!   that reaches nobody is handed back by [`ReplyTo::send`] and undone;
//! - every grant id comes from a process-wide counter and is never reused,
//!   so releasing twice, or releasing a grant of an earlier instance of a
//!   restarted actor, changes nothing;
//! - after every handler, if the front waiter could be granted it has been;
//! - `Status` never changes state.

use std::collections::{HashSet, VecDeque};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

use super::error::RwLockError;
use crate::{Actor, Context, Handler, Message, ReplyTo};

mod guard;
mod handle;

pub use guard::{RwLockReadGuard, RwLockUpgradableGuard, RwLockWriteGuard};
pub use handle::RwLock;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Settings of a [`RwLockActor`]; the default is an rwlock without a
/// reader cap. In a config file: `args = { max_readers = 8 }` (0 is
/// refused).
///
/// ```
/// use std::num::NonZeroUsize;
/// use retinue::sync::RwLockOptions;
///
/// assert_eq!(RwLockOptions::default().max_readers, None);
/// let capped = RwLockOptions::default().with_max_readers(NonZeroUsize::new(8).unwrap());
/// assert_eq!(capped.max_readers.map(NonZeroUsize::get), Some(8));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RwLockOptions {
    /// At most this many read grants at a time (the upgradable one
    /// included); further readers queue, FIFO like everyone else.
    /// Default: no cap.
    pub max_readers: Option<NonZeroUsize>,
}

impl RwLockOptions {
    /// These options with a reader cap.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use retinue::sync::RwLockOptions;
    /// let two = NonZeroUsize::new(2).unwrap();
    /// let opts = RwLockOptions::default().with_max_readers(two);
    /// assert_eq!(opts.max_readers, Some(two));
    /// ```
    pub fn with_max_readers(mut self, max: NonZeroUsize) -> Self {
        self.max_readers = Some(max);
        self
    }
}

/// A snapshot of an rwlock's state.
///
/// ```
/// use retinue::sync::RwLock;
/// # retinue::rt::block_on(async {
/// let rw = RwLock::new();
/// let up = rw.upgradable_read().await.unwrap();
/// let s = rw.status().await.unwrap();
/// assert_eq!((s.readers, s.upgradable, s.writer, s.queued), (1, true, false, 0));
/// # drop(up);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RwLockStatus {
    /// Read grants in force (the upgradable one included).
    pub readers: usize,
    /// Whether a write grant is in force.
    pub writer: bool,
    /// Whether an upgradable read grant is in force.
    pub upgradable: bool,
    /// Live waiters queued (a pending upgrade included).
    pub queued: usize,
    /// Waiter entries the actor holds, abandoned ones included: equal to
    /// `queued` except between a wait's drop and its `GaveUp` notice.
    pub entries: usize,
}

enum Waiter {
    Read(u64, ReplyTo<RwLockReadGuard>),
    Write(u64, ReplyTo<RwLockWriteGuard>),
    Upgradable(u64, ReplyTo<RwLockUpgradableGuard>),
}

impl Waiter {
    fn id(&self) -> u64 {
        match self {
            Waiter::Read(id, _) | Waiter::Write(id, _) | Waiter::Upgradable(id, _) => *id,
        }
    }

    fn is_closed(&self) -> bool {
        match self {
            Waiter::Read(_, p) => p.is_closed(),
            Waiter::Write(_, p) => p.is_closed(),
            Waiter::Upgradable(_, p) => p.is_closed(),
        }
    }
}

/// The read-write lock actor; usually reached through a [`RwLock`].
///
/// ```
/// use retinue::sync::{RwLock, RwLockActor, RwLockOptions};
/// # retinue::rt::block_on(async {
/// let rw = RwLock::from_addr(retinue::spawn(RwLockActor::new(RwLockOptions::default())));
/// let r1 = rw.read().await.unwrap();
/// let r2 = rw.read().await.unwrap();
/// assert_eq!(rw.status().await.unwrap().readers, 2);
/// # drop((r1, r2));
/// # });
/// ```
pub struct RwLockActor {
    max_readers: usize,
    writer: Option<u64>,
    readers: HashSet<u64>,
    upgradable: Option<u64>,
    upgrading: Option<(u64, ReplyTo<Result<RwLockWriteGuard, RwLockError>>)>,
    queue: VecDeque<Waiter>,
}

impl RwLockActor {
    /// A free rwlock.
    ///
    /// ```
    /// use retinue::sync::{RwLock, RwLockActor, RwLockOptions};
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::from_addr(retinue::spawn(RwLockActor::new(RwLockOptions::default())));
    /// let _reader = rw.read().await.unwrap();
    /// # });
    /// ```
    pub fn new(options: RwLockOptions) -> Self {
        let RwLockOptions { max_readers } = options;
        RwLockActor {
            max_readers: max_readers.map_or(usize::MAX, NonZeroUsize::get),
            writer: None,
            readers: HashSet::new(),
            upgradable: None,
            upgrading: None,
            queue: VecDeque::new(),
        }
    }

    /// Read grants in force, the upgradable one included.
    fn read_grants(&self) -> usize {
        self.readers.len() + usize::from(self.upgradable.is_some())
    }

    fn can_read(&self) -> bool {
        self.writer.is_none() && self.upgrading.is_none() && self.read_grants() < self.max_readers
    }

    fn can_write(&self) -> bool {
        self.writer.is_none() && self.readers.is_empty() && self.upgradable.is_none()
    }

    fn can_upgradable(&self) -> bool {
        self.writer.is_none() && self.upgradable.is_none() && self.read_grants() < self.max_readers
    }

    /// Grants everything that can be granted, in order.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        loop {
            if self.readers.is_empty() && self.writer.is_none() {
                if let Some((id, port)) = self.upgrading.take() {
                    self.upgradable = None;
                    self.writer = Some(id);
                    if let Err(Ok(guard)) = port.send(Ok(RwLockWriteGuard::new(id, ctx))) {
                        guard.0.disarm();
                        self.writer = None;
                    }
                    continue;
                }
            }
            let Some(front) = self.queue.front() else {
                return;
            };
            if front.is_closed() {
                self.queue.pop_front();
                continue;
            }
            let ready = match front {
                Waiter::Read(..) => self.can_read(),
                Waiter::Write(..) => self.can_write(),
                Waiter::Upgradable(..) => self.can_upgradable(),
            };
            if !ready {
                return;
            }
            match self.queue.pop_front() {
                Some(Waiter::Read(id, port)) => {
                    self.readers.insert(id);
                    if let Err(guard) = port.send(RwLockReadGuard::new(id, ctx)) {
                        guard.0.disarm();
                        self.readers.remove(&id);
                    }
                }
                Some(Waiter::Write(id, port)) => {
                    self.writer = Some(id);
                    if let Err(guard) = port.send(RwLockWriteGuard::new(id, ctx)) {
                        guard.0.disarm();
                        self.writer = None;
                    }
                }
                Some(Waiter::Upgradable(id, port)) => {
                    self.upgradable = Some(id);
                    if let Err(guard) = port.send(RwLockUpgradableGuard::new(id, ctx)) {
                        guard.0.disarm();
                        self.upgradable = None;
                    }
                }
                None => return,
            }
        }
    }

    fn enqueue(&mut self, waiter: Waiter, ctx: &mut Context<Self>) {
        if !waiter.is_closed() {
            self.queue.push_back(waiter);
        }
        self.pump(ctx);
    }

    /// Whether a `try_` request may be granted now (nobody live is queued).
    fn nobody_waiting(&mut self, ctx: &mut Context<Self>) -> bool {
        self.pump(ctx);
        self.queue.is_empty() && self.upgrading.is_none()
    }
}

impl Actor for RwLockActor {}

/// Request: park until a read grant (sent with `ask_with`).
pub struct Read(pub u64, pub ReplyTo<RwLockReadGuard>);
impl Message for Read {
    type Reply = ();
}

/// Request: park until a write grant.
pub struct Write(pub u64, pub ReplyTo<RwLockWriteGuard>);
impl Message for Write {
    type Reply = ();
}

/// Request: park until an upgradable read grant.
pub struct UpgradableRead(pub u64, pub ReplyTo<RwLockUpgradableGuard>);
impl Message for UpgradableRead {
    type Reply = ();
}

/// The `try_` forms: which grant to try.
///
/// ```
/// use retinue::sync::rwlock::{Try, TryGrant, TryKind};
/// use retinue::sync::{RwLockActor, RwLockOptions};
/// # retinue::rt::block_on(async {
/// let rw = retinue::spawn(RwLockActor::new(RwLockOptions::default()));
/// let grant = rw.ask(Try(TryKind::Write)).await.unwrap();
/// assert!(matches!(grant, Ok(TryGrant::Write(_))));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryKind {
    /// A read grant.
    Read,
    /// A write grant.
    Write,
    /// An upgradable read grant.
    Upgradable,
}

/// The answer to a [`Try`] request.
///
/// ```
/// use retinue::sync::rwlock::{Try, TryGrant, TryKind};
/// use retinue::sync::{RwLockActor, RwLockOptions};
/// # retinue::rt::block_on(async {
/// let rw = retinue::spawn(RwLockActor::new(RwLockOptions::default()));
/// let Ok(TryGrant::Read(guard)) = rw.ask(Try(TryKind::Read)).await.unwrap() else {
///     panic!("a free rwlock grants a read");
/// };
/// # drop(guard);
/// # });
/// ```
pub enum TryGrant {
    /// A read grant.
    Read(RwLockReadGuard),
    /// A write grant.
    Write(RwLockWriteGuard),
    /// An upgradable read grant.
    Upgradable(RwLockUpgradableGuard),
}

/// Request: grant now or answer [`RwLockError::WouldBlock`].
///
/// ```
/// use retinue::sync::RwLockError;
/// use retinue::sync::rwlock::{Try, TryKind};
/// use retinue::sync::{RwLockActor, RwLockOptions};
/// # retinue::rt::block_on(async {
/// let rw = retinue::spawn(RwLockActor::new(RwLockOptions::default()));
/// let _writer = rw.ask(Try(TryKind::Write)).await.unwrap().ok().unwrap();
/// let reader = rw.ask(Try(TryKind::Read)).await.unwrap();
/// assert!(matches!(reader, Err(RwLockError::WouldBlock)));
/// # });
/// ```
pub struct Try(pub TryKind);
impl Message for Try {
    type Reply = Result<TryGrant, RwLockError>;
}

/// Request: turn upgradable grant `id` into a write grant once the other
/// readers have left.
pub struct Upgrade(pub u64, pub ReplyTo<Result<RwLockWriteGuard, RwLockError>>);
impl Message for Upgrade {
    type Reply = ();
}

/// Turn write (or upgradable) grant `id` into a read grant.
pub struct Downgrade(pub u64);
impl Message for Downgrade {
    type Reply = ();
}

/// Turn write grant `id` into an upgradable read grant.
pub struct DowngradeToUpgradable(pub u64);
impl Message for DowngradeToUpgradable {
    type Reply = ();
}

/// Turn upgradable grant `id` into a write grant now, or answer
/// [`RwLockError::WouldBlock`] (other readers hold grants) or
/// [`RwLockError::Stale`] (not the upgradable grant, or an upgrade of it
/// is pending).
pub struct TryUpgrade(pub u64);
impl Message for TryUpgrade {
    type Reply = Result<RwLockWriteGuard, RwLockError>;
}

/// Release grant `id` (sent by guards on drop); unknown ids are ignored.
pub struct Release(pub u64);
impl Message for Release {
    type Reply = ();
}

/// The waiter with this id gave up (sent by a dropped request future).
pub struct GaveUp(pub u64);
impl Message for GaveUp {
    type Reply = ();
}

/// Ask for a [`RwLockStatus`].
///
/// ```
/// use retinue::sync::rwlock::Status;
/// use retinue::sync::{RwLockActor, RwLockOptions};
/// # retinue::rt::block_on(async {
/// let rw = retinue::spawn(RwLockActor::new(RwLockOptions::default()));
/// let s = rw.ask(Status).await.unwrap();
/// assert_eq!((s.readers, s.writer, s.queued), (0, false, 0));
/// # });
/// ```
pub struct Status;
impl Message for Status {
    type Reply = RwLockStatus;
}

impl Handler<Read> for RwLockActor {
    async fn handle(&mut self, Read(id, port): Read, ctx: &mut Context<Self>) {
        self.enqueue(Waiter::Read(id, port), ctx);
    }
}

impl Handler<Write> for RwLockActor {
    async fn handle(&mut self, Write(id, port): Write, ctx: &mut Context<Self>) {
        self.enqueue(Waiter::Write(id, port), ctx);
    }
}

impl Handler<UpgradableRead> for RwLockActor {
    async fn handle(&mut self, UpgradableRead(id, port): UpgradableRead, ctx: &mut Context<Self>) {
        self.enqueue(Waiter::Upgradable(id, port), ctx);
    }
}

impl Handler<Try> for RwLockActor {
    async fn handle(
        &mut self,
        Try(kind): Try,
        ctx: &mut Context<Self>,
    ) -> Result<TryGrant, RwLockError> {
        if !self.nobody_waiting(ctx) {
            return Err(RwLockError::WouldBlock);
        }
        let id = next_id();
        match kind {
            TryKind::Read if self.can_read() => {
                self.readers.insert(id);
                Ok(TryGrant::Read(RwLockReadGuard::new(id, ctx)))
            }
            TryKind::Write if self.can_write() => {
                self.writer = Some(id);
                Ok(TryGrant::Write(RwLockWriteGuard::new(id, ctx)))
            }
            TryKind::Upgradable if self.can_upgradable() => {
                self.upgradable = Some(id);
                Ok(TryGrant::Upgradable(RwLockUpgradableGuard::new(id, ctx)))
            }
            _ => Err(RwLockError::WouldBlock),
        }
    }
}

impl Handler<Upgrade> for RwLockActor {
    async fn handle(&mut self, Upgrade(id, port): Upgrade, ctx: &mut Context<Self>) {
        if self.upgradable != Some(id) || self.upgrading.is_some() {
            let _ = port.send(Err(RwLockError::Stale));
            return;
        }
        self.upgrading = Some((id, port));
        self.pump(ctx);
    }
}

impl Handler<Downgrade> for RwLockActor {
    async fn handle(&mut self, Downgrade(id): Downgrade, ctx: &mut Context<Self>) {
        if self.writer == Some(id) {
            self.writer = None;
        } else if self.upgradable == Some(id) && self.upgrading.is_none() {
            self.upgradable = None;
        } else {
            return;
        }
        self.readers.insert(id);
        self.pump(ctx);
    }
}

impl Handler<DowngradeToUpgradable> for RwLockActor {
    async fn handle(
        &mut self,
        DowngradeToUpgradable(id): DowngradeToUpgradable,
        ctx: &mut Context<Self>,
    ) {
        if self.writer == Some(id) {
            self.writer = None;
            self.upgradable = Some(id);
            self.pump(ctx);
        }
    }
}

impl Handler<TryUpgrade> for RwLockActor {
    async fn handle(
        &mut self,
        TryUpgrade(id): TryUpgrade,
        ctx: &mut Context<Self>,
    ) -> Result<RwLockWriteGuard, RwLockError> {
        if self.upgradable != Some(id) || self.upgrading.is_some() {
            return Err(RwLockError::Stale);
        }
        if !self.readers.is_empty() {
            return Err(RwLockError::WouldBlock);
        }
        self.upgradable = None;
        self.writer = Some(id);
        Ok(RwLockWriteGuard::new(id, ctx))
    }
}

impl Handler<Release> for RwLockActor {
    async fn handle(&mut self, Release(id): Release, ctx: &mut Context<Self>) {
        if self.writer == Some(id) {
            self.writer = None;
        } else if self.readers.remove(&id) {
        } else if self.upgradable == Some(id) {
            self.upgradable = None;
            if matches!(self.upgrading, Some((u, _)) if u == id) {
                self.upgrading = None;
            }
        } else {
            return;
        }
        self.pump(ctx);
    }
}

impl Handler<GaveUp> for RwLockActor {
    async fn handle(&mut self, GaveUp(id): GaveUp, ctx: &mut Context<Self>) {
        self.queue.retain(|w| w.id() != id);
        self.pump(ctx);
    }
}

impl Handler<Status> for RwLockActor {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> RwLockStatus {
        let live = self.queue.iter().filter(|w| !w.is_closed()).count();
        RwLockStatus {
            readers: self.readers.len() + usize::from(self.upgradable.is_some()),
            writer: self.writer.is_some(),
            upgradable: self.upgradable.is_some(),
            queued: live + usize::from(self.upgrading.is_some()),
            entries: self.queue.len() + usize::from(self.upgrading.is_some()),
        }
    }
}
