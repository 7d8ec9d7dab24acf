//! A table under construction, shared by the JSON and YAML readers (TOML's
//! own parser reports its duplicates).
//!
//! Invariants: entries keep file order; a key written twice keeps its
//! first value, and the second writing becomes a `duplicate-key`
//! diagnostic that points at both places. Looking a key up is constant
//! time, so a wide table is read in linear time.

use std::collections::HashMap;

use super::diagnostics::Diagnostic;
use super::node::{Key, Node, Span};

#[derive(Default)]
pub(super) struct TableBuilder {
    entries: Vec<(Key, Node)>,
    seen: HashMap<String, Span>,
}

impl TableBuilder {
    /// Adds `key = node`, or reports `key` as a duplicate.
    pub(super) fn insert(&mut self, key: Key, node: Node, diags: &mut Vec<Diagnostic>) {
        if let Some(first) = self.seen.get(&key.name) {
            diags.push(
                Diagnostic::new(
                    "duplicate-key",
                    format!("duplicate key `{}`", key.name),
                    key.span,
                )
                .label("written again here")
                .related(*first, "first written here"),
            );
            return;
        }
        self.seen.insert(key.name.clone(), key.span);
        self.entries.push((key, node));
    }

    /// The entries, in file order.
    pub(super) fn finish(self) -> Vec<(Key, Node)> {
        self.entries
    }
}
