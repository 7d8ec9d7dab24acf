//! Coordination primitives as actors: each one is a message protocol that
//! anyone holding its address can speak.
//!
//! Each primitive is an actor (so it can be supervised, named, and declared
//! in a config file) plus a small clonable handle that users call. All of
//! them follow the same rules:
//! - waiters are served FIFO in the order the actor received them, and a
//!   new arrival never overtakes a queued waiter;
//! - dropping a waiting future at any point loses nothing: grants are
//!   self-releasing guards, released through the control lane on drop;
//! - every wait has a `try_` form and a timeout form;
//! - misuse is a typed error, never a panic or a hang; if the actor is
//!   restarted, parked waiters get an error and can retry on the same
//!   handle.
//!
//! Each submodule also exposes the actor's message types, so any actor
//! holding the address can speak the protocol directly.
//!
//! - [`Lock`] (fencing tokens, leases), [`RwLock`], [`Event`], [`Condition`]
//! - [`Semaphore`], [`RateLimiter`] (token bucket), [`Barrier`]
//! - [`Queue`]: FIFO / LIFO / priority queue with join and shutdown
//! - [`CircuitBreaker`]: keeps the books for calls made in the caller's task
//!
//! Time-dependent primitives ([`RateLimiter`], [`CircuitBreaker`]) read
//! time from one injectable [`Clock`]: [`SystemClock`] in production,
//! [`ManualClock`] in tests.

mod breaker;
mod cancel_sweep;
mod clock;
mod error;

pub mod barrier;
pub mod condition;
pub mod event;
pub mod lock;
pub mod queue;
pub mod rate_limiter;
pub mod rwlock;
pub mod semaphore;

pub use barrier::{Barrier, BarrierActor, BarrierError, BarrierOptions, BarrierWaitResult};
pub use breaker::{
    BreakerActor, BreakerConfig, CallError, CallEvent, CallEvents, CallKind, CircuitBreaker,
    ConfigError, Feed, Metrics, OpenBackoff, Outcome, Rejected, SlowCalls, State, Subscription,
    Transition, TripPolicy, Window,
};
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use condition::{Condition, ConditionActor, ConditionStatus, WaitTimeoutResult};
pub use error::{ConditionError, EventError, LockError, RwLockError};
pub use event::{Event, EventActor, EventOptions, EventStatus};
pub use lock::{Lock, LockActor, LockGuard, LockOptions, LockStatus};
pub use queue::{AckOptions, AckSource, Delivery, DeliveryError, QueueDelivery};
pub use queue::{
    GetError, PutError, Queue, QueueActor, QueueError, QueueOptions, QueueOrder, QueueStream,
    TryGetError, TryPutError,
};
pub use rate_limiter::{RateLimiter, RateLimiterActor, RateLimiterError, RateLimiterOptions};
pub use rwlock::{
    RwLock, RwLockActor, RwLockOptions, RwLockReadGuard, RwLockStatus, RwLockUpgradableGuard,
    RwLockWriteGuard,
};
pub use semaphore::{Semaphore, SemaphoreActor, SemaphoreError, SemaphoreOptions, SemaphorePermit};
