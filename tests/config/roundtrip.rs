//! The normal form (`ConfigTree::to_normalized_json`) of every example
//! and valid test file loads back as JSON to the same normal form, and a
//! tree written in TOML, JSON and YAML has one normal form.

use std::path::{Path, PathBuf};

use retinue::config::{Format, Kinds, load_file, load_str};
use retinue::{Actor, BoxError};

struct Stub;
impl Actor for Stub {}

/// The built-in kinds plus stand-ins for the application kinds the
/// example files name (their args are taken as written).
fn kinds() -> Kinds {
    let mut kinds = Kinds::builtin();
    for name in [
        "demo.flaky_service",
        "demo.producer",
        "demo.worker",
        "my_app.fetcher",
        "test.consumer",
    ] {
        kinds.register_fn(name, |_: &serde::de::IgnoredAny, _| Ok::<_, BoxError>(Stub));
    }
    kinds
}

fn enabled(path: &Path) -> bool {
    match Format::from_path(path) {
        Format::Toml => true,
        Format::Json => cfg!(feature = "json"),
        Format::Yaml => cfg!(feature = "yaml"),
    }
}

fn files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "tests/config/valid"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "toml" | "json" | "yaml" | "yml") && enabled(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_example_round_trips_through_its_normal_form() {
    let kinds = kinds();
    let files = files();
    assert!(files.len() >= 4);
    for path in files {
        let tree = load_file(&path, &kinds).unwrap_or_else(|e| panic!("{e}"));
        let normal = tree.to_normalized_json();
        if !cfg!(feature = "json") {
            continue;
        }
        let again = load_str(&normal, Format::Json, "normal.json", &kinds)
            .unwrap_or_else(|e| panic!("{}: normal form rejected\n{e}\n{normal}", path.display()));
        assert_eq!(again.to_normalized_json(), normal, "{}", path.display());
    }
}

#[test]
fn one_tree_in_three_formats_has_one_normal_form() {
    if !(cfg!(feature = "json") && cfg!(feature = "yaml")) {
        return;
    }
    let kinds = kinds();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/valid");
    let normal = |name: &str| {
        load_file(dir.join(name), &kinds)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_normalized_json()
    };
    let toml = normal("tree.toml");
    assert_eq!(normal("tree.json"), toml);
    assert_eq!(normal("tree.yaml"), toml);
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let web = |name: &str| {
        load_file(examples.join(name), &kinds)
            .unwrap()
            .to_normalized_json()
    };
    assert_eq!(web("web_app.toml"), web("web_app.yaml"));
}
