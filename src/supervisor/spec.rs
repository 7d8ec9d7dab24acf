//! [`ChildSpec`]: how a supervisor builds, restarts and stops one child.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Actor, Addr, Capacity, SharedMailbox};

use super::child::{ErasedChild, TypedChild};
use super::supervisor::Supervisor;

/// When a child is restarted after it exits (OTP's restart types).
///
/// ```
/// use retinue::{Actor, Context, ExitReason};
/// use retinue::supervisor::{ChildSpec, ChildState, Restart, Strategy, Supervisor};
///
/// // A transient job that finishes normally is not restarted.
/// struct Job;
/// impl Actor for Job {
///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), retinue::BoxError> {
///         ctx.stop(); // done at once, normally
///         Ok(())
///     }
/// }
///
/// # retinue::rt::block_on(async {
/// let spec = ChildSpec::worker("job", || Job).restart(Restart::Transient);
/// let job = spec.addr::<Job>().unwrap();
/// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
/// assert_eq!(job.wait_stopped().await, ExitReason::Normal);
/// let info = sup.child("job").await.unwrap();
/// assert_eq!((info.state, info.restarts), (ChildState::Stopped, 0));
/// sup.shutdown().await;
/// # });
/// ```
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
///
/// ```
/// use std::time::Duration;
/// use retinue::{Actor, ExitReason};
/// use retinue::supervisor::{ChildSpec, Shutdown, Strategy, Supervisor};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// // Brutal: cancelled at once, without running `stopped`.
/// let spec = ChildSpec::worker("w", || Worker).shutdown(Shutdown::Brutal);
/// let w = spec.addr::<Worker>().unwrap();
/// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
/// sup.terminate_child("w").await.unwrap();
/// assert_eq!(w.wait_stopped().await, ExitReason::Killed);
/// assert_eq!(Shutdown::WORKER_DEFAULT, Shutdown::Timeout(Duration::from_secs(5)));
/// sup.shutdown().await;
/// # });
/// ```
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
///
/// ```
/// use retinue::{Actor, supervisor::{ChildKind, ChildSpec, Strategy, Supervisor}};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::worker("w", || Worker))
///     .child(ChildSpec::supervisor("sub", || Supervisor::new(Strategy::OneForAll)))
///     .spawn().await.unwrap();
/// let kinds: Vec<ChildKind> = sup.which_children().await.unwrap().iter().map(|c| c.kind).collect();
/// assert_eq!(kinds, vec![ChildKind::Worker, ChildKind::Supervisor]);
/// sup.shutdown().await;
/// # });
/// ```
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
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    /// use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
    ///
    /// struct Counter(u32);
    /// impl Actor for Counter {}
    /// struct Next;
    /// impl Message for Next { type Reply = u32; }
    /// impl Handler<Next> for Counter {
    ///     async fn handle(&mut self, _: Next, _: &mut Context<Self>) -> u32 { self.0 += 1; self.0 }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// // The factory builds a fresh instance on every (re)start.
    /// let spec = ChildSpec::worker("counter", || Counter(100));
    /// let counter = spec.addr::<Counter>().unwrap();
    /// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
    /// assert_eq!(counter.ask(Next).await, Ok(101));
    /// assert_eq!(counter.ask(Next).await, Ok(102));
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn worker<A, F>(id: impl Into<String>, factory: F) -> Self
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        Self::new(id, ChildKind::Worker, factory)
    }

    /// A supervisor child built by `factory`; its shutdown defaults to
    /// [`Shutdown::Infinity`].
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// // A nested supervisor, with a worker of its own.
    /// let inner = ChildSpec::supervisor("workers", || {
    ///     Supervisor::new(Strategy::OneForOne).child(ChildSpec::worker("w", || Worker))
    /// });
    /// let root = Supervisor::new(Strategy::OneForOne).child(inner).spawn().await.unwrap();
    /// let tree = root.tree("root").await.unwrap();
    /// assert!(tree.find("workers/w").is_some());
    /// root.shutdown().await;
    /// # });
    /// ```
    pub fn supervisor<F>(id: impl Into<String>, factory: F) -> Self
    where
        F: FnMut() -> Supervisor + Send + 'static,
    {
        Self::new(id, ChildKind::Supervisor, factory)
    }

    /// A worker child that also serves `shared` whenever its own mailbox
    /// is empty (see [`Inbox::share`](crate::Inbox::share)), restarted
    /// instances included: how a balancing pool's workers are declared.
    ///
    /// ```
    /// use retinue::{Actor, Capacity, Context, Handler, Message, SharedMailbox};
    /// use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
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
    /// let jobs = SharedMailbox::new(Capacity::DEFAULT);
    /// let sup = Supervisor::new(Strategy::OneForOne)
    ///     .child(ChildSpec::worker_sharing("a", &jobs, || Square))
    ///     .child(ChildSpec::worker_sharing("b", &jobs, || Square))
    ///     .spawn()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(jobs.ask(Job(4)).await, Ok(16));
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn worker_sharing<A, F>(
        id: impl Into<String>,
        shared: &SharedMailbox<A>,
        factory: F,
    ) -> Self
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        let child = TypedChild::new(factory, A::CAPACITY).sharing(shared);
        Self::with_child(id, ChildKind::Worker, Box::new(child))
    }

    fn new<A, F>(id: impl Into<String>, kind: ChildKind, factory: F) -> Self
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        Self::with_child(id, kind, Box::new(TypedChild::new(factory, A::CAPACITY)))
    }

    fn with_child(id: impl Into<String>, kind: ChildKind, child: Box<dyn ErasedChild>) -> Self {
        ChildSpec {
            id: id.into(),
            restart: Restart::Permanent,
            shutdown: match kind {
                ChildKind::Worker => Shutdown::WORKER_DEFAULT,
                ChildKind::Supervisor => Shutdown::Infinity,
            },
            kind,
            significant: false,
            child,
        }
    }

    /// Sets the restart type (default [`Restart::Permanent`]).
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Restart, Strategy, Supervisor}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let spec = ChildSpec::worker("once", || Worker).restart(Restart::Temporary);
    /// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
    /// let info = sup.child("once").await.unwrap();
    /// assert_eq!(info.restart, Restart::Temporary);
    /// // A temporary child that exits (here: terminated) is forgotten.
    /// sup.terminate_child("once").await.unwrap();
    /// assert_eq!(sup.count_children().await.unwrap().specs, 0);
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets how the child is stopped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::{Actor, Context, ExitReason};
    /// use retinue::supervisor::{ChildSpec, Shutdown, Strategy, Supervisor};
    ///
    /// /// Takes its time to clean up.
    /// struct Slow;
    /// impl Actor for Slow {
    ///     async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
    ///         std::future::pending::<()>().await // never finishes
    ///     }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let spec = ChildSpec::worker("slow", || Slow).shutdown(Shutdown::Timeout(Duration::from_millis(10)));
    /// let slow = spec.addr::<Slow>().unwrap();
    /// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
    /// sup.shutdown().await;
    /// // Its `stopped` overran the 10 ms it was given: it was cancelled.
    /// assert_eq!(slow.wait_stopped().await, ExitReason::Killed);
    /// # });
    /// ```
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Marks the child significant for the supervisor's
    /// [`AutoShutdown`](super::AutoShutdown). Only transient and temporary
    /// children may be significant.
    ///
    /// ```
    /// use retinue::{Actor, Context, ExitReason, Handler, Message};
    /// use retinue::supervisor::{AutoShutdown, ChildSpec, Flags, Restart, Strategy, Supervisor};
    ///
    /// /// The main job: finishes when told its work is done.
    /// struct Main;
    /// impl Actor for Main {}
    /// struct Done;
    /// impl Message for Done { type Reply = (); }
    /// impl Handler<Done> for Main {
    ///     async fn handle(&mut self, _: Done, ctx: &mut Context<Self>) { ctx.stop() }
    /// }
    /// struct Helper;
    /// impl Actor for Helper {}
    ///
    /// # retinue::rt::block_on(async {
    /// let flags = Flags::new(Strategy::OneForOne).auto_shutdown(AutoShutdown::AnySignificant);
    /// let sup = Supervisor::with_flags(flags)
    ///     .child(ChildSpec::worker("helper", || Helper))
    ///     .child(ChildSpec::worker("main", || Main).restart(Restart::Transient).significant(true))
    ///     .spawn().await.unwrap();
    /// let main = sup.child("main").await.unwrap().addr::<Main>().unwrap();
    /// assert!(main.tell(Done).await.is_ok());
    /// // When `main` is done, the supervisor shuts itself (and `helper`) down.
    /// assert_eq!(sup.addr().wait_stopped().await, ExitReason::Shutdown);
    /// # });
    /// ```
    pub fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// Sets the mailbox capacity. This makes a new mailbox: take addresses
    /// after setting it.
    ///
    /// ```
    /// use retinue::{Actor, Capacity, supervisor::ChildSpec};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// let spec = ChildSpec::worker("w", || Worker).capacity(Capacity::Bounded(8));
    /// let w = spec.addr::<Worker>().unwrap(); // taken after setting it
    /// assert_eq!(w.capacity(), Capacity::Bounded(8));
    /// ```
    pub fn capacity(mut self, capacity: Capacity) -> Self {
        self.child.set_capacity(capacity);
        self
    }

    /// The child's id, unique within its supervisor.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::ChildSpec};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// assert_eq!(ChildSpec::worker(format!("worker-{}", 3), || Worker).id(), "worker-3");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The child's address, if the child's actor type is `A`. It stays
    /// valid across automatic restarts.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    /// use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
    ///
    /// struct Echo;
    /// impl Actor for Echo {}
    /// struct Say(&'static str);
    /// impl Message for Say { type Reply = &'static str; }
    /// impl Handler<Say> for Echo {
    ///     async fn handle(&mut self, Say(s): Say, _: &mut Context<Self>) -> &'static str { s }
    /// }
    /// struct Other;
    /// impl Actor for Other {}
    ///
    /// # retinue::rt::block_on(async {
    /// let spec = ChildSpec::worker("echo", || Echo);
    /// assert!(spec.addr::<Other>().is_none()); // not its actor type
    /// let echo = spec.addr::<Echo>().unwrap();
    /// // A message sent before the child runs waits for its first instance.
    /// let early = retinue::rt::spawn({
    ///     let echo = echo.clone();
    ///     async move { echo.ask(Say("early")).await }
    /// });
    /// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
    /// assert_eq!(early.await.unwrap(), Ok("early"));
    /// sup.shutdown().await;
    /// # });
    /// ```
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
