//! `retinue`: check, print and run supervision trees from config files,
//! with the built-in kinds and the demo kinds (`demo.producer`,
//! `demo.worker`, `demo.flaky_service`). An application with kinds of its
//! own builds its own command the same way (see `cli/examples/app_cli.rs`).

use retinue_cli::{Cli, demo};

fn main() -> std::process::ExitCode {
    Cli::new(demo::kinds())
        .counters("demo.", demo::counters)
        .run()
}
