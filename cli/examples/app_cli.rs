//! An application's own operator command: the `retinue` command with the
//! app's kinds registered, so it can check, print and run the app's real
//! tree (`examples/config_app.toml`, which uses `my_app.fetcher`).
//!
//! ```sh
//! cargo run -p retinue-cli --example app_cli -- check examples/config_app.toml
//! cargo run -p retinue-cli --example app_cli -- tree examples/config_app.toml
//! cargo run -p retinue-cli --example app_cli -- run examples/config_app.toml
//! ```

// The kind is the app's own code, shared with `examples/config_app.rs`;
// the operator command registers it but never sends it messages.
#[allow(dead_code)]
#[path = "../../examples/my_app/fetcher.rs"]
mod fetcher;

fn main() -> std::process::ExitCode {
    retinue_cli::Cli::new(fetcher::kinds())
        .name("my-app-ctl")
        .run()
}
