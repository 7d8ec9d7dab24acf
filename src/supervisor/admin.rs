//! [`SupervisorRef`]: the handle to a running supervisor, and the admin
//! messages behind it (OTP's start_child, terminate_child, restart_child,
//! delete_child, which_children, count_children).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::{Addr, Context, ExitReason, Handler, Message};

use super::error::SupervisorError;
use super::info::{ChildCounts, ChildInfo};
use super::spec::{ChildKind, ChildSpec};
use super::supervisor::{ChildState, Started, Supervisor};
use super::tree::{TreeNode, capacity_limit};

pub(super) struct Ping;
impl Message for Ping {
    type Reply = ();
}

pub(super) struct StartChild(ChildSpec);
impl Message for StartChild {
    type Reply = Result<ChildInfo, SupervisorError>;
}

pub(super) enum Admin {
    Terminate(String),
    Restart(String),
    Delete(String),
}
impl Message for Admin {
    type Reply = Result<(), SupervisorError>;
}

pub(super) struct WhichChildren;
impl Message for WhichChildren {
    type Reply = Vec<ChildInfo>;
}

/// One level of the tree: each child, and its address if it is a running
/// supervisor (the caller descends; a supervisor never waits on its own
/// children, which could be waiting on it to handle their exit).
pub(super) struct Snapshot;
impl Message for Snapshot {
    type Reply = Vec<(TreeNode, Option<Addr<Supervisor>>)>;
}

/// A handle to a running supervisor. Cheap to clone; like an [`Addr`], it
/// keeps the supervisor reachable, and when the last handle and address
/// are gone the supervisor shuts its tree down.
///
/// ```
/// use retinue::{Actor, ExitReason, supervisor::{ChildSpec, Strategy, Supervisor}};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne).spawn().await.unwrap();
/// let admin = sup.clone(); // handles are cheap to share
/// let info = admin.start_child(ChildSpec::worker("w", || Worker)).await.unwrap();
/// assert_eq!(sup.which_children().await.unwrap()[0].id, info.id);
/// assert_eq!(sup.shutdown().await, ExitReason::Shutdown);
/// # });
/// ```
#[derive(Clone)]
pub struct SupervisorRef {
    addr: Addr<Supervisor>,
}

impl Supervisor {
    /// Spawns the supervisor and waits until every child has started.
    /// If one fails to start, the ones already started are stopped and the
    /// error says which child and why.
    ///
    /// ```
    /// use retinue::{Actor, BoxError, Context};
    /// use retinue::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorError};
    ///
    /// struct Good;
    /// impl Actor for Good {}
    /// struct Broken;
    /// impl Actor for Broken {
    ///     async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
    ///         Err("no config".into())
    ///     }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let good = ChildSpec::worker("good", || Good);
    /// let good_addr = good.addr::<Good>().unwrap();
    /// let err = Supervisor::new(Strategy::OneForOne)
    ///     .child(good)
    ///     .child(ChildSpec::worker("broken", || Broken))
    ///     .spawn().await.unwrap_err();
    /// assert!(matches!(err, SupervisorError::StartFailed { ref id, .. } if id == "broken"));
    /// assert!(!good_addr.is_alive()); // started, then stopped again
    /// # });
    /// ```
    pub async fn spawn(self) -> Result<SupervisorRef, SupervisorError> {
        SupervisorRef::wait_started(crate::spawn(self)).await
    }
}

impl SupervisorRef {
    /// Waits until the supervisor behind `addr` has started its children.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor, SupervisorRef}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// // Spawned like any actor (e.g. by a config loader), then waited for.
    /// let addr = retinue::spawn(Supervisor::new(Strategy::OneForOne).child(ChildSpec::worker("w", || Worker)));
    /// let sup = SupervisorRef::wait_started(addr).await.unwrap();
    /// assert_eq!(sup.count_children().await.unwrap().active, 1);
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn wait_started(addr: Addr<Supervisor>) -> Result<SupervisorRef, SupervisorError> {
        match addr.ask(Ping).await {
            Ok(()) => Ok(SupervisorRef { addr }),
            Err(_) => Err(match addr.wait_stopped().await {
                ExitReason::Failed(err) => err
                    .downcast_ref::<SupervisorError>()
                    .cloned()
                    .unwrap_or(SupervisorError::StartFailed {
                        id: String::new(),
                        reason: ExitReason::Failed(err),
                    }),
                _ => SupervisorError::Unavailable,
            }),
        }
    }

