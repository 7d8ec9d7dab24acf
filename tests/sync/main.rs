//! The coordination primitives, each a plain actor: lock, rwlock, event, condition, semaphore, rate limiter, barrier, queue, circuit breaker.
//!
//! One test binary per concept (each file below was its own binary once):
//! fewer binaries build and link faster and take less disk.

#[path = "../common/mod.rs"]
mod common;

mod abandoned;
mod barrier;
mod breaker;
mod breaker_conformance;
mod breaker_props;
mod cancel_props;
mod condition;
mod event;
mod lock;
mod queue;
mod queue_ack;
mod queue_model;
mod rate_limiter;
mod rwlock;
mod rwlock_caps;
mod semaphore;
