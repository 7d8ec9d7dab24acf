//! [`Ignore`]: a child's way of saying "do not run me" (OTP's `ignore`
//! from `init/1`).

use std::fmt;

use crate::ExitReason;

/// Returned (as an error) from a supervised child's `started`, it tells
/// the supervisor not to run this child, and that this is not a failure
/// (OTP's `ignore`): `start_child` succeeds with no running child, a
/// supervisor's own start goes on with the next child, and a restart that
/// is ignored counts as done. A permanent or transient child's spec is
/// kept (state `Stopped`, `restart_child` can try again); a temporary
/// child's spec, and any child of a dynamic supervisor, is removed.
///
/// ```
/// use retinue::{Actor, BoxError, Context};
/// use retinue::supervisor::{ChildSpec, ChildState, Ignore, Strategy, Supervisor};
///
/// struct Optional { enabled: bool }
/// impl Actor for Optional {
///     async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
///         if self.enabled { Ok(()) } else { Err(Ignore.into()) }
///     }
/// }
///
/// # retinue::rt::block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne).spawn().await.unwrap();
/// let info = sup.start_child(ChildSpec::worker("opt", || Optional { enabled: false })).await.unwrap();
/// assert_eq!(info.state, ChildState::Stopped); // kept, not running
/// assert_eq!(sup.count_children().await.unwrap().active, 0);
/// sup.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ignore;

impl fmt::Display for Ignore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the child asked to be ignored")
    }
}

impl std::error::Error for Ignore {}

/// Whether a start failure is really an [`Ignore`].
pub(super) fn is_ignore(reason: &ExitReason) -> bool {
    matches!(reason, ExitReason::Failed(err) if err.is::<Ignore>())
}
