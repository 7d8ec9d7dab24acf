//! Coordination primitives as actors.
//!
//! Each primitive is an actor (so it can be supervised, named, and later
//! declared in a config file) plus a small clonable handle that users call.
//! All of them follow the same rules:
//! - waiters are served FIFO in the order the actor received them, and a
//!   new arrival never overtakes a queued waiter;
//! - dropping a waiting future at any point loses nothing: grants are
//!   self-releasing guards, released through the control lane on drop;
//! - every wait has a `try_` form and a timeout form;
//! - misuse is a typed error, never a panic or a hang; if the actor is
//!   restarted, parked waiters get an `Interrupted` error and can retry on
//!   the same handle.
//!
//! Each submodule also exposes the actor's message types, so any actor
//! holding the address can speak the protocol directly.

mod duration;
mod error;

pub mod condition;
pub mod event;
pub mod lock;
pub mod rwlock;

pub use condition::{Condition, ConditionActor, WaitTimeoutResult};
pub use error::{ConditionError, EventError, LockError, RwLockError};
pub use event::{Event, EventActor, EventOptions};
pub use lock::{Lock, LockActor, LockGuard, LockOptions, LockStatus};
pub use rwlock::{
    RwLock, RwLockActor, RwLockOptions, RwLockReadGuard, RwLockStatus, RwLockUpgradableGuard,
    RwLockWriteGuard,
};
