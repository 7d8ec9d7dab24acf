//! Property tests of the loader under hostile input (the quick CI
//! counterpart of the cargo-fuzz target in fuzz/): random bytes and
//! mutated example files in every format never panic, every error is
//! located (a line and column inside the source), and large inputs of
//! every shape load (their timing is in `benches/config_load.rs`).
//! `RETINUE_FUZZ_CASES` raises the number of cases (default 64).

use proptest::prelude::*;
use retinue::config::{ConfigError, Format, Kinds, load_str};

const FILES: &[(&str, Format)] = &[
    (include_str!("../../examples/web_app.toml"), Format::Toml),
    (include_str!("../../examples/pipeline.toml"), Format::Toml),
    (
        include_str!("../../examples/service_breaker.toml"),
        Format::Toml,
    ),
    (include_str!("../../examples/pipeline.json"), Format::Json),
    (include_str!("../../examples/web_app.yaml"), Format::Yaml),
    (include_str!("valid/tree.toml"), Format::Toml),
    (include_str!("valid/tree.json"), Format::Json),
    (include_str!("valid/tree.yaml"), Format::Yaml),
];

const FORMATS: [Format; 3] = [Format::Toml, Format::Json, Format::Yaml];

fn cases() -> u32 {
    std::env::var("RETINUE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// Loads `text`; on error, checks that every diagnostic is inside the
/// source and has a line and column.
fn check(text: &str, format: Format) {
    match load_str(text, format, "fuzz", &Kinds::builtin()) {
        Ok(tree) => {
            let _ = tree.to_normalized_json();
        }
        Err(e) => located(&e, text),
    }
}

fn located(e: &ConfigError, text: &str) {
    assert!(!e.diagnostics().is_empty());
    for d in e.diagnostics() {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "{:?} outside {} bytes: {}",
            d.span,
            text.len(),
            d.message
        );
    }
    let json = e.to_json_lines();
    assert_eq!(json.lines().count(), e.diagnostics().len());
    for line in json.lines() {
        let at = line.find("\"line\":").expect("a line") + 7;
        assert!(
            line[at..].starts_with(|c: char| c.is_ascii_digit()),
            "{line}"
        );
        assert!(line.contains("\"column\":"), "{line}");
    }
    let _ = e.render();
}

/// One edit of a file: delete, insert or duplicate at a position.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Repeat(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), "[\\[\\]{}\"'=:,\\-#\\\\ \t\na-z0-9.]{1,12}")
            .prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), 1usize..60, 1usize..50).prop_map(|(at, n, k)| Edit::Repeat(at, n, k)),
    ]
}

fn boundary(s: &str, at: usize) -> usize {
    let at = if s.is_empty() { 0 } else { at % (s.len() + 1) };
    (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut s = source.to_string();
    for e in edits {
        match e {
            Edit::Delete(at, n) => {
                let a = boundary(&s, *at);
                let b = boundary(&s, a + n);
                s.replace_range(a..b.max(a), "");
            }
            Edit::Insert(at, text) => {
                let a = boundary(&s, *at);
                s.insert_str(a, text);
            }
            Edit::Repeat(at, n, k) => {
                let a = boundary(&s, *at);
                let b = boundary(&s, a + n).max(a);
                let chunk = s[a..b].repeat(*k);
                s.insert_str(b, &chunk);
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        for format in FORMATS {
            check(&text, format);
        }
    }

    #[test]
    fn random_syntax_never_panics(text in "[\\[\\]{}\"=:,\\- \n\ta-z0-9_.]{0,300}") {
        for format in FORMATS {
            check(&text, format);
        }
    }

    #[test]
    fn mutated_examples_never_panic(
        file in 0..FILES.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let (source, format) = FILES[file];
        let mutated = apply(source, &edits);
        check(&mutated, format);
        // The same bytes read as the other formats, too.
        for other in FORMATS {
            if other != format {
                check(&mutated, other);
            }
        }
    }
}

/// Large inputs of the shapes that once were slow or deep: they load (or
/// fail with located errors) in one linear pass.
#[test]
fn large_inputs_load() {
    let n = 20_000;
    let mut children = String::from("[supervisor]\nchildren = [\n");
    for i in 0..n {
        children.push_str(&format!(
            "{{ id = \"c{i}\", kind = \"condition\", args = {{ lock = \"l{i}\" }} }},\n"
        ));
    }
    children.push_str("]\n");
    // 20 000 dangling references.
    check(&children, Format::Toml);

    let keys: String = (0..n).map(|i| format!("k{i}: {i}\n")).collect();
    check(
        &format!("supervisor:\n  x:\n{}", indent(&keys)),
        Format::Yaml,
    );
    let same: String = (0..n).map(|_| "k: 1\n").collect();
    check(
        &format!("supervisor:\n  x:\n{}", indent(&same)),
        Format::Yaml,
    );
    let array = format!(
        "{{\"supervisor\": {{\"children\": [{}1]}}}}",
        "1,".repeat(n * 10)
    );
    check(&array, Format::Json);
    let long = format!("[supervisor]\nstrategy = \"{}\"\n", "x".repeat(1 << 20));
    check(&long, Format::Toml);
    let deep = format!("{}1", "- ".repeat(100_000));
    check(&deep, Format::Yaml);
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}
