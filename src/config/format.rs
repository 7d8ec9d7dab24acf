//! Config file formats and their parsers into [`Node`] trees with spans.
//!
//! TOML (always available, the `toml` crate's spanned document parser),
//! JSON (feature `json`: `serde_json` checks the syntax strictly, then the
//! YAML 1.2 parser, of which JSON is a subset, gives the spans) and YAML
//! (feature `yaml`: `saphyr-parser`). Invariant: a syntax error is returned
//! as diagnostics, never a panic, and a document that parses has a table
//! at its root.

use std::path::Path;

use super::diagnostics::Diagnostic;
use super::node::{Key, NESTING_LIMIT, Node, Span, Value};

/// A config file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML (the default).
    Toml,
    /// JSON (cargo feature `json`).
    Json,
    /// YAML (cargo feature `yaml`).
    Yaml,
}

impl Format {
    /// The format a file name's extension names (`.toml`, `.json`,
    /// `.yaml`/`.yml`); TOML for anything else.
    pub fn from_path(path: impl AsRef<Path>) -> Format {
        match path.as_ref().extension().and_then(|e| e.to_str()) {
            Some("json") => Format::Json,
            Some("yaml" | "yml") => Format::Yaml,
            _ => Format::Toml,
        }
    }
}

impl Node {
    /// Parses a whole document.
    pub fn parse(source: &str, format: Format) -> Result<Node, Vec<Diagnostic>> {
        Node::parse_any(source, format).map_err(|mut diags| {
            // A parser may point one past the end (the file ends too
            // early): keep every span inside the source.
            let len = source.len();
            for d in &mut diags {
                let start = d.span.start.min(len);
                let start = if start == len && start > 0 && d.span.end > len {
                    start - 1
                } else {
                    start
                };
                d.span = Span::new(start, d.span.end.min(len));
            }
            diags
        })
    }

    fn parse_any(source: &str, format: Format) -> Result<Node, Vec<Diagnostic>> {
        let root = match format {
            Format::Toml => parse_toml(source)?,
            #[cfg(feature = "json")]
            Format::Json => super::json::parse(source)?,
            #[cfg(feature = "yaml")]
            Format::Yaml => super::yaml::parse(source)?,
            #[allow(unreachable_patterns)]
            other => {
                return Err(vec![Diagnostic::new(
                    "format",
                    format!(
                        "{other:?} support is not compiled in (enable the `{}` feature of retinue)",
                        format!("{other:?}").to_lowercase()
                    ),
                    Span::default(),
                )]);
            }
        };
        match root.value {
            Value::Table(_) => Ok(root),
            _ => Err(vec![
                Diagnostic::new(
                    "syntax",
                    format!("the document is {}, expected a table", root.type_name()),
                    root.span,
                )
                .label("expected a table with a `supervisor` key"),
            ]),
        }
    }
}

fn parse_toml(source: &str) -> Result<Node, Vec<Diagnostic>> {
    let (table, errors) = toml::de::DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        return Err(errors.iter().map(|e| toml_error(e, source)).collect());
    }
    let mut diags = Vec::new();
    let value = toml_table(table.get_ref(), 1, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Node::new(value, Span::new(0, source.len())))
}

/// A TOML parser error in our words. The parser refuses inline tables and
/// arrays nested deeper than its own limit and key paths longer than it
/// (`a.b.c...`); both are deeper than [`NESTING_LIMIT`], so they are
/// reported as our nesting error.
fn toml_error(e: &toml::de::Error, source: &str) -> Diagnostic {
    let span = e.span().map(Span::from).unwrap_or_default();
    let message = e.message().trim();
    if message.contains("recurs") {
        return too_deep(span);
    }
    let span = if span.start >= source.len() && !source.is_empty() {
        Span::new(source.len() - 1, source.len())
    } else {
        span
    };
    Diagnostic::new("syntax", "invalid TOML", span).label(message.to_string())
}

fn toml_table(table: &toml::de::DeTable<'_>, depth: usize, diags: &mut Vec<Diagnostic>) -> Value {
    Value::Table(
        table
            .iter()
            .map(|(k, v)| {
                let key = Key {
                    name: k.get_ref().to_string(),
                    span: k.span().into(),
                };
                (key, toml_node(v, depth, diags))
            })
            .collect(),
    )
}

/// `depth`: how many tables and arrays hold `v`.
fn toml_node(
    v: &toml::Spanned<toml::de::DeValue<'_>>,
    depth: usize,
    diags: &mut Vec<Diagnostic>,
) -> Node {
    use toml::de::DeValue;
    let span: Span = v.span().into();
    let nests = matches!(v.get_ref(), DeValue::Array(_) | DeValue::Table(_));
    if nests && depth >= NESTING_LIMIT {
        if diags.iter().all(|d| d.code != "nesting") {
            diags.push(too_deep(span));
        }
        return Node::new(Value::Null, span);
    }
    let value = match v.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => Value::Int(n),
                Err(_) => {
                    diags.push(
                        Diagnostic::new("syntax", "integer out of range", span)
                            .label("does not fit in 64 bits"),
                    );
                    Value::Int(0)
                }
            }
        }
        DeValue::Float(f) => {
            let text = f.as_str().replace('_', "");
            let parsed = match text.as_str() {
                "inf" | "+inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" | "+nan" | "-nan" => Ok(f64::NAN),
                t => t.parse::<f64>(),
            };
            match parsed {
                Ok(x) => Value::Float(x),
                Err(_) => {
                    diags.push(Diagnostic::new("syntax", "invalid float", span));
                    Value::Float(0.0)
                }
            }
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Str(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|n| toml_node(n, depth + 1, diags))
                .collect(),
        ),
        DeValue::Table(t) => toml_table(t, depth + 1, diags),
    };
    Node::new(value, span)
}

/// The error for a table or array past [`NESTING_LIMIT`] (every format).
pub(crate) fn too_deep(at: Span) -> Diagnostic {
    Diagnostic::new(
        "nesting",
        format!("the file nests tables and lists more than {NESTING_LIMIT} levels deep"),
        Span::new(at.start, at.start + 1),
    )
    .label(format!("level {} starts here", NESTING_LIMIT + 1))
    .note(Some(format!(
        "a config file nests at most {NESTING_LIMIT} levels (about 20 nested supervisors); flatten the structure"
    )))
}
