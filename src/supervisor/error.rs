//! The errors of supervisors and the system.

use std::fmt;
use std::time::Duration;

use crate::ExitReason;

/// What can go wrong when starting or administering a supervisor.
///
/// ```
/// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor, SupervisorError}};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne).spawn().await.unwrap();
/// let err = sup.terminate_child("ghost").await.unwrap_err();
/// assert_eq!(err, SupervisorError::NotFound("ghost".into()));
/// assert_eq!(err.to_string(), "no child \"ghost\"");
/// sup.shutdown().await;
/// assert_eq!(sup.start_child(ChildSpec::worker("w", || Worker)).await.unwrap_err(), SupervisorError::Unavailable);
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum SupervisorError {
    /// A child with this id is already running (`start_child`).
    AlreadyStarted(String),
    /// A child with this id exists but is not running (`start_child`).
    AlreadyPresent(String),
    /// The child is running, or waiting to restart
    /// (`restart_child`, `delete_child`).
    Running(String),
    /// No child has this id.
    NotFound(String),
    /// The child's `started` (or its factory) failed.
    StartFailed {
        /// The child.
        id: String,
        /// Why it did not start.
        reason: ExitReason,
    },
    /// The child specs do not make sense together; nothing was started.
    InvalidSpec(String),
    /// The supervisor's [`Flags`](super::Flags) do not make sense (a zero
    /// intensity window, an auto shutdown a dynamic supervisor cannot
    /// have); nothing was started.
    InvalidFlags(String),
    /// The dynamic supervisor already has its maximum number of children.
    MaxChildren(usize),
    /// More restarts than the intensity allows: the supervisor stopped its
    /// children and failed.
    IntensityExceeded {
        /// The allowed restarts...
        max_restarts: u32,
        /// ...within this window.
        within: Duration,
    },
    /// The supervisor is not running.
    Unavailable,
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorError::AlreadyStarted(id) => write!(f, "child {id:?} is already started"),
            SupervisorError::AlreadyPresent(id) => write!(f, "child {id:?} is already present"),
            SupervisorError::Running(id) => write!(f, "child {id:?} is running"),
            SupervisorError::NotFound(id) => write!(f, "no child {id:?}"),
            SupervisorError::StartFailed { id, reason } => {
                write!(f, "child {id:?} failed to start: {reason}")
            }
            SupervisorError::InvalidSpec(why) => write!(f, "invalid child specs: {why}"),
            SupervisorError::InvalidFlags(why) => write!(f, "invalid supervisor flags: {why}"),
            SupervisorError::MaxChildren(max) => write!(f, "already {max} children (the maximum)"),
            SupervisorError::IntensityExceeded {
                max_restarts,
                within,
            } => write!(
                f,
                "more than {max_restarts} restarts within {}",
                crate::duration::format(*within)
            ),
            SupervisorError::Unavailable => f.write_str("the supervisor is not running"),
        }
    }
}

impl std::error::Error for SupervisorError {}
