//! How a task of a group, gather or as_completed can fail.

use std::fmt;

use crate::ExitReason;

/// Why one task produced no value. Cancellation is not an error: a task
/// cancelled by its group or gather never shows up as a `TaskError`.
///
/// ```
/// use retinue::task::{gather_all, TaskError};
///
/// async fn parse(input: &'static str) -> Result<u8, &'static str> {
///     match input {
///         "bug" => panic!("bug"),
///         _ => Err("bad input"),
///     }
/// }
///
/// # retinue::rt::block_on(async {
/// let results = gather_all(["x", "bug"].map(parse)).await;
/// assert_eq!(results[0], Err(TaskError::Failed("bad input")));
/// assert_eq!(results[1], Err(TaskError::Panicked("bug".into())));
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TaskError<E> {
    /// The task returned this error.
    Failed(E),
    /// The task panicked; the panic's message.
    Panicked(String),
    /// An actor spawned into a group exited abnormally.
    Exited(ExitReason),
}

impl<E> TaskError<E> {
    /// The task's own error, if it returned one.
    ///
    /// ```
    /// use retinue::task::TaskError;
    ///
    /// assert_eq!(TaskError::Failed("no").into_failed(), Some("no"));
    /// assert_eq!(TaskError::<&str>::Panicked("bug".into()).into_failed(), None);
    /// ```
    pub fn into_failed(self) -> Option<E> {
        match self {
            TaskError::Failed(e) => Some(e),
            _ => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for TaskError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Failed(e) => write!(f, "task failed: {e}"),
            TaskError::Panicked(msg) => write!(f, "task panicked: {msg}"),
            TaskError::Exited(reason) => write!(f, "actor exited: {reason}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskError<E> {}
