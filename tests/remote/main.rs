//! Remote actors, lock and queue over a real nats-server (feature `nats`).
//!
//! One test binary per concept (each file below was its own binary once):
//! fewer binaries build and link faster and take less disk.

#[path = "../common/mod.rs"]
mod common;

mod actors;
mod config;
mod jetstream;
mod procs;
