//! [`ChildInfo`] and [`ChildCounts`]: what `which_children`, `child` and
//! `count_children` answer (OTP's which_children / count_children).
//!
//! Invariant: a `ChildInfo` is a snapshot; its [`exit`](ChildInfo::exit)
//! only ever reaches the instance that was running when it was taken.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::{Actor, ActorId, Addr, ExitReason};

use super::child::InstanceStopper;
use super::spec::{ChildKind, Restart};
use super::supervisor::ChildState;

/// One child as `which_children` sees it.
///
/// ```
/// use retinue::{Actor, supervisor::{ChildSpec, ChildState, Restart, Strategy, Supervisor}};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
/// let info = sup.child("w").await.unwrap();
/// assert_eq!((info.id.as_str(), info.actor), ("w", "Worker"));
/// assert_eq!((info.state, info.restart, info.restarts), (ChildState::Running, Restart::Permanent, 0));
/// sup.shutdown().await;
/// # });
/// ```
#[derive(Clone)]
pub struct ChildInfo {
    /// Its id.
    pub id: String,
    /// Its actor type's short name.
    pub actor: &'static str,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart type.
    pub restart: Restart,
    /// Where it is in its life.
    pub state: ChildState,
    /// How many times it has been restarted.
    pub restarts: u32,
    /// Its current mailbox's identity.
    pub actor_id: ActorId,
    pub(super) addr: Arc<dyn Any + Send + Sync>,
    /// The instance running when this info was taken (0: none).
    pub(super) instance: u64,
    pub(super) stopper: InstanceStopper,
}

impl ChildInfo {
    /// Its address, if its actor type is `A`.
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
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
    /// let info = sup.child("w").await.unwrap();
    /// assert!(info.addr::<Supervisor>().is_none()); // wrong type
    /// assert_eq!(info.addr::<Worker>().unwrap().ask(Ping).await, Ok("pong"));
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn addr<A: Actor>(&self) -> Option<Addr<A>> {
        self.addr.downcast_ref::<Addr<A>>().cloned()
    }

    /// Ends the instance that was running when this info was taken with
    /// `reason`, whatever the child's actor type (Erlang's `exit(Pid,
    /// Reason)` on a pid from `which_children`); the supervisor then
    /// handles the exit as it would a crash. An instance that has already
    /// ended is left alone: its replacement is never hit.
    ///
    /// ```
    /// use retinue::{Actor, ExitReason};
    /// use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
    /// sup.child("w").await.unwrap().exit(ExitReason::failed("chaos"));
    /// while sup.child("w").await.unwrap().restarts == 0 {
    ///     retinue::rt::sleep(std::time::Duration::from_millis(1)).await;
    /// }
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn exit(&self, reason: ExitReason) {
        if self.state == ChildState::Running {
            (self.stopper)(self.instance, reason);
        }
    }
}

impl fmt::Debug for ChildInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildInfo")
            .field("id", &self.id)
            .field("actor", &self.actor)
            .field("kind", &self.kind)
            .field("state", &self.state)
            .field("restarts", &self.restarts)
            .finish()
    }
}

/// OTP's count_children.
///
/// ```
/// use retinue::{Actor, supervisor::{ChildCounts, ChildSpec, Strategy, Supervisor}};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::worker("a", || Worker))
///     .child(ChildSpec::worker("b", || Worker))
///     .child(ChildSpec::supervisor("sub", || Supervisor::new(Strategy::OneForOne)))
///     .spawn().await.unwrap();
/// sup.terminate_child("b").await.unwrap();
/// let counts = sup.count_children().await.unwrap();
/// assert_eq!(counts, ChildCounts { specs: 3, active: 2, supervisors: 1, workers: 2 });
/// sup.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ChildCounts {
    /// All child specs.
    pub specs: usize,
    /// Children with a running instance.
    pub active: usize,
    /// Supervisor children.
    pub supervisors: usize,
    /// Worker children.
    pub workers: usize,
}
