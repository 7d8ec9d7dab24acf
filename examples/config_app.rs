//! An app that ships its supervision tree as a file: it registers its own
//! actor kind (`my_app.fetcher`, with typed args that name a built-in
//! semaphore by id), loads `examples/config_app.toml`, finds the fetcher
//! by its path and talks to it. Then it shows what a broken file reports.
//!
//! Run: `cargo run --example config_app`. Its operator command, built on
//! `retinue-cli` with the same kinds, is `cli/examples/app_cli.rs`.

#[path = "my_app/fetcher.rs"]
mod fetcher;

use fetcher::{FetchAll, Fetcher};
use retinue::config::{Format, load_str};
use retinue::supervisor::System;

fn main() {
    let kinds = fetcher::kinds();

    retinue::rt::block_on(async {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/config_app.toml");
        let system = System::from_config_file(path, &kinds)
            .await
            .expect("the example file is valid");
        println!("{}", system.tree().await.expect("the tree is up"));

        let fetcher = system
            .lookup_path::<Fetcher>("workers/fetcher")
            .await
            .expect("workers/fetcher is a Fetcher");
        for line in fetcher.ask(FetchAll).await.expect("the fetcher answers") {
            println!("{line}");
        }
        system.shutdown().await;

        // A broken file: every problem is reported at once, nothing starts.
        let broken = r#"
[supervisor]
strategy = "one_for_everyone"

[[supervisor.children]]
id = "workers"
kind = "my_app.fetcher"
args = { urls = "not a list", connections = "connections" }

[[supervisor.children]]
id = "more"
kind = "my_app.fetcher"
args = { urls = [], connections = "conections" }
"#;
        let err = load_str(broken, Format::Toml, "broken.toml", &kinds).unwrap_err();
        println!("\n{err}");
    });
}
