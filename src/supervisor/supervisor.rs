//! The [`Supervisor`] actor: starts its children in order, restarts them
//! by strategy within the restart intensity, and stops them in reverse
//! order.
//!
//! Invariants:
//! - `slots` is ordered by start order (keys only grow, process-wide), so "later
//!   siblings" is a key range and shutdown order is reverse key order.
//! - A slot is `Running` exactly while an instance it started is alive and
//!   its exit has not been handled. Exit notices for any other instance are
//!   stale and ignored, which makes the asynchronous notices and the
//!   supervisor's own synchronous stops agree.
//! - A slot in `Restarting` has a restart scheduled (backoff) and an open
//!   mailbox: messages queue for the next instance.
//! - A slot in `Stopped` has its mailbox closed for good; a later
//!   `restart_child` gives it a new mailbox (and address).
//! - A dynamic supervisor keeps only live children: a child that exits
//!   for good, is terminated, or asks to be ignored is removed at once
//!   (its factory and whatever it captured go with it).
//! - A group restart either ends with every member started (or ignored),
//!   or with the members it had started stopped again and the whole group
//!   scheduled anew (OTP's `try_again_restart`), counted against the
//!   intensity.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::{Actor, BoxError, Context, ExitReason, Message};

use super::child::{ErasedChild, ExitNotice};
use super::error::SupervisorError;
use super::flags::{AutoShutdown, Flags, Strategy};
use super::ignore::is_ignore;
use super::intensity::Intensity;
use super::spec::{ChildKind, ChildSpec, Restart, Shutdown};

/// Where a child is in its life.
///
/// ```
/// use retinue::{Actor, supervisor::{ChildSpec, ChildState, Strategy, Supervisor}};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
/// assert_eq!(sup.child("w").await.unwrap().state, ChildState::Running);
/// sup.terminate_child("w").await.unwrap();
/// assert_eq!(sup.child("w").await.unwrap().state, ChildState::Stopped);
/// sup.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildState {
    /// An instance is running.
    Running,
    /// It exited and waits for a scheduled restart (backoff).
    Restarting,
    /// It is not running and will not be restarted unless asked.
    Stopped,
}

pub(super) struct Slot {
    pub(super) id: String,
    pub(super) restart: Restart,
    pub(super) shutdown: Shutdown,
    pub(super) kind: ChildKind,
    pub(super) significant: bool,
    pub(super) child: Box<dyn ErasedChild>,
    pub(super) state: ChildState,
    pub(super) instance: u64,
    pub(super) restarts: u32,
    pub(super) backoff_attempt: u32,
    pub(super) last_start: Option<Instant>,
    /// Recent exits (when, why), oldest first, for tree snapshots.
    pub(super) exits: VecDeque<(Instant, ExitReason)>,
    /// When the scheduled restart is due, while `Restarting` with a backoff.
    pub(super) restart_at: Option<Instant>,
}

/// A supervisor: an actor whose job is to keep its children running.
///
/// ```
/// use retinue::{Actor, Context, Handler, Message};
/// use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
///
/// struct Worker;
/// impl Actor for Worker {}
/// struct Ping;
/// impl Message for Ping { type Reply = &'static str; }
/// impl Handler<Ping> for Worker {
///     async fn handle(&mut self, _: Ping, _: &mut Context<Self>) -> &'static str { "pong" }
/// }
///
/// # retinue::rt::block_on(async {
/// let spec = ChildSpec::worker("worker", || Worker);
/// let worker = spec.addr::<Worker>().unwrap();
/// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
/// assert_eq!(worker.ask(Ping).await, Ok("pong"));
/// sup.shutdown().await;
/// assert!(!worker.is_alive());
/// # });
/// ```
pub struct Supervisor {
    pub(super) flags: Flags,
    pub(super) pending: Vec<ChildSpec>,
    pub(super) slots: BTreeMap<u64, Slot>,
    pub(super) keys: HashMap<String, u64>,
    pub(super) intensity: Intensity,
    /// A [`DynamicSupervisor`](super::DynamicSupervisor)'s: keep only live
    /// children, shut them down concurrently.
    pub(super) dynamic: bool,
}

/// How a child start went when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Started {
    /// An instance is running.
    Running,
    /// The child said [`Ignore`](super::Ignore): nothing runs.
    Ignored,
}

/// A child instance ended (sent by its keeper).
pub(super) struct ChildExited {
    pub(super) key: u64,
    pub(super) instance: u64,
    pub(super) reason: ExitReason,
}
impl Message for ChildExited {
    type Reply = ();
}

/// A backoff delay has passed: restart these children, in order.
pub(super) struct RestartGroup(pub(super) Vec<u64>);
impl Message for RestartGroup {
    type Reply = ();
}