    /// The supervisor's address.
    ///
    /// ```
    /// use retinue::supervisor::{Strategy, Supervisor};
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne).spawn().await.unwrap();
    /// let addr = sup.addr().clone();
    /// assert!(addr.is_alive());
    /// sup.shutdown().await;
    /// assert!(!addr.is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<Supervisor> {
        &self.addr
    }

    /// Adds and starts a child (OTP's start_child). The child's address is
    /// in the returned info.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor, SupervisorError}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne).spawn().await.unwrap();
    /// let info = sup.start_child(ChildSpec::worker("w", || Worker)).await.unwrap();
    /// assert!(info.addr::<Worker>().unwrap().is_alive());
    /// // Ids are unique within a supervisor.
    /// let again = sup.start_child(ChildSpec::worker("w", || Worker)).await;
    /// assert_eq!(again.unwrap_err(), SupervisorError::AlreadyStarted("w".into()));
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn start_child(&self, spec: ChildSpec) -> Result<ChildInfo, SupervisorError> {
        self.call(StartChild(spec)).await?
    }

    /// Stops a child for good and closes its mailbox; a temporary child (and
    /// any child of a dynamic supervisor) is also removed. Terminating a
    /// stopped child is not an error.
    ///
    /// ```
    /// use retinue::{Actor, ExitReason, supervisor::{ChildSpec, ChildState, Strategy, Supervisor}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let spec = ChildSpec::worker("w", || Worker);
    /// let w = spec.addr::<Worker>().unwrap();
    /// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
    /// sup.terminate_child("w").await.unwrap();
    /// assert_eq!(w.wait_stopped().await, ExitReason::Shutdown);
    /// assert_eq!(sup.child("w").await.unwrap().state, ChildState::Stopped); // not restarted
    /// sup.terminate_child("w").await.unwrap(); // again: not an error
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.call(Admin::Terminate(id.into())).await?
    }

    /// Starts a stopped child again, with a new mailbox.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, ChildState, Strategy, Supervisor, SupervisorError}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
    /// assert_eq!(sup.restart_child("w").await, Err(SupervisorError::Running("w".into())));
    /// sup.terminate_child("w").await.unwrap();
    /// sup.restart_child("w").await.unwrap();
    /// let info = sup.child("w").await.unwrap();
    /// assert_eq!(info.state, ChildState::Running);
    /// assert!(info.addr::<Worker>().unwrap().is_alive()); // a new mailbox
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn restart_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.call(Admin::Restart(id.into())).await?
    }

    /// Removes a stopped child's spec.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor, SupervisorError}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
    /// assert_eq!(sup.delete_child("w").await, Err(SupervisorError::Running("w".into())));
    /// sup.terminate_child("w").await.unwrap();
    /// sup.delete_child("w").await.unwrap();
    /// assert_eq!(sup.child("w").await.unwrap_err(), SupervisorError::NotFound("w".into()));
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.call(Admin::Delete(id.into())).await?
    }

    /// Every child, in start order.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("first", || Worker))
    ///     .child(ChildSpec::worker("second", || Worker))
    ///     .spawn().await.unwrap();
    /// let ids: Vec<String> = sup.which_children().await.unwrap().into_iter().map(|c| c.id).collect();
    /// assert_eq!(ids, ["first", "second"]);
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        self.call(WhichChildren).await
    }

    /// One child by id.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor, SupervisorError}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
    /// assert_eq!(sup.child("w").await.unwrap().restarts, 0);
    /// assert_eq!(sup.child("nope").await.unwrap_err(), SupervisorError::NotFound("nope".into()));
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn child(&self, id: &str) -> Result<ChildInfo, SupervisorError> {
        self.which_children()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| SupervisorError::NotFound(id.into()))
    }

    /// OTP's count_children.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("a", || Worker))
    ///     .child(ChildSpec::worker("b", || Worker))
    ///     .spawn().await.unwrap();
    /// let counts = sup.count_children().await.unwrap();
    /// assert_eq!((counts.specs, counts.active, counts.workers), (2, 2, 2));
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        let children = self.which_children().await?;
        Ok(ChildCounts {
            specs: children.len(),
            active: children
                .iter()
                .filter(|c| c.state == ChildState::Running)
                .count(),
            supervisors: children
                .iter()
                .filter(|c| c.kind == ChildKind::Supervisor)
                .count(),
            workers: children
                .iter()
                .filter(|c| c.kind == ChildKind::Worker)
                .count(),
        })
    }

    /// A snapshot of the tree below this supervisor, named `name`.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
    /// let tree = sup.tree("app").await.unwrap();
    /// assert_eq!(tree.to_string(), "app (Supervisor) running\n└── w (Worker) running\n");
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub async fn tree(&self, name: &str) -> Result<TreeNode, SupervisorError> {
        Ok(TreeNode {
            id: name.into(),
            actor: "Supervisor".into(),
            kind: ChildKind::Supervisor,
            state: ChildState::Running,
            restarts: 0,
            mailbox: self.addr.mailbox_len(),
            children: Self::subtree(self.addr.clone()).await?,
            handled: self.addr.handled(),
            capacity: capacity_limit(self.addr.capacity()),
            ..TreeNode::default()
        })
    }

    fn subtree(
        addr: Addr<Supervisor>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<TreeNode>, SupervisorError>> + Send>> {
        Box::pin(async move {
            let level = addr
                .ask_timeout(Snapshot, SNAPSHOT_TIMEOUT)
                .await
                .map_err(|_| SupervisorError::Unavailable)?;
            let mut nodes = Vec::with_capacity(level.len());
            for (mut node, sup) in level {
                if let Some(sup) = sup {
                    // A nested supervisor that is going away shows no children.
                    node.children = Self::subtree(sup).await.unwrap_or_default();
                }
                nodes.push(node);
            }
            Ok(nodes)
        })
    }

    /// Stops the tree: children in reverse start order, each within its
    /// shutdown time, recursively. Returns the supervisor's exit reason.
    ///
    /// ```
    /// use retinue::{Actor, Context, ExitReason};
    /// use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
    ///
    /// /// Records the order children stop in.
    /// struct Worker(&'static str, async_channel::Sender<&'static str>);
    /// impl Actor for Worker {
    ///     async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
    ///         let _ = self.1.send(self.0).await;
    ///     }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let (tx, rx) = async_channel::unbounded();
    /// let (t1, t2) = (tx.clone(), tx);
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("first", move || Worker("first", t1.clone())))
    ///     .child(ChildSpec::worker("second", move || Worker("second", t2.clone())))
    ///     .spawn().await.unwrap();
    /// assert_eq!(sup.shutdown().await, ExitReason::Shutdown);
    /// // Reverse start order.
    /// assert_eq!((rx.try_recv(), rx.try_recv()), (Ok("second"), Ok("first")));
    /// # });
    /// ```
    pub async fn shutdown(&self) -> ExitReason {
        self.addr.stop_with(ExitReason::Shutdown);
        self.addr.wait_stopped().await
    }

    async fn call<M: Message>(&self, msg: M) -> Result<M::Reply, SupervisorError>
    where
        Supervisor: Handler<M>,
    {
        self.addr
            .ask(msg)
            .await
            .map_err(|_| SupervisorError::Unavailable)
    }
}

