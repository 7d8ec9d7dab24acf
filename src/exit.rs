//! Why an actor stopped.
//!
//! An [`ExitReason`] is cheap to clone: every watcher, linked actor,
//! supervisor and `wait_stopped` caller gets its own copy of the same value.

use std::fmt;
use std::sync::Arc;

use crate::error::BoxError;

/// Why an actor (or one instance of a supervised actor) stopped.
///
/// ```
/// use retinue::ExitReason;
///
/// assert!(ExitReason::Normal.is_normal());
/// assert!(ExitReason::Panicked("boom".into()).is_abnormal());
/// assert_eq!(ExitReason::Shutdown.to_string(), "shutdown");
/// ```
#[derive(Clone)]
pub enum ExitReason {
    /// The actor finished on its own: it called [`Context::stop`](crate::Context::stop),
    /// or every strong address was dropped and its mailbox ran empty.
    Normal,
    /// Someone called [`Addr::stop`](crate::Addr::stop).
    Stopped,
    /// Its supervisor or the system shut it down.
    Shutdown,
    /// It failed: `started` returned an error, a handler called
    /// [`Context::fail`](crate::Context::fail), or a linked actor failed.
    Failed(Arc<dyn std::error::Error + Send + Sync>),
    /// A handler, `started`, a timer callback or an owned task panicked.
    Panicked(String),
    /// Its task was cancelled without running `stopped` (a shutdown timeout
    /// ran out, or a brutal kill).
    Killed,
}

impl ExitReason {
    /// Wraps an error as [`ExitReason::Failed`].
    pub fn failed(err: impl Into<BoxError>) -> Self {
        ExitReason::Failed(Arc::from(err.into()))
    }

    /// `Normal`, `Stopped` and `Shutdown`: exits that OTP calls normal and
    /// that a transient child is not restarted after.
    pub fn is_normal(&self) -> bool {
        matches!(
            self,
            ExitReason::Normal | ExitReason::Stopped | ExitReason::Shutdown
        )
    }

    /// `Failed`, `Panicked` and `Killed`.
    pub fn is_abnormal(&self) -> bool {
        !self.is_normal()
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Stopped => f.write_str("stopped"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::Failed(err) => write!(f, "failed: {err}"),
            ExitReason::Panicked(msg) => write!(f, "panicked: {msg}"),
            ExitReason::Killed => f.write_str("killed"),
        }
    }
}

impl fmt::Debug for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Failed(err) => f.debug_tuple("Failed").field(&err.to_string()).finish(),
            ExitReason::Panicked(msg) => f.debug_tuple("Panicked").field(msg).finish(),
            other => f.write_str(match other {
                ExitReason::Normal => "Normal",
                ExitReason::Stopped => "Stopped",
                ExitReason::Shutdown => "Shutdown",
                _ => "Killed",
            }),
        }
    }
}

impl PartialEq for ExitReason {
    /// Failures compare by their message: two `Failed` reasons are equal
    /// when their errors display the same.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ExitReason::Failed(a), ExitReason::Failed(b)) => a.to_string() == b.to_string(),
            (ExitReason::Panicked(a), ExitReason::Panicked(b)) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

/// The death-watch notice: the watched actor stopped for good.
/// See [`Context::watch`](crate::Context::watch).
#[derive(Debug, Clone, PartialEq)]
pub struct Down {
    /// Who stopped.
    pub id: crate::ActorId,
    /// Why.
    pub reason: ExitReason,
}

impl crate::Message for Down {
    type Reply = ();
}

/// The failure of an actor that was linked to one that failed.
/// See [`Context::link`](crate::Context::link).
#[derive(Debug, Clone)]
pub struct LinkedExit {
    /// The linked actor that failed.
    pub peer: crate::ActorId,
    /// Why it failed.
    pub reason: ExitReason,
}

impl fmt::Display for LinkedExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "linked actor {} exited: {}", self.peer, self.reason)
    }
}

impl std::error::Error for LinkedExit {}
