//! Field-level decoding for [`Decoder`]: tables with unknown-key checks,
//! serde-typed values, durations, shutdowns and capacities.
//!
//! Invariant: each helper reports its own problem (with the span of the
//! key or value at fault) and returns `None`; none of them stops decoding.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::Capacity;
use crate::supervisor::Shutdown;

use super::de::{DeError, from_node};
use super::decode::Decoder;
use super::diagnostics::Diagnostic;
use super::node::{Key, Node, Span, Value};
use super::suggest::did_you_mean;

impl Decoder<'_> {
    /// Checks that `node` is a table and reports its unknown keys.
    pub(super) fn table<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        fields: &[&str],
    ) -> Option<&'n [(Key, Node)]> {
        let Value::Table(entries) = &node.value else {
            self.diags.push(
                Diagnostic::new(
                    "wrong-type",
                    format!("{what} must be a table, found {}", node.type_name()),
                    node.span,
                )
                .label("expected a table"),
            );
            return None;
        };
        for (key, _) in entries {
            if !fields.contains(&key.name.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        "unknown-field",
                        format!("unknown field `{}`", key.name),
                        key.span,
                    )
                    .label(format!("not a field of {what}"))
                    .note(
                        did_you_mean(&key.name, fields.iter().copied()).or_else(|| {
                            Some(format!(
                                "the fields are {}",
                                fields
                                    .iter()
                                    .map(|f| format!("`{f}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                        }),
                    ),
                );
            }
        }
        Some(entries)
    }

    pub(super) fn de_error(&mut self, code: &'static str, e: DeError, at: Span) {
        self.de_error_in("", code, e, at)
    }

    /// Reports a serde error; `within` names the args' owner, if any.
    pub(super) fn de_error_in(&mut self, within: &str, code: &'static str, e: DeError, at: Span) {
        let code = if e.message.starts_with("unknown field") {
            "unknown-field"
        } else if e.message.starts_with("missing field") {
            "missing-field"
        } else {
            code
        };
        let message = match (within, code) {
            ("", _) => e.message.clone(),
            (owner, "bad-args") => format!("bad args for {owner}: {}", e.message),
            (owner, _) => format!("{} in the args of {owner}", e.message),
        };
        self.diags.push(
            Diagnostic::new(code, message, e.span.unwrap_or(at))
                .label("here")
                .note(e.help),
        );
    }

    pub(super) fn typed<T: DeserializeOwned>(
        &mut self,
        code: &'static str,
        node: &Node,
    ) -> Option<T> {
        match from_node::<T>(node) {
            Ok(v) => Some(v),
            Err(e) => {
                self.de_error(code, e, node.span);
                None
            }
        }
    }

    pub(super) fn duration(&mut self, node: &Node) -> Option<Duration> {
        match &node.value {
            Value::Str(s) => match crate::duration::parse(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.diags.push(
                        Diagnostic::new("bad-duration", format!("bad duration {s:?}"), node.span)
                            .label(
                                e.trim_start_matches(&format!("invalid duration {s:?}: "))
                                    .to_string(),
                            )
                            .note(Some(
                                "write durations like \"250ms\", \"5s\" or \"1m 30s\"".into(),
                            )),
                    );
                    None
                }
            },
            Value::Int(ms) if *ms >= 0 => Some(Duration::from_millis(*ms as u64)),
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        "bad-duration",
                        format!(
                            "a duration must be a string such as \"5s\", found {}",
                            node.type_name()
                        ),
                        node.span,
                    )
                    .label("expected a duration"),
                );
                None
            }
        }
    }

    pub(super) fn shutdown(&mut self, v: &Node) -> Option<Shutdown> {
        match &v.value {
            Value::Str(s) if s == "brutal" => Some(Shutdown::Brutal),
            Value::Str(s) if s == "infinity" => Some(Shutdown::Infinity),
            Value::Str(s) if crate::duration::parse(s).is_err() => {
                self.diags.push(
                    Diagnostic::new("bad-value", format!("bad shutdown {s:?}"), v.span)
                        .label("expected \"brutal\", \"infinity\" or a duration such as \"5s\"")
                        .note(did_you_mean(s, ["brutal", "infinity"])),
                );
                None
            }
            _ => self.duration(v).map(Shutdown::Timeout),
        }
    }

    pub(super) fn capacity(&mut self, v: &Node) -> Option<Capacity> {
        match &v.value {
            Value::Int(n) if *n > 0 => Some(Capacity::Bounded(*n as usize)),
            Value::Str(s) if s == "unbounded" => Some(Capacity::Unbounded),
            _ => {
                self.diags.push(
                    Diagnostic::new("bad-value", "bad capacity", v.span)
                        .label("expected a positive number of messages or \"unbounded\""),
                );
                None
            }
        }
    }
}