impl fmt::Debug for SupervisorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SupervisorRef({})", self.addr.id())
    }
}

impl Supervisor {
    fn info(&self, key: u64) -> Option<ChildInfo> {
        let slot = self.slots.get(&key)?;
        Some(ChildInfo {
            id: slot.id.clone(),
            actor: slot.child.actor_type(),
            kind: slot.kind,
            restart: slot.restart,
            state: slot.state,
            restarts: slot.restarts,
            actor_id: slot.child.actor_id(),
            addr: slot.child.addr_any(),
            instance: slot.instance,
            stopper: slot.child.stopper(),
        })
    }

    fn key_of(&self, id: &str) -> Result<u64, SupervisorError> {
        self.keys
            .get(id)
            .copied()
            .ok_or_else(|| SupervisorError::NotFound(id.into()))
    }

    fn is_live(&self, key: u64) -> bool {
        self.slots
            .get(&key)
            .is_some_and(|s| s.state != ChildState::Stopped)
    }
}

impl Handler<Ping> for Supervisor {
    async fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
}

impl Handler<StartChild> for Supervisor {
    async fn handle(
        &mut self,
        StartChild(spec): StartChild,
        ctx: &mut Context<Self>,
    ) -> Result<ChildInfo, SupervisorError> {
        if let Some(&key) = self.keys.get(&spec.id) {
            // OTP: already_started only with a running instance; a child
            // that is stopped or waiting to restart is already_present.
            let running = self
                .slots
                .get(&key)
                .is_some_and(|s| s.state == ChildState::Running);
            return Err(if running {
                SupervisorError::AlreadyStarted(spec.id)
            } else {
                SupervisorError::AlreadyPresent(spec.id)
            });
        }
        self.validate(&spec)?;
        let id = spec.id.clone();
        let key = self.insert(spec);
        match self.start_slot(key, ctx).await {
            Ok(Started::Running) => {}
            Ok(Started::Ignored) => {
                let info = self.info(key).expect("the child was just inserted");
                self.forget_ignored(key).await;
                return Ok(info);
            }
            Err(reason) => {
                if let Some(mut slot) = self.remove(key) {
                    slot.child.close(reason.clone()).await;
                }
                return Err(SupervisorError::StartFailed { id, reason });
            }
        }
        Ok(self.info(key).expect("the child was just inserted"))
    }
}

