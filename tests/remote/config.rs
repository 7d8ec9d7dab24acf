//! Config files that declare a node and exported children (feature
//! `nats`): the diagnostics of bad files (snapshots in
//! tests/config/remote_invalid/, named after the code each must produce;
//! `UPDATE_SNAPSHOTS=1` rewrites them), and a tree started from a file
//! against a real nats-server, its exported child reached from a second
//! node.

#![cfg(all(feature = "nats", feature = "config"))]

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::nats::{NatsServer, connect};
use retinue::config::{ConfigKind, Format, Kinds, Refs, load_str};
use retinue::remote::{GetNode, RemoteErrorKind, RemoteMessage};
use retinue::{Actor, BoxError, Context, Handler, Message, rt};
use serde::{Deserialize, Serialize};

/// Keeps the numbers it was told.
#[derive(Default)]
struct Store(Vec<u64>);
impl Actor for Store {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreArgs {}

impl ConfigKind for Store {
    type Args = StoreArgs;
    fn build(_: &StoreArgs, _: &Refs) -> Result<Self, BoxError> {
        Ok(Store::default())
    }
}

#[derive(Serialize, Deserialize)]
struct Push(u64);
impl Message for Push {
    type Reply = ();
}
impl RemoteMessage for Push {
    const TAG: &'static str = "cfg.Push";
}
impl Handler<Push> for Store {
    async fn handle(&mut self, msg: Push, _: &mut Context<Self>) {
        self.0.push(msg.0);
    }
}

#[derive(Serialize, Deserialize)]
struct Seen;
impl Message for Seen {
    type Reply = Vec<u64>;
}
impl RemoteMessage for Seen {
    const TAG: &'static str = "cfg.Seen";
}
impl Handler<Seen> for Store {
    async fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Vec<u64> {
        self.0.clone()
    }
}

fn kinds() -> Kinds {
    let mut kinds = Kinds::builtin();
    kinds
        .register::<Store>("test.store")
        .exportable::<Store, _>("test.store", |e| e.message::<Push>().message::<Seen>());
    kinds
}

#[test]
fn every_invalid_remote_file_reports_its_code_and_matches_its_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/remote_invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "the invalid corpus is missing");
    let mut mismatches = Vec::new();
    for path in files {
        let file_name = path.file_name().unwrap().to_str().unwrap().to_string();
        let source = std::fs::read_to_string(&path).unwrap();
        let name = format!("remote_invalid/{file_name}");
        let err = match load_str(&source, Format::Toml, &name, &kinds()) {
            Ok(_) => panic!("{file_name} loaded, but it is invalid"),
            Err(e) => e,
        };
        let code = file_name.split('.').next().unwrap();
        assert!(
            err.diagnostics().iter().any(|d| d.code == code),
            "{file_name}: no `{code}` diagnostic in:\n{err}"
        );
        let rendered = err.render();
        common::snapshot::check(&path, &rendered, &mut mismatches);
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn the_remote_codes_are_explained_and_a_typo_gets_a_suggestion() {
    for code in ["R0030", "R0031", "R0032"] {
        assert!(retinue::config::explain(code).is_some(), "{code}");
    }
    let file = "[node]\nname = \"n\"\nurl = \"nats://127.0.0.1:1\"\nheartbeat_intervall = \"1s\"\n\n[supervisor]\n";
    let err = load_str(file, Format::Toml, "app.toml", &kinds()).unwrap_err();
    let typo = &err.diagnostics()[0];
    assert_eq!(typo.id(), "R0010");
    assert_eq!(typo.suggestion(), Some("heartbeat_interval"));
}

#[test]
fn a_node_and_its_exports_round_trip_through_the_normal_form() {
    let file = r#"
[node]
name = "billing-1"
url = "nats://127.0.0.1:4222"
heartbeat_timeout = "3s"

[supervisor]
children = [{ id = "store", kind = "test.store", export = "store" }]
"#;
    let tree = load_str(file, Format::Toml, "app.toml", &kinds()).unwrap();
    let node = tree.config().node.as_ref().unwrap();
    assert_eq!(node.name, "billing-1");
    assert_eq!(node.heartbeat_timeout, Duration::from_secs(3));
    assert_eq!(
        tree.config().supervisor.children[0].export.as_deref(),
        Some("store")
    );
    let json = tree.to_normalized_json();
    assert!(json.contains(r#""export": "store""#), "{json}");
    assert!(json.contains(r#""heartbeat_timeout": "3s""#), "{json}");
    if cfg!(feature = "json") {
        let again = load_str(&json, Format::Json, "normal.json", &kinds()).unwrap();
        assert_eq!(again.to_normalized_json(), json);
    }
}

#[test]
fn a_tree_from_a_file_joins_as_a_node_and_its_export_is_reached_from_another() {
    let server = NatsServer::start();
    let file = format!(
        r#"
[node]
name = "from-file"
url = "{}"
heartbeat_interval = "100ms"
heartbeat_timeout = "600ms"

[supervisor]
strategy = "rest_for_one"
children = [
  {{ id = "plain", kind = "test.store" }},
  {{ id = "inner", supervisor = {{ children = [
    {{ id = "store", kind = "test.store", export = "numbers" }},
  ] }} }},
]
"#,
        server.url()
    );
    rt::block_on(async {
        let tree = load_str(&file, Format::Toml, "app.toml", &kinds()).unwrap();
        let node_addr = tree.node().expect("a file with [node] has a node child");
        let system = tree.start().await.unwrap();
        let node = node_addr.ask(GetNode).await.unwrap().unwrap();
        assert_eq!(node.name(), "from-file");
        assert_eq!(node.exported(), vec!["numbers".to_string()]);

        let other = connect(&server.url(), "other").await;
        let numbers = other.lookup("numbers").await.unwrap();
        assert_eq!(numbers.node_name(), Some("from-file"));
        for i in 0..10 {
            numbers.tell(Push(i)).await.unwrap();
        }
        assert_eq!(
            numbers.ask(Seen).await.unwrap(),
            (0..10).collect::<Vec<_>>()
        );

        system.shutdown().await; // withdraws the export, closes the node
        let err = other.lookup("numbers").await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::NotExported, "{err}");
        // The name is free again.
        let again = connect(&server.url(), "from-file").await;
        again.close().await;
        other.close().await;
    });
}
