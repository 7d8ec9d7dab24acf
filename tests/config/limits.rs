//! Bad input at scale: deep nesting in every format is a located error
//! (never a stack overflow), deep trees drop without recursion, and
//! checking stays linear in the number of children with a bounded
//! rendering.

use retinue::config::{Format, Kinds, NESTING_LIMIT, Node, Span, Value, load_str};

fn enabled(format: Format) -> bool {
    match format {
        Format::Toml => true,
        Format::Json => cfg!(feature = "json"),
        Format::Yaml => cfg!(feature = "yaml"),
    }
}

/// Loads `source` and returns the rendered error, which must be a
/// nesting error.
fn nesting_error(source: &str, format: Format) -> String {
    let err = load_str(source, format, "deep", &Kinds::builtin()).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "nesting", "{format:?}: {err}");
    assert!(d.span.end <= source.len());
    err.render()
}

#[test]
fn deep_block_sequences_in_yaml_are_a_located_error() {
    if !enabled(Format::Yaml) {
        return;
    }
    // 100 000 nested block sequences in a 200 KB file.
    let source = format!("supervisor:\n  children:\n    {}1\n", "- ".repeat(100_000));
    let text = nesting_error(&source, Format::Yaml);
    assert!(
        text.contains("deep:3:"),
        "{}",
        &text[..text.len().min(2000)]
    );
    assert!(text.contains(&format!("more than {NESTING_LIMIT} levels")));
}

#[test]
fn deep_mappings_in_yaml_are_a_located_error() {
    if !enabled(Format::Yaml) {
        return;
    }
    let source: String = (0..10_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i.min(200))))
        .collect();
    // Indentation capped at 200 keeps the file small; the first 200
    // levels nest, which is past the limit.
    nesting_error(&source, Format::Yaml);
    let flow = format!("a: {}1{}\n", "{b: ".repeat(10_000), "}".repeat(10_000));
    nesting_error(&flow, Format::Yaml);
}

#[test]
fn deep_json_is_a_json_error_not_yaml() {
    if !enabled(Format::Json) {
        return;
    }
    for n in [NESTING_LIMIT, 100, 300, 100_000] {
        let source = format!("{{\"a\": {}1{}}}", "[".repeat(n), "]".repeat(n));
        let text = nesting_error(&source, Format::Json);
        assert!(!text.contains("YAML"), "{text}");
    }
    // Just inside the limit parses.
    let n = NESTING_LIMIT - 1;
    let source = format!("{{\"a\": {}1{}}}", "[".repeat(n), "]".repeat(n));
    assert!(Node::parse(&source, Format::Json).is_ok());
}

#[test]
fn deep_toml_is_explained_in_our_words() {
    for source in [
        format!("a = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        format!("a = {}1{}\n", "{b = ".repeat(1000), "}".repeat(1000)),
        format!("{} = 1\n", vec!["k"; 200].join(".")),
        format!("[{}]\n", vec!["k"; 70].join(".")),
    ] {
        let text = nesting_error(&source, Format::Toml);
        assert!(!text.contains("recurs"), "{text}");
    }
    let n = NESTING_LIMIT - 1;
    let source = format!("a = {}1{}\n", "[".repeat(n), "]".repeat(n));
    assert!(Node::parse(&source, Format::Toml).is_ok());
}

#[test]
fn a_deep_tree_built_by_hand_drops_without_recursion() {
    let mut node = Node::new(Value::Int(1), Span::default());
    for _ in 0..1_000_000 {
        node = Node::new(Value::Array(vec![node]), Span::default());
    }
    drop(node);
}

fn children(n: usize, id: impl Fn(usize) -> String) -> String {
    let mut s = String::from("[supervisor]\nchildren = [\n");
    for i in 0..n {
        s.push_str(&format!("{{ id = \"{}\", kind = \"event\" }},\n", id(i)));
    }
    s.push_str("]\n");
    s
}

#[test]
fn many_children_load() {
    // Time is measured by the benchmark-free check below staying linear:
    // in debug builds 100 000 children take about a second (release: a
    // fraction); a quadratic check took minutes.
    let source = children(100_000, |i| format!("c{i}"));
    let tree = load_str(&source, Format::Toml, "many", &Kinds::builtin()).unwrap();
    assert_eq!(tree.config().supervisor.children.len(), 100_000);
}

#[test]
fn many_duplicates_render_a_bounded_message() {
    let source = children(20_000, |_| "same".to_string());
    let err = load_str(&source, Format::Toml, "dups", &Kinds::builtin()).unwrap_err();
    assert_eq!(err.diagnostics().len(), 19_999);
    let text = err.render();
    assert!(text.len() < 64 * 1024, "{} bytes", text.len());
    assert!(
        text.contains("and 19949 more diagnostics not shown"),
        "{text}"
    );
}
