//! The one place where the CLI reaches into `retinue::config` for things
//! that are still being added there: stable error codes and their
//! explanations, cargo-style JSON diagnostics, warnings, the normalized
//! JSON of a tree, and handle lookups by path.
//!
//! Each function is a thin adapter. Where the library does not offer the
//! API yet, the body is a clearly marked TEMPORARY fallback built on what
//! exists today; at merge each is replaced by the one-line call named in
//! its `MERGE:` note, and nothing else in the CLI changes.
//!
//! Invariant: nothing here prints; callers decide where text goes.

use std::path::Path;

use retinue::config::{ConfigError, ConfigTree, RefTarget};

/// A handle of type `H` at `path` in a loaded tree, if there is one.
///
/// MERGE: when `ConfigTree::handle` returns a `Result`, this becomes
/// `tree.handle::<H>(path).ok()`.
pub fn handle<H: RefTarget>(tree: &ConfigTree, path: &str) -> Option<H> {
    tree.handle::<H>(path)
}

/// What an error code means, for `retinue explain CODE`.
///
/// MERGE: `retinue::config::explain(code)`.
pub fn explain(code: &str) -> Option<&'static str> {
    // TEMPORARY fallback: the codes the loader emits today, in short.
    let text = match code {
        "io" => "The file could not be read: it is missing, a directory, or not readable.",
        "syntax" => "The file is not valid TOML, JSON or YAML where the excerpt points.",
        "unknown-field" => {
            "A key that this table does not take. Check the spelling (a hint names the closest \
             known key) and the nesting level."
        }
        "missing-field" => "A required key is absent, e.g. a child without `id`.",
        "wrong-type" => "A value of the wrong shape: a string where a table is wanted, or so on.",
        "bad-value" => "A value this field does not accept (an unknown strategy name, say).",
        "bad-duration" => {
            "A duration that cannot be read. Write it as \"250ms\", \"5s\", \"1m 30s\"."
        }
        "duplicate-id" => "Two children of one supervisor share an id; ids name paths.",
        "invalid-combination" => {
            "Settings that contradict each other, e.g. a significant permanent child."
        }
        "unknown-kind" => {
            "A `kind` nobody registered. The stock `retinue` command knows the built-in and demo \
             kinds; an application's own kinds need its own operator command (see \
             cli/examples/app_cli.rs)."
        }
        "bad-args" => "The `args` table does not fit the kind's args type.",
        "dangling-ref" => "A reference to an id that no earlier sibling or ancestor's child has.",
        "forward-ref" => "A reference to a child that starts later; refer only to earlier ones.",
        "ref-type" => "A reference to a child of another kind than the field wants.",
        "build-failed" => "The kind refused its args when building the actor.",
        _ => return None,
    };
    Some(text)
}

/// Every diagnostic of `err` as one cargo-style JSON object per line.
///
/// MERGE: `err.to_json_lines()`.
pub fn error_json_lines(err: &ConfigError, file: &Path) -> String {
    // TEMPORARY fallback: rebuilt from the public diagnostics, with lines
    // and columns computed from the file read again.
    let source = std::fs::read_to_string(file).unwrap_or_default();
    let mut out = String::new();
    for d in err.diagnostics() {
        let (line, column) = line_col(&source, d.span.start);
        let value = serde_json::json!({
            "reason": "config-message",
            "level": "error",
            "code": d.code,
            "message": d.message,
            "file": err.file_name(),
            "span": { "start": d.span.start, "end": d.span.end, "line": line, "column": column },
            "label": d.label,
            "notes": d.notes,
        });
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

/// 1-based line and column of byte `at` in `source`.
fn line_col(source: &str, at: usize) -> (usize, usize) {
    let mut end = at.min(source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    let before = &source[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Warnings about valid but suspicious settings, rendered as text.
///
/// MERGE: render `tree.warnings()` (like errors, with or without colour).
pub fn warnings_text(_tree: &ConfigTree, _colour: bool) -> Vec<String> {
    // TEMPORARY fallback: no warnings until the loader has them.
    Vec::new()
}

/// Warnings as JSON lines, like [`error_json_lines`] with level "warning".
///
/// MERGE: from `tree.warnings()`.
pub fn warnings_json_lines(_tree: &ConfigTree) -> String {
    // TEMPORARY fallback: no warnings until the loader has them.
    String::new()
}

/// The tree as normalized JSON that `check` and `run` accept as it is.
///
/// MERGE: `tree.to_normalized_json()`.
pub fn normalized_json(tree: &ConfigTree) -> String {
    // TEMPORARY fallback: the model as it serializes today.
    serde_json::to_string_pretty(tree.config()).expect("the model serializes") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn every_code_the_loader_emits_today_is_explained() {
        for code in [
            "io",
            "syntax",
            "unknown-field",
            "unknown-kind",
            "dangling-ref",
        ] {
            assert!(explain(code).is_some(), "{code}");
        }
        assert_eq!(explain("no-such-code"), None);
    }
}
