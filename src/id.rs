//! Identities and names: [`ActorId`] and [`short_type_name`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A process-unique actor identity. Supervised actors keep theirs across
/// restarts, like their address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorId(u64);

impl ActorId {
    pub(crate) fn next() -> ActorId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ActorId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// A fresh id that no other actor or handle of this process has: for
    /// things that stand for an actor without being a local one (a remote
    /// handle, a test double behind a [`RecipientPort`](crate::RecipientPort)).
    ///
    /// ```
    /// use retinue::ActorId;
    /// assert_ne!(ActorId::unique(), ActorId::unique());
    /// ```
    pub fn unique() -> ActorId {
        ActorId::next()
    }

    /// The number behind the id.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The last path segment of a type's name, for logs and trees.
pub fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    let start = base.rfind("::").map_or(0, |i| i + 2);
    &full[start..]
}
