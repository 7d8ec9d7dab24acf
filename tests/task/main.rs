//! Structured concurrency: task groups, gather, as_completed, timeouts, retry.
//!
//! One test binary per concept (each file below was its own binary once):
//! fewer binaries build and link faster and take less disk.

#[path = "../common/mod.rs"]
mod common;

mod gather;
mod group;
mod retry;
mod scopes;
mod timeout;
