//! Work an actor owns: background tasks, timers and streams.
//!
//! Invariants:
//! - Everything here runs in its own task and is aborted when the actor
//!   instance that started it ends (by any exit, including a kill).
//! - A panic in owned work ends that instance (and no later one) with
//!   [`ExitReason::Panicked`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::actor::Message;
use crate::rt::AbortHandle;

/// A handle to an owned task, timer or stream. Dropping it does not cancel
/// the work; [`cancel`](TaskHandle::cancel) does, and so does the actor
/// stopping.
#[derive(Clone)]
pub struct TaskHandle {
    id: TaskId,
    abort: AbortHandle,
}

/// Identifies one owned task, timer or stream of an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    pub(crate) fn next() -> TaskId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        TaskId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl TaskHandle {
    pub(crate) fn new(id: TaskId, abort: AbortHandle) -> Self {
        TaskHandle { id, abort }
    }

    /// Which task this is.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Stops the work; a timer that has not fired yet never fires.
    pub fn cancel(&self) {
        self.abort.abort();
    }

    /// Whether the work is over (done, cancelled or panicked).
    pub fn is_finished(&self) -> bool {
        self.abort.is_finished()
    }

    pub(crate) fn abort_handle(&self) -> &AbortHandle {
        &self.abort
    }
}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Sent to an actor when a stream it added with
/// [`Context::add_stream`](crate::Context::add_stream) has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamEnded {
    /// The stream's task, as returned by `add_stream`.
    pub id: TaskId,
}

impl Message for StreamEnded {
    type Reply = ();
}
