//! [`Group`]: a task group (structured concurrency). Children run as
//! tasks; leaving the group waits for all of them and for everything they
//! started, at any depth.
//!
//! Invariants:
//! - The group's [`Hold`] (see `hold.rs`) counts every live child and,
//!   through nested groups, gathers and as_completed streams, every live
//!   descendant. A child's hold is taken under the lock before it can run
//!   and dropped only after its future (and its cleanup) is gone, so
//!   "only the owner's hold is left" means every descendant has finished
//!   its cleanup — cancelled ones included, however deep.
//! - Phases only move forward: open → cancelling → finished. Spawning is
//!   accepted only while open. `join` finishes the group only when the
//!   owner's hold is the last one, under the lock, so nothing can slip in
//!   after.
//! - The first failure (error, panic, abnormal actor exit, an `Err` from a
//!   scope's body) moves the group to cancelling and aborts every other
//!   child. Every real failure is kept; cancellations never are.
//! - Dropping the [`Group`] (its owner was cancelled, or never joined)
//!   aborts every child; an enclosing scope still waits for them to go.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use event_listener::Event;
use futures_lite::FutureExt;

use crate::rt::{self, AbortHandle};
use crate::{Actor, Addr};

use super::error::TaskError;
use super::hold::{Hold, ScopeRef};
use super::spawner::Spawner;

/// A task group. Spawn children with [`spawn`](Group::spawn) (or through a
/// clonable [`Spawner`]), then [`join`](Group::join): it waits for all of
/// them. The first failure cancels the rest and `join` returns every real
/// failure. Dropping the group cancels its children.
///
/// ```
/// use retinue::task::{Group, TaskError};
///
/// # retinue::rt::block_on(async {
/// let group = Group::new();
/// let (tx, rx) = async_channel::unbounded();
/// for i in 0..3 {
///     let tx = tx.clone();
///     group.spawn(async move { tx.send(i).await.map_err(|_| "closed") }).unwrap();
/// }
/// group.join().await.unwrap();
/// assert_eq!(rx.len(), 3);
///
/// let group = Group::new();
/// group.spawn(async { retinue::rt::sleep(std::time::Duration::from_secs(60)).await; Ok(()) }).unwrap();
/// group.spawn(async { Err("boom") }).unwrap();
/// let err = group.join().await.unwrap_err(); // the sleeper was cancelled
/// assert_eq!(err.errors, vec![TaskError::Failed("boom")]);
/// # });
/// ```
pub struct Group<E> {
    spawner: Spawner<E>,
    /// The owner's hold on the group's scope.
    hold: Hold,
}

pub(super) struct Shared<E> {
    pub(super) inner: Mutex<Inner<E>>,
    pub(super) changed: Event,
    pub(super) scope: ScopeRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Open,
    Cancelling,
    Finished,
}

pub(super) struct Inner<E> {
    pub(super) phase: Phase,
    pub(super) next_id: u64,
    pub(super) tasks: HashMap<u64, AbortHandle>,
    pub(super) errors: Vec<TaskError<E>>,
}

/// Why a child could not be added.
///
/// ```
/// use retinue::task::{Group, SpawnError};
///
/// # retinue::rt::block_on(async {
/// let group = Group::<()>::new();
/// let spawner = group.spawner();
/// group.cancel();
/// assert_eq!(spawner.spawn(async { Ok(()) }), Err(SpawnError::Cancelling));
/// group.join().await.unwrap();
/// assert_eq!(spawner.spawn(async { Ok(()) }), Err(SpawnError::Finished));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// The group is cancelling (a child failed, or it was cancelled).
    Cancelling,
    /// The group has finished (joined or dropped).
    Finished,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpawnError::Cancelling => "the task group is cancelling; no new tasks",
            SpawnError::Finished => "the task group has finished; no new tasks",
        })
    }
}

impl std::error::Error for SpawnError {}

