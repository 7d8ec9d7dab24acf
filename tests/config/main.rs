//! Config files: loading, diagnostics, limits, round trips, fuzzing (feature `config`).
//!
//! One test binary per concept (each file below was its own binary once):
//! fewer binaries build and link faster and take less disk.

#[path = "../common/mod.rs"]
mod common;

mod diagnostics;
mod fuzz;
mod limits;
mod load;
mod report;
mod roundtrip;