impl Supervisor {
    /// A supervisor with default [`Flags`] and `strategy`.
    ///
    /// ```
    /// use retinue::supervisor::{Flags, Strategy, Supervisor};
    ///
    /// let sup = Supervisor::new(Strategy::RestForOne);
    /// assert_eq!(sup.flags(), &Flags::new(Strategy::RestForOne));
    /// ```
    pub fn new(strategy: Strategy) -> Self {
        Self::with_flags(Flags::new(strategy))
    }

    /// A supervisor with these flags.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::supervisor::{Flags, Strategy, Supervisor};
    ///
    /// # retinue::rt::block_on(async {
    /// let flags = Flags::new(Strategy::OneForAll).intensity(10, Duration::from_secs(60));
    /// let sup = Supervisor::with_flags(flags).spawn().await.unwrap();
    /// let tree = sup.tree("root").await.unwrap();
    /// assert!(tree.children.is_empty());
    /// sup.shutdown().await;
    ///
    /// // Flags that make no sense are refused when it starts.
    /// let bad = Flags::default().intensity(1, Duration::ZERO);
    /// assert!(Supervisor::with_flags(bad).spawn().await.is_err());
    /// # });
    /// ```
    pub fn with_flags(flags: Flags) -> Self {
        Supervisor {
            intensity: Intensity::new(flags.max_restarts, flags.within),
            flags,
            pending: Vec::new(),
            slots: BTreeMap::new(),
            keys: HashMap::new(),
            dynamic: false,
        }
    }

    /// Adds a child, started after the ones added before it.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = (0..3)
    ///     .map(|i| ChildSpec::worker(format!("w{i}"), || Worker))
    ///     .fold(Supervisor::new(Strategy::OneForOne), Supervisor::child)
    ///     .spawn().await.unwrap();
    /// let ids: Vec<String> = sup.which_children().await.unwrap().into_iter().map(|c| c.id).collect();
    /// assert_eq!(ids, ["w0", "w1", "w2"]); // start order
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.pending.push(spec);
        self
    }

    /// The flags this supervisor runs with.
    ///
    /// ```
    /// use retinue::supervisor::{Strategy, Supervisor};
    ///
    /// let sup = Supervisor::new(Strategy::OneForAll);
    /// assert_eq!(sup.flags().strategy, Strategy::OneForAll);
    /// assert_eq!(sup.flags().max_restarts, 3);
    /// ```
    pub fn flags(&self) -> &Flags {
        &self.flags
    }

    pub(super) fn validate(&self, spec: &ChildSpec) -> Result<(), SupervisorError> {
        if spec.significant && spec.restart == Restart::Permanent {
            return Err(SupervisorError::InvalidSpec(format!(
                "child {:?} is significant and permanent; significant children must be transient or temporary",
                spec.id
            )));
        }
        if spec.significant && self.flags.auto_shutdown == AutoShutdown::Never {
            return Err(SupervisorError::InvalidSpec(format!(
                "child {:?} is significant but auto_shutdown is never",
                spec.id
            )));
        }
        Ok(())
    }

    pub(super) fn insert(&mut self, spec: ChildSpec) -> u64 {
        // Keys come from one process-wide counter: a notice sent to the
        // previous instance of this supervisor (same mailbox) can never
        // match a slot of the current one.
        static NEXT_KEY: AtomicU64 = AtomicU64::new(0);
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        self.keys.insert(spec.id.clone(), key);
        self.slots.insert(
            key,
            Slot {
                id: spec.id,
                restart: spec.restart,
                shutdown: spec.shutdown,
                kind: spec.kind,
                significant: spec.significant,
                child: spec.child,
                state: ChildState::Stopped,
                instance: 0,
                restarts: 0,
                backoff_attempt: 0,
                last_start: None,
                exits: VecDeque::new(),
                restart_at: None,
            },
        );
        key
    }

    fn notice(ctx: &Context<Self>, key: u64) -> ExitNotice {
        let me = ctx.weak_addr();
        Arc::new(move |instance, reason| {
            if let Some(me) = me.upgrade() {
                let _ = me.tell_urgent(ChildExited {
                    key,
                    instance,
                    reason,
                });
            }
        })
    }

    /// Starts the child in `key`; the error is its start failure. An
    /// ignored start leaves the slot `Stopped` (the caller decides whether
    /// the spec stays: see [`forget_ignored`](Self::forget_ignored)).
    pub(super) async fn start_slot(
        &mut self,
        key: u64,
        ctx: &Context<Self>,
    ) -> Result<Started, ExitReason> {
        let notice = Self::notice(ctx, key);
        let Some(slot) = self.slots.get_mut(&key) else {
            return Ok(Started::Ignored);
        };
        let path = match ctx.path() {
            Some(parent) => format!("{parent}/{}", slot.id),
            None => slot.id.clone(),
        };
        slot.child.set_path(path.into()); // for spans and metrics
        match slot.child.start(notice).await {
            Ok(instance) => {
                slot.instance = instance;
                slot.state = ChildState::Running;
                slot.last_start = Some(Instant::now());
                slot.restart_at = None;
                tracing::debug!(child = %slot.id, instance, "child started");
                Ok(Started::Running)
            }
            Err(reason) if is_ignore(&reason) => {
                slot.state = ChildState::Stopped;
                tracing::info!(child = %slot.id, "child start ignored");
                Ok(Started::Ignored)
            }
            Err(reason) => {
                slot.state = ChildState::Stopped;
                slot.record_exit(&reason);
                tracing::warn!(child = %slot.id, %reason, "child failed to start");
                Err(reason)
            }
        }
    }

    /// Stops the running instance in `key` (if any) by its shutdown policy.
    pub(super) async fn stop_slot(&mut self, key: u64) -> Option<ExitReason> {
        let slot = self.slots.get_mut(&key)?;
        if slot.state != ChildState::Running {
            return None;
        }
        let reason = slot.child.stop(slot.instance, slot.shutdown).await;
        slot.state = ChildState::Stopped;
        slot.record_exit(&reason);
        tracing::debug!(child = %slot.id, %reason, "child stopped");
        Some(reason)
    }

    /// Stops `key` for good: its mailbox closes, and a temporary child (or
    /// any child of a dynamic supervisor) is forgotten.
    pub(super) async fn terminate_slot(&mut self, key: u64, reason: ExitReason) {
        let reason = self.stop_slot(key).await.unwrap_or(reason);
        if let Some(slot) = self.slots.get_mut(&key) {
            slot.state = ChildState::Stopped;
            slot.child.close(reason).await;
            self.forget_if_done(key);
        }
    }

    /// Removes `key` if it is stopped and its spec is not to be kept:
    /// temporary children, and every child of a dynamic supervisor.
    pub(super) fn forget_if_done(&mut self, key: u64) {
        let forget = self.slots.get(&key).is_some_and(|s| {
            s.state == ChildState::Stopped && (self.dynamic || s.restart == Restart::Temporary)
        });
        if forget {
            self.remove(key);
        }
    }

    /// After an ignored start: closes the mailbox of a child whose spec is
    /// not kept, and removes it.
    pub(super) async fn forget_ignored(&mut self, key: u64) {
        let Some(slot) = self.slots.get_mut(&key) else {
            return;
        };
        if self.dynamic || slot.restart == Restart::Temporary {
            slot.child.close(ExitReason::Normal).await;
            self.remove(key);
        }
    }

    pub(super) fn remove(&mut self, key: u64) -> Option<Slot> {
        let slot = self.slots.remove(&key)?;
        self.keys.remove(&slot.id);
        Some(slot)
    }

    /// Stops every child in reverse start order and closes its mailbox. A
    /// dynamic supervisor's children are stopped all at once (OTP: they
    /// are terminated concurrently), so the whole takes as long as the
    /// slowest child's shutdown, not the sum.
    pub(super) async fn shutdown_all(&mut self) {
        if self.dynamic {
            self.stop_all_concurrently().await;
        }
        let keys: Vec<u64> = self.slots.keys().rev().copied().collect();
        for key in keys {
            self.terminate_slot(key, ExitReason::Shutdown).await;
        }
    }

    async fn stop_all_concurrently(&mut self) {
        let stops: Vec<_> = self
            .slots
            .values_mut()
            .rev()
            .filter(|slot| slot.state == ChildState::Running)
            .map(|slot| {
                let (instance, shutdown) = (slot.instance, slot.shutdown);
                Box::pin(async move {
                    let reason = slot.child.stop(instance, shutdown).await;
                    slot.state = ChildState::Stopped;
                    tracing::debug!(child = %slot.id, %reason, "child stopped");
                })
            })
            .collect();
        join_all(stops).await;
    }
}

