//! Snapshots of the diagnostics for invalid config files, one file (or
//! more) per error class, in tests/config/invalid/. A file is named after
//! the diagnostic code it must produce (`unknown-field.args.toml` must
//! produce at least one `unknown-field`). The rendered text is compared
//! with `<file>.expected`; run with `UPDATE_SNAPSHOTS=1` to rewrite them.

use std::path::Path;

use crate::common;

use retinue::config::{ConfigKind, Format, Kinds, Ref, Refs, load_str};
use retinue::sync::{Condition, Queue};
use retinue::{Actor, BoxError};

struct Consumer;
impl Actor for Consumer {}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsumerArgs {
    queue: Ref<Queue<String>>,
}

impl ConfigKind for Consumer {
    type Args = ConsumerArgs;
    fn build(args: &ConsumerArgs, refs: &Refs) -> Result<Self, BoxError> {
        refs.get(&args.queue)?;
        Ok(Consumer)
    }
}

struct Waiter;
impl Actor for Waiter {}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiterArgs {
    condition: Ref<Condition>,
}

impl ConfigKind for Waiter {
    type Args = WaiterArgs;
    fn build(args: &WaiterArgs, refs: &Refs) -> Result<Self, BoxError> {
        refs.get(&args.condition)?;
        Ok(Waiter)
    }
}

fn kinds() -> Kinds {
    let mut kinds = Kinds::builtin();
    kinds
        .register::<Consumer>("test.consumer")
        .register::<Waiter>("test.waiter");
    kinds
}

fn enabled(format: Format) -> bool {
    match format {
        Format::Toml => true,
        Format::Json => cfg!(feature = "json"),
        Format::Yaml => cfg!(feature = "yaml"),
    }
}

#[test]
fn every_invalid_file_reports_its_class_and_matches_its_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "expected"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the invalid corpus is missing");
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for path in files {
        let format = Format::from_path(&path);
        if !enabled(format) {
            continue;
        }
        let file_name = path.file_name().unwrap().to_str().unwrap().to_string();
        let source = std::fs::read_to_string(&path).unwrap();
        let name = format!("invalid/{file_name}");
        let err = match load_str(&source, format, &name, &kinds()) {
            Ok(_) => panic!("{file_name} loaded, but it is invalid"),
            Err(e) => e,
        };
        let code = file_name.split('.').next().unwrap();
        assert!(
            (code == "many" && err.diagnostics().len() >= 3)
                || err.diagnostics().iter().any(|d| d.code == code),
            "{file_name}: no `{code}` diagnostic in:\n{err}"
        );
        let rendered = err.render();
        assert!(
            !rendered.contains('\x1b'),
            "{file_name}: colour codes in the output"
        );
        common::snapshot::check(&path, &rendered, &mut mismatches);
        checked += 1;
    }
    assert!(checked >= 15);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn rendering_is_deterministic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/invalid");
    let source = std::fs::read_to_string(dir.join("bad-value.toml")).unwrap();
    let a = load_str(&source, Format::Toml, "x.toml", &kinds())
        .unwrap_err()
        .render();
    let b = load_str(&source, Format::Toml, "x.toml", &kinds())
        .unwrap_err()
        .render();
    assert_eq!(a, b);
}

#[test]
fn all_errors_are_reported_at_once() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/invalid");
    let source = std::fs::read_to_string(dir.join("bad-value.toml")).unwrap();
    let err = load_str(&source, Format::Toml, "x.toml", &kinds()).unwrap_err();
    // strategy, auto_shutdown, restart, shutdown, capacity, args.order
    assert_eq!(err.diagnostics().len(), 6, "{err}");
    let lines: Vec<usize> = err
        .diagnostics()
        .iter()
        .map(|d| source[..d.span.start].lines().count())
        .collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "diagnostics come in file order");
}

#[test]
fn children_after_a_bad_reference_are_still_checked() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/invalid");
    let source = std::fs::read_to_string(dir.join("ref-type.condition.toml")).unwrap();
    let err = load_str(&source, Format::Toml, "x.toml", &kinds()).unwrap_err();
    let found: Vec<(&str, usize)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.code, source[..d.span.start].lines().count()))
        .collect();
    // `ready` (line 13) names an rwlock; `waiter` (line 22), declared after
    // it, is still checked; `late` (line 27) names the failed `ready` and
    // adds nothing.
    assert_eq!(found, [("ref-type", 13), ("ref-type", 22)], "{err}");
}

#[test]
fn a_caret_points_at_line_and_column() {
    let err = load_str(
        "[supervisor]\nwithin = \"soon\"\n",
        Format::Toml,
        "a.toml",
        &kinds(),
    )
    .unwrap_err();
    let text = err.render();
    assert!(
        text.contains("error[R0014]: bad duration \"soon\""),
        "{text}"
    );
    assert!(text.contains("a.toml:2:10"), "{text}");
    assert!(text.contains("^^^^^^"), "{text}");
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "\u{0}",
        "[[[",
        "supervisor = 3",
        "[supervisor]\nchildren = 5",
        "[supervisor]\nchildren = [1, \"x\", {}]",
        "[supervisor]\nchildren = [{ id = \"a/b\", kind = \"queue\" }]",
        "[supervisor]\nchildren = [{ id = \"a\", kind = 7 }]",
        "[supervisor]\nmax_restarts = -1\nwithin = -5",
        "[supervisor]\nchildren = [{ id = \"a\", kind = \"queue\", args = [1] }]",
        "[supervisor]\nchildren = [{ id = \"a\", kind = \"circuit_breaker\", args = { window = { count = 0 } } }]",
    ];
    for input in inputs {
        for format in [Format::Toml, Format::Json, Format::Yaml] {
            let _ = load_str(input, format, "g", &kinds()).map(|_| ());
        }
    }
}

mod never_panics {
    use proptest::prelude::*;
    use retinue::config::{Format, load_str};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn on_arbitrary_text(text in "\\PC{0,200}") {
            for format in [Format::Toml, Format::Json, Format::Yaml] {
                let _ = load_str(&text, format, "p", &super::kinds()).map(|_| ());
            }
        }

        #[test]
        fn on_mutated_valid_files(cut in 0usize..400, insert in "[\\[\\]{}\"=:,\\- a-z0-9\n]{0,6}") {
            let source = include_str!("valid/tree.toml");
            let cut = cut.min(source.len());
            let cut = (0..=cut).rev().find(|&i| source.is_char_boundary(i)).unwrap_or(0);
            let mutated = format!("{}{insert}{}", &source[..cut], &source[cut..]);
            let _ = load_str(&mutated, Format::Toml, "m", &super::kinds()).map(|_| ());
            let yaml = include_str!("valid/tree.yaml");
            let cut = cut.min(yaml.len());
            let mutated = format!("{}{insert}{}", &yaml[..cut], &yaml[cut..]);
            let _ = load_str(&mutated, Format::Yaml, "m", &super::kinds()).map(|_| ());
        }
    }
}
