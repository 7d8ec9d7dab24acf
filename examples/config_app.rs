//! An app that ships its supervision tree as a file: it registers its own
//! actor kind (`my_app.fetcher`, with typed args that name a built-in
//! semaphore by id), loads `examples/config_app.toml`, finds the fetcher
//! by its path and talks to it. Then it shows what a broken file reports.
//!
//! Run: `cargo run --example config_app`

use retinue::config::{ConfigKind, Format, Kinds, Ref, Refs, load_str};
use retinue::supervisor::System;
use retinue::sync::Semaphore;
use retinue::{Actor, BoxError, Context, Handler, Message};

/// Fetches its URLs, at most `connections` at a time.
struct Fetcher {
    urls: Vec<String>,
    connections: Semaphore,
}

impl Actor for Fetcher {}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FetcherArgs {
    urls: Vec<String>,
    connections: Ref<Semaphore>,
}

impl ConfigKind for Fetcher {
    type Args = FetcherArgs;

    fn build(args: &FetcherArgs, refs: &Refs) -> Result<Self, BoxError> {
        Ok(Fetcher {
            urls: args.urls.clone(),
            connections: refs.get(&args.connections)?,
        })
    }
}

struct FetchAll;
impl Message for FetchAll {
    type Reply = Vec<String>;
}

impl Handler<FetchAll> for Fetcher {
    async fn handle(&mut self, _: FetchAll, _: &mut Context<Self>) -> Vec<String> {
        let mut done = Vec::new();
        for url in &self.urls {
            let Ok(_permit) = self.connections.acquire(1).await else {
                break;
            };
            done.push(format!("fetched {url}"));
        }
        done
    }
}

fn main() {
    let mut kinds = Kinds::builtin();
    kinds.register::<Fetcher>("my_app.fetcher");

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