/// Every real failure of a group's children, in the order they happened.
///
/// ```
/// use retinue::task::{Group, TaskError};
///
/// # retinue::rt::block_on(async {
/// let group = Group::new();
/// group.spawn(async { Err("disk full") }).unwrap();
/// let err = group.join().await.unwrap_err();
/// assert_eq!(err.errors, vec![TaskError::Failed("disk full")]);
/// assert_eq!(err.to_string(), "1 task(s) of the group failed; first: task failed: disk full");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GroupError<E> {
    /// The failures; never empty.
    pub errors: Vec<TaskError<E>>,
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} task(s) of the group failed", self.errors.len())?;
        if let Some(first) = self.errors.first() {
            write!(f, "; first: {first}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

impl<E> Shared<E> {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner<E>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves to `phase` (never backwards) and aborts every child.
    pub(super) fn cancel_all(&self, phase: Phase) {
        self.cancel_with(phase, None);
    }

    /// Records `error` and moves to cancelling in one step, so that a group
    /// with a failure is never seen open.
    pub(super) fn fail(&self, error: TaskError<E>) {
        self.cancel_with(Phase::Cancelling, Some(error));
    }

    fn cancel_with(&self, phase: Phase, error: Option<TaskError<E>>) {
        let handles: Vec<AbortHandle> = {
            let mut inner = self.lock();
            inner.errors.extend(error);
            if inner.phase == Phase::Open || phase == Phase::Finished {
                inner.phase = phase;
            }
            inner.tasks.values().cloned().collect()
        };
        handles.iter().for_each(AbortHandle::abort);
        self.changed.notify(usize::MAX);
    }
}

/// Lives inside a child's future: whether it finishes or is dropped, the
/// group learns that this child is gone.
pub(super) struct ChildGuard<E> {
    pub(super) shared: Arc<Shared<E>>,
    pub(super) id: u64,
}

impl<E> Drop for ChildGuard<E> {
    fn drop(&mut self) {
        self.shared.lock().tasks.remove(&self.id);
    }
}

pin_project_lite::pin_project! {
    /// A child's future and its guard; fields drop in order, so the guard
    /// (which tells the group the child is gone) drops after the future.
    pub(super) struct GuardedChild<F, E> {
        #[pin]
        pub(super) child: F,
        pub(super) _guard: ChildGuard<E>,
    }
}

impl<F: Future<Output = ()>, E> Future for GuardedChild<F, E> {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        self.project().child.poll(cx)
    }
}

/// Stops a group's actor when its watching child is cancelled, and keeps
/// the group busy (with a hold) until the actor has stopped.
pub(super) struct StopOnDrop<A: Actor>(pub(super) Option<(Addr<A>, Hold)>);

impl<A: Actor> Drop for StopOnDrop<A> {
    fn drop(&mut self) {
        if let Some((addr, hold)) = self.0.take() {
            addr.stop();
            rt::spawn_detached(hold.run(async move {
                addr.wait_stopped().await;
            }));
        }
    }
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Send + 'static> Group<E> {
    /// An empty, open group.
    ///
    /// Created inside a child of another group (or inside a gather's
    /// future), it is that scope's descendant: the outer one is left only
    /// after this one's children are all gone.
    ///
    /// ```
    /// use retinue::task::Group;
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<String>::new();
    /// assert!(group.spawner().is_open());
    /// group.join().await.unwrap(); // an empty group joins at once
    /// # });
    /// ```
    pub fn new() -> Self {
        let hold = Hold::new_scope();
        Group {
            spawner: Spawner {
                shared: Arc::new(Shared {
                    inner: Mutex::new(Inner {
                        phase: Phase::Open,
                        next_id: 0,
                        tasks: HashMap::new(),
                        errors: Vec::new(),
                    }),
                    changed: Event::new(),
                    scope: hold.scope(),
                }),
            },
            hold,
        }
    }

    /// A clonable spawner for this group (give it to children).
    ///
    /// ```
    /// use retinue::task::Group;
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<()>::new();
    /// let spawner = group.spawner();
    /// let (tx, rx) = async_channel::unbounded();
    /// group.spawn(async move {
    ///     // A child adds a sibling through the spawner.
    ///     spawner.spawn(async move { tx.send("sibling").await.map_err(|_| ()) }).unwrap();
    ///     Ok(())
    /// }).unwrap();
    /// group.join().await.unwrap();
    /// assert_eq!(rx.try_recv(), Ok("sibling"));
    /// # });
    /// ```
    pub fn spawner(&self) -> Spawner<E> {
        self.spawner.clone()
    }

    /// Adds a child task. See [`Spawner::spawn`].
    ///
    /// ```
    /// use retinue::task::{Group, TaskError};
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<String>::new();
    /// group.spawn(async { Ok(()) }).unwrap();
    /// group.spawn(async { panic!("bug in a child") }).unwrap();
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.errors, vec![TaskError::Panicked("bug in a child".into())]);
    /// # });
    /// ```
    pub fn spawn<F>(&self, task: F) -> Result<(), SpawnError>
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        self.spawner.spawn(task)
    }

    /// Adds an actor. See [`Spawner::spawn_actor`].
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    /// use retinue::task::Group;
    ///
    /// struct Adder(u32);
    /// impl Actor for Adder {}
    /// struct Add(u32);
    /// impl Message for Add { type Reply = u32; }
    /// impl Handler<Add> for Adder {
    ///     async fn handle(&mut self, Add(n): Add, _: &mut Context<Self>) -> u32 { self.0 += n; self.0 }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<()>::new();
    /// let adder = group.spawn_actor(Adder(0)).unwrap();
    /// assert_eq!(adder.ask(Add(2)).await, Ok(2));
    /// adder.stop(); // the group waits for its actors to stop
    /// group.join().await.unwrap();
    /// assert!(!adder.is_alive());
    /// # });
    /// ```
    pub fn spawn_actor<A: Actor>(&self, actor: A) -> Result<Addr<A>, SpawnError> {
        self.spawner.spawn_actor(actor)
    }

    /// Cancels every child (no error is recorded for that); `join` still
    /// waits for them to be gone.
    ///
    /// ```
    /// use retinue::task::Group;
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<()>::new();
    /// group.spawn(async { std::future::pending::<()>().await; Ok(()) }).unwrap();
    /// group.cancel();
    /// // Cancelled children are not failures.
    /// group.join().await.unwrap();
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.spawner.cancel();
    }

    /// Waits until every child is gone (finished, failed or cancelled, with
    /// its cleanup run) — and every task those children started through
    /// nested groups, gathers or as_completed, at any depth — then closes
    /// the group. `Ok` when no child failed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::task::Group;
    ///
    /// # retinue::rt::block_on(async {
    /// let (tx, rx) = async_channel::unbounded();
    /// let group = Group::<()>::new();
    /// for ms in [20u64, 10, 0] {
    ///     let tx = tx.clone();
    ///     group.spawn(async move {
    ///         retinue::rt::sleep(Duration::from_millis(ms)).await;
    ///         tx.send(ms).await.map_err(|_| ())
    ///     }).unwrap();
    /// }
    /// group.join().await.unwrap();
    /// assert_eq!(rx.len(), 3); // every child has finished
    /// # });
    /// ```
    pub async fn join(self) -> Result<(), GroupError<E>> {
        let shared = self.spawner.shared.clone();
        loop {
            self.hold.drained().await;
            let mut inner = shared.lock();
            // Only `spawn` (under this lock) can add a hold once the
            // owner's is the last one.
            if self.hold.others() == 0 {
                inner.phase = Phase::Finished;
                let errors = std::mem::take(&mut inner.errors);
                return if errors.is_empty() {
                    Ok(())
                } else {
                    Err(GroupError { errors })
                };
            }
        }
    }

    /// Runs `body` with a spawner, then joins the group (asyncio's
    /// `async with TaskGroup() as tg:`). When a child fails while `body` is
    /// still running, `body` is cancelled too. When `body` returns `Err`,
    /// every child is cancelled and the error is reported with the
    /// children's failures, as [`TaskError::Failed`] in the order it
    /// happened. Dropping the returned future cancels everything.
    ///
    /// ```
    /// use retinue::task::{Group, TaskError};
    ///
    /// # retinue::rt::block_on(async {
    /// let (tx, rx) = async_channel::unbounded();
    /// let n = Group::<()>::scope(|g| async move {
    ///     for i in 0..4u32 {
    ///         let tx = tx.clone();
    ///         g.spawn(async move { tx.send(i * i).await.map_err(|_| ()) }).unwrap();
    ///     }
    ///     Ok(4)
    /// }).await.unwrap();
    /// let mut got: Vec<u32> = (0..n).map(|_| rx.try_recv().unwrap()).collect();
    /// got.sort();
    /// assert_eq!(got, vec![0, 1, 4, 9]);
    ///
    /// // An error from the body cancels the children and is reported.
    /// let err = Group::<&str>::scope(|g| async move {
    ///     g.spawn(async { std::future::pending::<()>().await; Ok(()) }).unwrap();
    ///     Err::<(), _>("body gave up")
    /// }).await.unwrap_err();
    /// assert_eq!(err.errors, vec![TaskError::Failed("body gave up")]);
    /// # });
    /// ```
    pub async fn scope<T, F, Fut>(body: F) -> Result<T, GroupError<E>>
    where
        F: FnOnce(Spawner<E>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let group = Group::new();
        let shared = group.spawner.shared.clone();
        let failed = async {
            loop {
                let listener = shared.changed.listen();
                if !shared.lock().errors.is_empty() {
                    return None;
                }
                listener.await;
            }
        };
        // The body runs inside the group's scope: what it starts (nested
        // groups, gathers) is waited for by `join` as well.
        let body = group.hold.clone().run(body(group.spawner()));
        let value = match async { Some(body.await) }.or(failed).await {
            Some(Ok(value)) => Some(value),
            Some(Err(e)) => {
                shared.fail(TaskError::Failed(e));
                None
            }
            None => None,
        };
        let joined = group.join().await;
        match (joined, value) {
            (Ok(()), Some(value)) => Ok(value),
            (Err(e), _) => Err(e),
            // Unreachable in practice: no value only with errors recorded.
            (Ok(()), None) => Err(GroupError { errors: Vec::new() }),
        }
    }
}

impl<E> Drop for Group<E> {
    fn drop(&mut self) {
        self.spawner.shared.cancel_all(Phase::Finished);
    }
}

impl<E> fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group").finish_non_exhaustive()
    }
}
