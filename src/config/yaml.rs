//! YAML (and JSON, a subset of YAML 1.2) to [`Node`] with spans, built
//! from `saphyr-parser`'s event stream.
//!
//! Invariants: plain scalars resolve by the YAML 1.2 core schema (null,
//! booleans, integers, floats, else strings), quoted scalars are always
//! strings; duplicate keys, non-scalar keys, aliases and multi-document
//! streams are diagnostics, never panics; spans are byte offsets (the
//! parser counts characters, converted here).

use super::table_builder::TableBuilder;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};

use super::diagnostics::Diagnostic;
use super::format::too_deep;
use super::node::{Key, NESTING_LIMIT, Node, Span, Value};

enum Frame {
    Seq(usize, Vec<Node>),
    /// A mapping: its start, entries, the keys seen (for duplicates, in
    /// constant time per key) and the key waiting for its value.
    Map(usize, TableBuilder, Option<Key>),
}

/// Parses one YAML document.
pub(crate) fn parse(source: &str) -> Result<Node, Vec<Diagnostic>> {
    let bytes: Vec<usize> = source
        .char_indices()
        .map(|(b, _)| b)
        .chain([source.len()])
        .collect();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(source.len());
    let span = |s: &YSpan| Span::new(at(s.start.index()), at(s.end.index()));
    let mut parser = Parser::new_from_str(source);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut diags = Vec::new();
    while let Some(event) = parser.next_event() {
        let (event, ys) = match event {
            Ok(e) => e,
            Err(e) => {
                let m = e.marker();
                let start = at(m.index());
                // The scanner refuses flow collections (`[`, `{`) nested
                // 256 deep, deeper than our own limit: say it our way.
                if e.info().contains("recursion limit") {
                    return Err(vec![too_deep(Span::new(start, start + 1))]);
                }
                return Err(vec![
                    Diagnostic::new("syntax", "invalid YAML", Span::new(start, start + 1))
                        .label(e.info().to_string()),
                ]);
            }
        };
        let sp = span(&ys);
        let done = match event {
            Event::Scalar(text, style, _, _) => Some(Node::new(scalar(&text, style), sp)),
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= NESTING_LIMIT => {
                return Err(vec![too_deep(sp)]);
            }
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq(sp.start, Vec::new()));
                None
            }
            Event::MappingStart(..) => {
                stack.push(Frame::Map(sp.start, TableBuilder::default(), None));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(start, items)) => {
                    Some(Node::new(Value::Array(items), Span::new(start, sp.end)))
                }
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(start, table, _)) => Some(Node::new(
                    Value::Table(table.finish()),
                    Span::new(start, sp.end),
                )),
                _ => None,
            },
            Event::Alias(_) => {
                diags.push(
                    Diagnostic::new("syntax", "YAML aliases are not supported here", sp)
                        .label("write the value out"),
                );
                Some(Node::new(Value::Null, sp))
            }
            Event::DocumentStart(_) if root.is_some() => {
                diags.push(
                    Diagnostic::new("syntax", "a config file holds one YAML document", sp)
                        .label("a second document starts here"),
                );
                break;
            }
            _ => None,
        };
        if let Some(mut node) = done {
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq(_, items)) => items.push(node),
                Some(Frame::Map(_, table, key)) => match key.take() {
                    Some(k) => table.insert(k, node, &mut diags),
                    None => match &mut node.value {
                        Value::Str(name) => {
                            *key = Some(Key {
                                name: std::mem::take(name),
                                span: node.span,
                            })
                        }
                        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                            let name = source
                                .get(node.span.start..node.span.end)
                                .unwrap_or("")
                                .to_string();
                            *key = Some(Key {
                                name,
                                span: node.span,
                            });
                        }
                        _ => {
                            diags.push(
                                Diagnostic::new("syntax", "keys must be plain names", node.span)
                                    .label("a table or list used as a key"),
                            );
                            *key = Some(Key {
                                name: String::new(),
                                span: node.span,
                            });
                        }
                    },
                },
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(root.unwrap_or_else(|| Node::new(Value::Table(Vec::new()), Span::new(0, source.len()))))
}

fn scalar(text: &str, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::Str(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | "+.inf" | ".Inf" | ".INF" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Int(i);
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Int(i);
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Int(i);
    }
    let numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if numeric && let Ok(f) = text.parse::<f64>() {
        return Value::Float(f);
    }
    Value::Str(text.to_string())
}
