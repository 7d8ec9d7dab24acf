//! The application's own actor kind, `my_app.fetcher`: shared by the app
//! (`examples/config_app.rs`) and its operator command
//! (`cli/examples/app_cli.rs`), so both know exactly the same kinds.

use retinue::config::{ConfigKind, Kinds, Ref, Refs};
use retinue::sync::Semaphore;
use retinue::{Actor, BoxError, Context, Handler, Message};

/// Registers the app's kinds (here just one) next to the built-in ones.
pub fn kinds() -> Kinds {
    let mut kinds = Kinds::builtin();
    kinds.register::<Fetcher>("my_app.fetcher");
    kinds
}

/// Fetches its URLs, at most `connections` at a time.
pub struct Fetcher {
    urls: Vec<String>,
    connections: Semaphore,
}

impl Actor for Fetcher {}

/// The args of `my_app.fetcher`: its URLs and a semaphore named by id.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetcherArgs {
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

/// Fetch every URL; the reply says what was fetched.
pub struct FetchAll;
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
