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
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::{Actor, BoxError, Context, ExitReason, Handler, Message};

use super::child::{ErasedChild, ExitNotice};
use super::error::SupervisorError;
use super::flags::{AutoShutdown, Flags, Strategy};
use super::ignore::is_ignore;
use super::intensity::Intensity;
use super::spec::{ChildKind, ChildSpec, Restart, Shutdown};
use super::tree::RestartBudget;

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
    backoff_attempt: u32,
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
    pending: Vec<ChildSpec>,
    pub(super) slots: BTreeMap<u64, Slot>,
    pub(super) keys: HashMap<String, u64>,
    intensity: Intensity,
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
    key: u64,
    instance: u64,
    reason: ExitReason,
}
impl Message for ChildExited {
    type Reply = ();
}

/// A backoff delay has passed: restart these children, in order.
pub(super) struct RestartGroup(Vec<u64>);
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

    async fn child_exited(&mut self, exit: ChildExited, ctx: &mut Context<Self>) {
        let ChildExited {
            key,
            instance,
            reason,
        } = exit;
        let Some(slot) = self.slots.get_mut(&key) else {
            return;
        };
        if slot.state != ChildState::Running || slot.instance != instance {
            return; // stale: already handled, or an older instance
        }
        slot.state = ChildState::Stopped;
        slot.record_exit(&reason);
        if reason.is_abnormal() {
            tracing::warn!(child = %slot.id, %reason, "child exited");
        } else {
            tracing::info!(child = %slot.id, %reason, "child exited");
        }
        let restart = match slot.restart {
            Restart::Permanent => true,
            Restart::Transient => reason.is_abnormal(),
            Restart::Temporary => false,
        };
        if !restart {
            let significant = slot.significant;
            slot.child.close(reason).await;
            self.forget_if_done(key);
            if significant {
                self.auto_shutdown(ctx).await;
            }
            return;
        }
        if !self.intensity.allow(Instant::now()) {
            self.escalate(ctx).await;
            return;
        }
        let group = self.restart_group_of(key).await;
        self.schedule_restart(key, group, ctx).await;
    }

    /// The children that restart with `key` under the strategy, in start
    /// order; the running ones among them are stopped (in reverse order)
    /// and temporary bystanders are removed.
    async fn restart_group_of(&mut self, key: u64) -> Vec<u64> {
        let group: Vec<u64> = match self.flags.strategy {
            Strategy::OneForOne => vec![key],
            Strategy::OneForAll => self.slots.keys().copied().collect(),
            Strategy::RestForOne => self.slots.range(key..).map(|(k, _)| *k).collect(),
        };
        for &other in group.iter().rev().filter(|&&k| k != key) {
            let temporary = self.slots.get(&other).map(|s| s.restart) == Some(Restart::Temporary);
            if temporary {
                self.terminate_slot(other, ExitReason::Shutdown).await;
            } else {
                self.stop_slot(other).await;
            }
        }
        group
            .into_iter()
            .filter(|k| {
                self.slots
                    .get(k)
                    .is_some_and(|s| s.state == ChildState::Stopped)
            })
            .collect()
    }

    /// Restarts `group` now, or after the backoff delay of `key`.
    async fn schedule_restart(&mut self, key: u64, group: Vec<u64>, ctx: &mut Context<Self>) {
        let delay = self.next_backoff(key);
        for k in &group {
            if let Some(slot) = self.slots.get_mut(k) {
                slot.state = ChildState::Restarting;
            }
        }
        if delay.is_zero() {
            self.restart_group(group, ctx).await;
        } else {
            if let Some(slot) = self.slots.get(&key) {
                tracing::info!(child = %slot.id, delay = ?delay, "restart backoff");
            }
            self.restart_due(&group, delay);
            ctx.send_after(RestartGroup(group), delay);
        }
    }

    fn next_backoff(&mut self, key: u64) -> Duration {
        let Some(backoff) = &self.flags.backoff else {
            return Duration::ZERO;
        };
        let Some(slot) = self.slots.get_mut(&key) else {
            return Duration::ZERO;
        };
        if slot
            .last_start
            .is_some_and(|t| t.elapsed() >= self.flags.backoff_reset)
        {
            slot.backoff_attempt = 0;
        }
        let delay = backoff.delay(slot.backoff_attempt);
        slot.backoff_attempt = slot.backoff_attempt.saturating_add(1);
        delay
    }

    /// Starts `group` in order. When one member fails to start, the
    /// members started before it are stopped again (reverse order) and the
    /// whole group is restarted after the failed child's backoff (OTP
    /// redoes the group: `try_again_restart`); the failure counts against
    /// the intensity.
    async fn restart_group(&mut self, group: Vec<u64>, ctx: &mut Context<Self>) {
        let mut started = Vec::new();
        for &key in &group {
            let Some(slot) = self.slots.get_mut(&key) else {
                continue;
            };
            if slot.state != ChildState::Restarting {
                continue; // terminated by an admin call meanwhile
            }
            slot.restarts += 1;
            tracing::info!(child = %slot.id, restarts = slot.restarts, "restarting child");
            match self.start_slot(key, ctx).await {
                Ok(Started::Running) => started.push(key),
                Ok(Started::Ignored) => self.forget_ignored(key).await,
                Err(_) => {
                    // A failed restart counts as another exit of that child.
                    if !self.intensity.allow(Instant::now()) {
                        self.escalate(ctx).await;
                        return;
                    }
                    for &k in started.iter().rev() {
                        self.stop_slot(k).await;
                    }
                    let again: Vec<u64> = group
                        .iter()
                        .copied()
                        .filter(|k| k == &key || started.contains(k) || self.is_restarting(*k))
                        .collect();
                    for k in &again {
                        if let Some(slot) = self.slots.get_mut(k) {
                            slot.state = ChildState::Restarting;
                        }
                    }
                    let delay = self.next_backoff(key);
                    self.restart_due(&again, delay);
                    ctx.send_after(RestartGroup(again), delay);
                    return;
                }
            }
        }
    }

    fn is_restarting(&self, key: u64) -> bool {
        self.slots
            .get(&key)
            .is_some_and(|s| s.state == ChildState::Restarting)
    }

    /// Notes when the restart of `group` is due, for snapshots.
    fn restart_due(&mut self, group: &[u64], delay: Duration) {
        let at = Instant::now() + delay;
        for k in group {
            if let Some(slot) = self.slots.get_mut(k) {
                slot.restart_at = Some(at);
            }
        }
    }

    /// The restart intensity spent so far, for snapshots.
    pub(super) fn budget(&self) -> RestartBudget {
        RestartBudget {
            used: self.intensity.used(Instant::now()),
            max: self.flags.max_restarts,
            within: self.flags.within,
        }
    }

    async fn escalate(&mut self, ctx: &mut Context<Self>) {
        let error = SupervisorError::IntensityExceeded {
            max_restarts: self.flags.max_restarts,
            within: self.flags.within,
        };
        tracing::error!(%error, "restart intensity exceeded; escalating");
        self.shutdown_all().await;
        ctx.fail(error);
    }

    async fn auto_shutdown(&mut self, ctx: &mut Context<Self>) {
        let shut = match self.flags.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .slots
                .values()
                .any(|s| s.significant && s.state != ChildState::Stopped),
        };
        if shut {
            tracing::info!("significant children exited; auto shutdown");
            ctx.stop_with(ExitReason::Shutdown);
        }
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

impl Handler<ChildExited> for Supervisor {
    async fn handle(&mut self, msg: ChildExited, ctx: &mut Context<Self>) {
        self.child_exited(msg, ctx).await;
    }
}

impl Handler<RestartGroup> for Supervisor {
    async fn handle(&mut self, msg: RestartGroup, ctx: &mut Context<Self>) {
        self.restart_group(msg.0, ctx).await;
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
