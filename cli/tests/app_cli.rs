//! An application's own operator command (as in `cli/examples/app_cli.rs`)
//! checks the app's real tree, which the stock command cannot: it does not
//! know the app's kind.

#[allow(dead_code)] // the command registers the kind; it sends no messages
#[path = "../../examples/my_app/fetcher.rs"]
mod fetcher;

use retinue_cli::{Cli, demo};

fn config_app() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/config_app.toml").to_string()
}

#[test]
fn the_apps_own_command_checks_its_tree() {
    let status = Cli::new(fetcher::kinds()).run_from_args(["my-app-ctl", "check", &config_app()]);
    assert_eq!(status, 0);
}

#[test]
fn the_stock_command_does_not_know_the_apps_kind() {
    let status = Cli::new(demo::kinds()).run_from_args(["retinue", "check", &config_app()]);
    assert_eq!(status, 1);
}

#[test]
fn a_usage_error_is_status_2_and_help_is_0() {
    assert_eq!(
        Cli::new(fetcher::kinds()).run_from_args(["my-app-ctl", "chek"]),
        2
    );
    assert_eq!(
        Cli::new(fetcher::kinds()).run_from_args(["my-app-ctl", "--help"]),
        0
    );
}
