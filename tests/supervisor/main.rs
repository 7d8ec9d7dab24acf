//! Supervisors with OTP semantics (the leak test is its own binary: it counts the process's live tasks).
//!
//! One test binary per concept (each file below was its own binary once):
//! fewer binaries build and link faster and take less disk.

#[path = "../common/mod.rs"]
mod common;

mod conformance;
mod lifecycle;
mod snapshot;
mod strategies;
mod system;
