//! Typed errors of the lock, read-write lock, event and condition.
//!
//! Invariants:
//! - every failure a caller can meet is a variant here; none of these
//!   primitives panics or hangs on misuse;
//! - an [`AskError`] from the core maps onto the same meaning in every
//!   enum: `Closed` (the actor stopped for good), `Interrupted` (the
//!   instance stopped or was restarted while the request was in it; retry
//!   on the same handle), `Timeout`, `SelfAsk`.

use std::fmt;

use crate::AskError;

macro_rules! ask_error_from {
    ($name:ident) => {
        impl From<AskError> for $name {
            fn from(err: AskError) -> Self {
                match err {
                    AskError::Closed => $name::Closed,
                    AskError::NoReply => $name::Interrupted,
                    AskError::Timeout => $name::Timeout,
                    AskError::SelfAsk => $name::SelfAsk,
                }
            }
        }
        impl std::error::Error for $name {}
    };
}

/// What can go wrong with a [`Lock`](super::Lock).
///
/// ```
/// use retinue::sync::{Lock, LockError};
/// # retinue::rt::block_on(async {
/// let lock = Lock::new();
/// let _held = lock.acquire().await.unwrap();
/// assert_eq!(lock.try_acquire().await.unwrap_err(), LockError::WouldBlock);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockError {
    /// The lock actor has stopped for good.
    Closed,
    /// The lock actor stopped or was restarted before answering; the
    /// request was not granted. Retrying on the same handle is safe.
    Interrupted,
    /// The deadline passed before the lock was granted.
    Timeout,
    /// `try_acquire`: the lock is held or others are queued.
    WouldBlock,
    /// The guard's token is no longer current (its lease ran out, or the
    /// actor was restarted): the release changed nothing.
    Stale,
    /// Called from the lock actor's own handler (it would deadlock).
    SelfAsk,
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockError::Closed => "the lock actor has stopped",
            LockError::Interrupted => "the lock actor stopped or restarted before granting; retry",
            LockError::Timeout => "the lock was not granted within the deadline",
            LockError::WouldBlock => "the lock is held or has waiters",
            LockError::Stale => "the guard's fencing token is no longer current (lease expired)",
            LockError::SelfAsk => "the lock actor cannot ask itself",
        })
    }
}

ask_error_from!(LockError);

/// What can go wrong with a [`RwLock`](super::RwLock).
///
/// ```
/// use retinue::sync::{RwLock, RwLockError};
/// # retinue::rt::block_on(async {
/// let rw = RwLock::new();
/// let _w = rw.write().await.unwrap();
/// assert_eq!(rw.try_read().await.unwrap_err(), RwLockError::WouldBlock);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RwLockError {
    /// The actor has stopped for good.
    Closed,
    /// The actor stopped or was restarted before answering; retry.
    Interrupted,
    /// The deadline passed before the grant.
    Timeout,
    /// A `try_` form could not be granted at once.
    WouldBlock,
    /// The guard is not current any more (the actor was restarted).
    Stale,
    /// Called from the actor's own handler (it would deadlock).
    SelfAsk,
}

impl fmt::Display for RwLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RwLockError::Closed => "the rwlock actor has stopped",
            RwLockError::Interrupted => {
                "the rwlock actor stopped or restarted before granting; retry"
            }
            RwLockError::Timeout => "not granted within the deadline",
            RwLockError::WouldBlock => "cannot be granted at once",
            RwLockError::Stale => "the guard is no longer current (the actor restarted)",
            RwLockError::SelfAsk => "the rwlock actor cannot ask itself",
        })
    }
}

ask_error_from!(RwLockError);

/// What can go wrong with an [`Event`](super::Event).
///
/// ```
/// use retinue::sync::{Event, EventError};
/// # retinue::rt::block_on(async {
/// let event = Event::new();
/// assert_eq!(event.try_wait().await, Err(EventError::NotSet));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventError {
    /// The actor has stopped for good.
    Closed,
    /// The actor stopped or was restarted while the wait was parked; retry.
    Interrupted,
    /// The deadline passed before the event was set.
    Timeout,
    /// `try_wait`: the event is not set.
    NotSet,
    /// Called from the actor's own handler (it would deadlock).
    SelfAsk,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EventError::Closed => "the event actor has stopped",
            EventError::Interrupted => "the event actor stopped or restarted; retry",
            EventError::Timeout => "the event was not set within the deadline",
            EventError::NotSet => "the event is not set",
            EventError::SelfAsk => "the event actor cannot ask itself",
        })
    }
}

ask_error_from!(EventError);

/// What can go wrong with a [`Condition`](super::Condition).
///
/// When a wait fails *after* the lock was released, the variant says so
/// ([`Reacquire`](ConditionError::Reacquire)): the caller no longer holds
/// the lock.
///
/// ```
/// use retinue::sync::{Condition, ConditionError, Lock};
/// # retinue::rt::block_on(async {
/// let (a, b) = (Lock::new(), Lock::new());
/// let cond = Condition::new(a);
/// let other = b.acquire().await.unwrap();
/// assert_eq!(cond.notify(&other, 1).await, Err(ConditionError::WrongLock));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionError {
    /// The condition actor has stopped for good.
    Closed,
    /// The condition actor stopped or restarted while the wait was parked.
    /// The lock has been re-acquired before this was returned only where
    /// the method says so; see [`Condition::wait`](super::Condition::wait).
    Interrupted,
    /// The deadline passed.
    Timeout,
    /// The guard passed in belongs to another lock.
    WrongLock,
    /// `notify(0)`: a count must be at least one.
    ZeroCount,
    /// The lock was released for the wait but could not be re-acquired;
    /// the caller does not hold it.
    Reacquire(LockError),
    /// Called from the actor's own handler (it would deadlock).
    SelfAsk,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConditionError::Closed => f.write_str("the condition actor has stopped"),
            ConditionError::Interrupted => {
                f.write_str("the condition actor stopped or restarted during the wait")
            }
            ConditionError::Timeout => f.write_str("not notified within the deadline"),
            ConditionError::WrongLock => f.write_str("the guard belongs to another lock"),
            ConditionError::ZeroCount => f.write_str("notify needs a count of at least one"),
            ConditionError::Reacquire(e) => {
                write!(
                    f,
                    "the lock could not be re-acquired after the wait ({e}); it is not held"
                )
            }
            ConditionError::SelfAsk => f.write_str("the condition actor cannot ask itself"),
        }
    }
}

ask_error_from!(ConditionError);