impl Actor for Supervisor {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.flags.validate()?;
        let specs = std::mem::take(&mut self.pending);
        for spec in &specs {
            self.validate(spec)?;
            if specs.iter().filter(|s| s.id == spec.id).count() > 1 {
                return Err(SupervisorError::InvalidSpec(format!(
                    "duplicate child id {:?}",
                    spec.id
                ))
                .into());
            }
        }
        for spec in specs {
            let id = spec.id.clone();
            let key = self.insert(spec);
            match self.start_slot(key, ctx).await {
                Ok(Started::Running) => {}
                Ok(Started::Ignored) => self.forget_ignored(key).await,
                Err(reason) => {
                    self.shutdown_all().await;
                    return Err(SupervisorError::StartFailed { id, reason }.into());
                }
            }
        }
        Ok(())
    }

    async fn stopped(&mut self, _: &mut Context<Self>, reason: &ExitReason) {
        tracing::debug!(%reason, "supervisor stopping its children");
        self.shutdown_all().await;
    }
}

/// Runs every future to its end, concurrently, in this task.
async fn join_all<F: std::future::Future<Output = ()> + Unpin>(mut futures: Vec<F>) {
    std::future::poll_fn(|cx| {
        futures.retain_mut(|f| std::pin::Pin::new(f).poll(cx).is_pending());
        if futures.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}
