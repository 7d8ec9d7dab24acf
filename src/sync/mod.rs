//! Coordination primitives as actors ("Protocols as actors" in DESIGN.md).
//!
//! Each primitive is an actor plus a small clonable handle. Every wait is
//! FIFO in the order the actor received the requests, cancellation-safe,
//! and has `try_` and timeout forms; misuse is a typed error.
//!
//! - [`Semaphore`]: counting permits, returned on guard drop.
//! - [`RateLimiter`]: a token bucket on the semaphore's protocol.
//! - [`Barrier`]: n parties, generations, leader flag, reset and abort.
//! - [`Queue`]: FIFO / LIFO / priority queue with join and shutdown.
//! - [`CircuitBreaker`]: keeps the books for calls made in the caller's task.

mod breaker;
mod cancel_sweep;

pub mod barrier;
pub mod queue;
pub mod rate_limiter;
pub mod semaphore;

pub use barrier::{Barrier, BarrierActor, BarrierError, BarrierOptions, BarrierWaitResult};
pub use breaker::{
    BreakerConfig, CallError, CircuitBreaker, Clock, ConfigError, ManualClock, Metrics,
    OpenBackoff, Outcome, Rejected, Sleep, SlowCalls, State, Subscription, SystemClock, Transition,
    TripPolicy, Window,
};
pub use queue::{
    GetError, PutError, Queue, QueueActor, QueueError, QueueOptions, QueueOrder, QueueStream,
    TryGetError, TryPutError,
};
pub use rate_limiter::{RateLimiter, RateLimiterActor, RateLimiterError, RateLimiterOptions};
pub use semaphore::{Semaphore, SemaphoreActor, SemaphoreError, SemaphoreOptions, SemaphorePermit};
