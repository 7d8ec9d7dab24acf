//! A circuit breaker as an actor.
//!
//! The [`CircuitBreaker`] handle runs each protected call in the caller's
//! task; the breaker actor only keeps the books (admission, outcomes,
//! windows, state). States: closed → open → half-open → closed or open,
//! plus the manual forced-open and disabled states.
//!
//! Invariants (details in each file):
//! - rejected calls never count as failures, ignored outcomes are not
//!   recorded, and a report from a past state epoch never changes the state;
//! - subscribers see every real transition exactly once, never `X -> X`;
//! - a half-open trial slot is never lost: a cancelled caller's permit
//!   gives it back from `Drop` through the control lane;
//! - all time comes from an injectable [`Clock`](crate::sync::Clock)
//!   (`sync/clock.rs`, shared with the rate limiter and `task::Retry`).
//!
//! Files: `config` (serde config), `window` (sliding windows),
//! `state` (public state and event types), `error`, `actor` (the books),
//! `protocol` (the actor's messages and the call permit), `feed` (event
//! streams), `handle`.

mod actor;
mod config;
mod error;
mod feed;
mod handle;
mod protocol;
mod state;
mod window;

pub use actor::BreakerActor;
pub use config::{BreakerConfig, ConfigError, OpenBackoff, SlowCalls, TripPolicy, Window};
pub use error::{CallError, Rejected};
pub use feed::{CallEvents, Feed, Subscription};
pub use handle::CircuitBreaker;
pub use state::{CallEvent, CallKind, Metrics, Outcome, State, Transition};
