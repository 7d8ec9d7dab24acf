//! [`ChildSpec`]: how a supervisor builds, restarts and stops one child.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Actor, Addr, Capacity};

use super::child::{ErasedChild, TypedChild};
use super::supervisor::Supervisor;

/// When a child is restarted after it exits (OTP's restart types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// Always restarted.
    #[default]
    Permanent,
    /// Restarted only after an abnormal exit (`Failed`, `Panicked`, `Killed`).
    Transient,
    /// Never restarted, not even when a sibling's failure restarts the
    /// group; removed from the supervisor when it exits.
    Temporary,
}

/// How a child is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shutdown {
    /// Cancelled at once; `stopped` does not run (`ExitReason::Killed`).
    Brutal,
    /// Asked to stop, given this long to finish its message and run
    /// `stopped`, then cancelled.
    Timeout(#[serde(with = "crate::duration")] Duration),
    /// Asked to stop and waited for however long it takes (the default
    /// for supervisors, whose own children need their shutdown time).
    Infinity,
}

impl Shutdown {
    /// The default for workers: 5 seconds.
    pub const WORKER_DEFAULT: Shutdown = Shutdown::Timeout(Duration::from_secs(5));
}

/// Whether a child is a worker or a supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildKind {
    /// An ordinary actor.
    #[default]
    Worker,
    /// A [`Supervisor`] with children of its own.
    Supervisor,
}

/// The recipe for one child: an id, a factory called for every (re)start,
/// and the restart and shutdown policies.
///
/// The child's mailbox exists from the moment the spec is made, so its
/// address is known before anything starts; messages sent early wait for
/// the first instance.
///
/// ```
/// use std::time::Duration;
/// use retinue::{Actor, supervisor::{ChildSpec, Restart, Shutdown}};
///
/// struct Cache;
/// impl Actor for Cache {}
///
/// let spec = ChildSpec::worker("cache", || Cache)
///     .restart(Restart::Transient)
///     .shutdown(Shutdown::Timeout(Duration::from_millis(500)));
/// let cache = spec.addr::<Cache>().unwrap();
/// assert!(cache.is_alive());
/// assert_eq!(spec.id(), "cache");
/// ```
pub struct ChildSpec {
    pub(super) id: String,
    pub(super) restart: Restart,
    pub(super) shutdown: Shutdown,
    pub(super) kind: ChildKind,
    pub(super) significant: bool,
    pub(super) child: Box<dyn ErasedChild>,
}

impl ChildSpec {
    /// A worker child built by `factory`.
    pub fn worker<A, F>(id: impl Into<String>, factory: F) -> Self
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        Self::new(id, ChildKind::Worker, factory)
    }

    /// A supervisor child built by `factory`; its shutdown defaults to
    /// [`Shutdown::Infinity`].
    pub fn supervisor<F>(id: impl Into<String>, factory: F) -> Self
    where
        F: FnMut() -> Supervisor + Send + 'static,
    {
        Self::new(id, ChildKind::Supervisor, factory)
    }

    fn new<A, F>(id: impl Into<String>, kind: ChildKind, factory: F) -> Self
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        ChildSpec {
            id: id.into(),
            restart: Restart::Permanent,
            shutdown: match kind {
                ChildKind::Worker => Shutdown::WORKER_DEFAULT,
                ChildKind::Supervisor => Shutdown::Infinity,
            },
            kind,
            significant: false,
            child: Box::new(TypedChild::new(factory, A::CAPACITY)),
        }
    }

    /// Sets the restart type (default [`Restart::Permanent`]).
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets how the child is stopped.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Marks the child significant for the supervisor's
    /// [`AutoShutdown`](super::AutoShutdown). Only transient and temporary
    /// children may be significant.
    pub fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// Sets the mailbox capacity. This makes a new mailbox: take addresses
    /// after setting it.
    pub fn capacity(mut self, capacity: Capacity) -> Self {
        self.child.set_capacity(capacity);
        self
    }

    /// The child's id, unique within its supervisor.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The child's address, if the child's actor type is `A`. It stays
    /// valid across automatic restarts.
    pub fn addr<A: Actor>(&self) -> Option<Addr<A>> {
        self.child.addr_any().downcast_ref::<Addr<A>>().cloned()
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("actor", &self.child.actor_type())
            .field("kind", &self.kind)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("significant", &self.significant)
            .finish()
    }
}
