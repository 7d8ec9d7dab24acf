//! [`Spawner`]: adds children (tasks and actors) to a [`Group`] while it
//! is open; clonable, so children can add children.
//!
//! Invariant: a child is added only while the group is `Open`, under the
//! group's lock, and every child it adds holds the group's scope until it
//! ends (see `group.rs`).

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_lite::FutureExt;

use crate::rt;
use crate::{Actor, Addr};

use super::error::TaskError;
use super::group::{ChildGuard, GuardedChild, Phase, Shared, SpawnError, StopOnDrop};

/// Spawns into a [`Group`](crate::task::Group); clonable, so children can add children.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use retinue::task::{Group, Spawner};
///
/// /// Visits a tree of depth `depth`, each node spawning its two children.
/// fn visit(s: Spawner<()>, depth: u32, seen: Arc<AtomicU32>) {
///     let s2 = s.clone();
///     s.spawn(async move {
///         seen.fetch_add(1, Ordering::SeqCst);
///         if depth > 0 {
///             visit(s2.clone(), depth - 1, seen.clone());
///             visit(s2, depth - 1, seen);
///         }
///         Ok(())
///     }).unwrap();
/// }
///
/// # retinue::rt::block_on(async {
/// let seen = Arc::new(AtomicU32::new(0));
/// let group = Group::new();
/// visit(group.spawner(), 3, seen.clone());
/// group.join().await.unwrap(); // waits for the children's children too
/// assert_eq!(seen.load(Ordering::SeqCst), 15);
/// # });
/// ```
pub struct Spawner<E> {
    pub(super) shared: Arc<Shared<E>>,
}

impl<E: Send + 'static> Spawner<E> {
    /// Adds a child task. An `Err` it returns, or a panic, is a failure:
    /// it cancels the other children. Fails when the group is cancelling
    /// or finished.
    ///
    /// ```
    /// use retinue::task::{Group, TaskError};
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<&str>::new();
    /// let spawner = group.spawner();
    /// spawner.spawn(async { std::future::pending::<()>().await; Ok(()) }).unwrap();
    /// spawner.spawn(async { Err("fail fast") }).unwrap(); // cancels the pending one
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.errors, vec![TaskError::Failed("fail fast")]);
    /// # });
    /// ```
    pub fn spawn<F>(&self, task: F) -> Result<(), SpawnError>
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let mut inner = self.shared.lock();
        match inner.phase {
            Phase::Open => {}
            Phase::Cancelling => return Err(SpawnError::Cancelling),
            Phase::Finished => return Err(SpawnError::Finished),
        }
        let id = inner.next_id;
        inner.next_id += 1;
        // Open, so the owner's hold is live: taking another is sound.
        let hold = self.shared.scope.hold();
        let guard = ChildGuard {
            shared: self.shared.clone(),
            id,
        };
        let shared = self.shared.clone();
        // Spawned under the lock: the child's guard cannot remove its entry
        // before it is inserted.
        let child = async move {
            match AssertUnwindSafe(task).catch_unwind().await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => shared.fail(TaskError::Failed(e)),
                Err(payload) => shared.fail(TaskError::Panicked(rt::panic_message(&*payload))),
            }
        };
        // The guard must outlive the child's future in every case (even an
        // abort before the first poll), so that `join` returns only after
        // the child's own cleanup has run.
        let handle = rt::spawn(hold.run(GuardedChild {
            child,
            _guard: guard,
        }));
        inner.tasks.insert(id, handle.abort_handle());
        Ok(())
    }

    /// Spawns an actor as a child: the group waits for it to stop, an
    /// abnormal exit is a failure ([`TaskError::Exited`]), and cancelling
    /// the group stops it. The group keeps it reachable, so it must stop
    /// itself (or be stopped) for `join` to return.
    ///
    /// ```
    /// use retinue::{Actor, ExitReason, task::{Group, TaskError}};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<()>::new();
    /// let w = group.spawner().spawn_actor(Worker).unwrap();
    /// w.stop_with(ExitReason::failed("lost its connection"));
    /// let err = group.join().await.unwrap_err();
    /// assert!(matches!(&err.errors[..], [TaskError::Exited(ExitReason::Failed(_))]));
    /// # });
    /// ```
    pub fn spawn_actor<A: Actor>(&self, actor: A) -> Result<Addr<A>, SpawnError> {
        // Check first, so a refused actor is never started; the hold is
        // taken under the lock, while the group is known to be open.
        let hold = {
            let inner = self.shared.lock();
            match inner.phase {
                Phase::Open => self.shared.scope.hold(),
                Phase::Cancelling => return Err(SpawnError::Cancelling),
                Phase::Finished => return Err(SpawnError::Finished),
            }
        };
        let addr = crate::spawn(actor);
        // Built outside the future: even a child aborted before its first
        // poll stops the actor when its future is dropped.
        let mut stop = StopOnDrop(Some((addr.clone(), hold)));
        let shared = self.shared.clone();
        let spawned = self.spawn(async move {
            let reason = match &stop.0 {
                Some((addr, _)) => addr.wait_stopped().await,
                None => return Ok(()),
            };
            drop(stop.0.take()); // it stopped on its own: nothing to stop
            if reason.is_abnormal() {
                shared.fail(TaskError::Exited(reason));
            }
            Ok(())
        });
        match spawned {
            Ok(()) => Ok(addr),
            Err(e) => {
                addr.stop();
                Err(e)
            }
        }
    }

    /// Cancels every child of the group (not a failure).
    ///
    /// ```
    /// use retinue::task::Group;
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<()>::new();
    /// let spawner = group.spawner();
    /// group.spawn(async move {
    ///     spawner.cancel(); // a child can cancel the whole group
    ///     Ok(())
    /// }).unwrap();
    /// group.join().await.unwrap();
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.shared.cancel_all(Phase::Cancelling);
    }

    /// Whether the group still accepts children.
    ///
    /// ```
    /// use retinue::task::Group;
    ///
    /// # retinue::rt::block_on(async {
    /// let group = Group::<&str>::new();
    /// let spawner = group.spawner();
    /// assert!(spawner.is_open());
    /// group.spawn(async { Err("boom") }).unwrap();
    /// while spawner.is_open() { retinue::rt::yield_now().await; } // the failure closes it
    /// assert!(group.join().await.is_err());
    /// # });
    /// ```
    pub fn is_open(&self) -> bool {
        self.shared.lock().phase == Phase::Open
    }
}

impl<E> Clone for Spawner<E> {
    fn clone(&self) -> Self {
        Spawner {
            shared: self.shared.clone(),
        }
    }
}

impl<E> fmt::Debug for Spawner<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawner").finish_non_exhaustive()
    }
}
