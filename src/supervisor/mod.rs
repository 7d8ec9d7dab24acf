//! Supervision trees with Erlang/OTP semantics.
//!
//! A [`Supervisor`] is an actor that starts its children in order, restarts
//! them by [`Strategy`] when they exit (within a restart intensity, with an
//! optional backoff), and stops them in reverse order. A supervised child's
//! address stays valid across restarts: its mailbox belongs to the child's
//! slot, so messages waiting in it are handled by the next instance and
//! only the asker of the in-flight message sees the crash.
//!
//! [`System`] is the root of an application's tree, with a name registry.
//! [`DynamicSupervisor`] starts children on demand from one template.
//!
//! Supervisor decisions (child exit, restart, backoff, escalation,
//! shutdown) are emitted as `tracing` events carrying the child id.

mod admin;
mod child;
mod dynamic;
mod error;
mod flags;
mod ignore;
mod intensity;
mod spec;
#[allow(clippy::module_inception)]
mod supervisor;
mod system;
mod tree;

pub use admin::{ChildCounts, ChildInfo, SupervisorRef};
pub use dynamic::{DynamicSupervisor, Template};
pub use error::SupervisorError;
pub use flags::{AutoShutdown, Flags, Strategy};
pub use ignore::Ignore;
pub use spec::{ChildKind, ChildSpec, Restart, Shutdown};
pub use supervisor::{ChildState, Supervisor};
pub use system::{NameTaken, System};
pub use tree::{ExitRecord, RestartBudget, TreeNode};
