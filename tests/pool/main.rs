//! Pools and routers of supervised workers.
//!
//! One test binary per concept (each file below was its own binary once):
//! fewer binaries build and link faster and take less disk.

#[path = "../common/mod.rs"]
mod common;

#[cfg(feature = "config")]
mod config;
mod feed;
mod recipient;
mod resize;
mod routing;