impl Handler<Admin> for Supervisor {
    async fn handle(&mut self, msg: Admin, ctx: &mut Context<Self>) -> Result<(), SupervisorError> {
        match msg {
            Admin::Terminate(id) => {
                let key = self.key_of(&id)?;
                self.terminate_slot(key, ExitReason::Shutdown).await;
                Ok(())
            }
            Admin::Restart(id) => {
                let key = self.key_of(&id)?;
                if self.is_live(key) {
                    return Err(SupervisorError::Running(id));
                }
                match self.start_slot(key, ctx).await {
                    Ok(Started::Running) => Ok(()),
                    Ok(Started::Ignored) => {
                        self.forget_ignored(key).await;
                        Ok(())
                    }
                    Err(reason) => Err(SupervisorError::StartFailed { id, reason }),
                }
            }
            Admin::Delete(id) => {
                let key = self.key_of(&id)?;
                if self.is_live(key) {
                    return Err(SupervisorError::Running(id));
                }
                if let Some(mut slot) = self.remove(key) {
                    slot.child.close(ExitReason::Shutdown).await;
                }
                Ok(())
            }
        }
    }
}

impl Handler<WhichChildren> for Supervisor {
    async fn handle(&mut self, _: WhichChildren, _: &mut Context<Self>) -> Vec<ChildInfo> {
        self.slots.keys().filter_map(|&k| self.info(k)).collect()
    }
}

/// How long a tree snapshot waits for one supervisor's answer.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(2);

impl Handler<Snapshot> for Supervisor {
    async fn handle(
        &mut self,
        _: Snapshot,
        _: &mut Context<Self>,
    ) -> Vec<(TreeNode, Option<Addr<Supervisor>>)> {
        let budget = self.budget();
        self.slots
            .values()
            .map(|slot| {
                let node = slot.snapshot(budget);
                let running = slot.state == ChildState::Running;
                (node, slot.child.supervisor_addr().filter(|_| running))
            })
            .collect()
    }
}
