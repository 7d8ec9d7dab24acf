//! Coordination protocols as actors: each primitive is an actor plus a small clonable handle.

mod breaker;
pub use breaker::{
    BreakerConfig, CallError, CircuitBreaker, Clock, ConfigError, ManualClock, Metrics,
    OpenBackoff, Outcome, Rejected, Sleep, SlowCalls, State, Subscription, SystemClock, Transition,
    TripPolicy, Window,
};
