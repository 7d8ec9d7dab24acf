//! `retinue` on a file that declares a `pool`: `tree` shows its size,
//! worker kind and routing, `check` accepts it, `run` shows the pool as a
//! supervisor with its workers.

use std::path::PathBuf;
use std::process::{Command, Output};

fn retinue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retinue"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn tree_shows_a_pool_with_its_size_worker_kind_and_routing() {
    let out = retinue(&["tree", "examples/pool_demo.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.ends_with(
            "└── workers [pool: 4 × demo.worker, round_robin] -> jobs, slots, payments_api, payments\n"
        ),
        "{stdout}"
    );
    assert!(
        retinue(&["check", "examples/pool_demo.toml"])
            .status
            .success()
    );
}

#[test]
fn run_shows_the_pools_workers_as_actors() {
    let out = retinue(&[
        "run",
        "examples/pool_demo.toml",
        "--duration",
        "1s",
        "--interval",
        "500ms",
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let first: serde_json::Value =
        serde_json::from_str(stdout.lines().next().expect("a snapshot")).unwrap();
    let rows = first["rows"].as_array().unwrap();
    let kind_of = |path: &str| {
        rows.iter().find(|r| r["path"] == path).map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["depth"].as_u64().unwrap(),
            )
        })
    };
    assert_eq!(kind_of("workers"), Some(("pool".into(), 1)), "{first}");
    for i in 0..4 {
        let worker = kind_of(&format!("workers/worker-{i}"));
        assert_eq!(worker, Some(("demo.worker".into(), 2)), "{first}");
    }
}
