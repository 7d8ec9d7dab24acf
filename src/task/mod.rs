//! Structured concurrency: task groups, gather, as_completed, timeouts and retry.
//!
//! Everything here runs children as tasks through [`crate::rt`] and
//! cancels what it started when it is dropped: no task outlives the scope
//! that started it unless you detach it yourself.

mod as_completed;

mod error;
mod gather;
mod group;
mod retry;
mod timeout;

pub use crate::backoff::{Backoff, Jitter};
pub use as_completed::{AsCompleted, Completion, as_completed};
pub use error::TaskError;
pub use gather::{GatherError, gather, gather_all, gather2, gather3, gather4};
pub use group::{Group, GroupError, SpawnError, Spawner};
pub use retry::{OnRejected, Retry};
pub use timeout::{TimedOut, Timeout, timeout, timeout_at};
