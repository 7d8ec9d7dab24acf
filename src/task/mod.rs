//! Structured concurrency: task groups, gather, as_completed, timeouts and retry.
//!
//! Everything here runs children as tasks through [`crate::rt`] and
//! cancels what it started when it is dropped. Leaving a scope (a
//! [`Group`]'s `join` or `scope`, a [`gather`], the end of an
//! [`as_completed`] stream) means every descendant has finished its
//! cleanup, at any nesting depth: a scope created inside another scope's
//! task keeps the outer one busy until its own children are gone, even
//! after the inner owner was cancelled. The one deliberate exception is
//! [`gather_leave_running`] (asyncio's `gather`), whose remaining tasks stay
//! with the enclosing scope.

mod as_completed;

mod error;
mod gather;
mod group;
mod hold;
mod retry;
mod spawner;
mod timeout;

pub use crate::backoff::{Backoff, Jitter};
pub use as_completed::{AsCompleted, Completion, as_completed};
pub use error::TaskError;
pub use gather::{
    GatherError, gather, gather_all, gather_leave_running, gather2, gather3, gather4,
};
pub use group::{Group, GroupError, SpawnError};
pub use retry::{OnRejected, Retry};
pub use spawner::Spawner;
pub use timeout::{Deadline, TimedOut, Timeout, WithDeadline, timeout, timeout_at};
