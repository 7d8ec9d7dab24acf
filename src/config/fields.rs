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

    /// Reports a serde error: `within` names the args' owner, if any;
    /// `field` the key whose value was read, when the error does not
    /// know a deeper one.
    pub(super) fn de_error_in(
        &mut self,
        within: &str,
        field: Option<&str>,
        code: &'static str,
        e: DeError,
        at: Span,
    ) {
        let code = if e.message.starts_with("unknown field") {
            "unknown-field"
        } else if e.message.starts_with("unknown kind") {
            "unknown-kind" // a pool's worker kind
        } else if e.missing.is_some() {
            "missing-field"
        } else {
            code
        };
        let field = e.field.as_deref().or(field);
        let in_args = if within.is_empty() {
            String::new()
        } else {
            format!(" in the args of {within}")
        };
        let (message, label) = match (code, field) {
            ("unknown-field" | "missing-field", _) => {
                (format!("{}{in_args}", e.message), "here".to_string())
            }
            ("unknown-kind", _) => (
                format!("{}{in_args}", e.message),
                "no kind of this name is registered".to_string(),
            ),
            (_, Some(f)) => (format!("bad value for `{f}`{in_args}"), e.message.clone()),
            (_, None) if within.is_empty() => (e.message.clone(), "here".to_string()),
            (_, None) => (format!("bad args for {within}"), e.message.clone()),
        };
        self.diags.push(
            Diagnostic::new(code, message, e.span.unwrap_or(at))
                .label(label)
                .note(e.help),
        );
    }

    /// The value of `field`, as a `T`.
    pub(super) fn typed<T: DeserializeOwned>(
        &mut self,
        code: &'static str,
        field: &str,
        node: &Node,
    ) -> Option<T> {
        match from_node::<T>(node) {
            Ok(v) => Some(v),
            Err(e) => {
                self.de_error_in("", Some(field), code, e, node.span);
                None
            }
        }
    }

    pub(super) fn duration(&mut self, node: &Node) -> Option<Duration> {
        const HOW: &str = "write durations like \"250ms\", \"5s\" or \"1m 30s\" (or integer milliseconds); durations cannot be negative";
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
                            .note(Some(HOW.into())),
                    );
                    None
                }
            },
            Value::Int(ms) if *ms >= 0 => Some(Duration::from_millis(*ms as u64)),
            Value::Int(_) => {
                self.diags.push(
                    Diagnostic::new("bad-duration", "a duration cannot be negative", node.span)
                        .label("expected 0 or more milliseconds")
                        .note(Some(HOW.into())),
                );
                None
            }
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        "bad-duration",
                        format!(
                            "expected a duration such as \"250ms\" or \"5s\", found {}",
                            node.type_name()
                        ),
                        node.span,
                    )
                    .label("expected a duration")
                    .note(Some(HOW.into())),
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
