//! [`Node`]: a parsed config document as a tree of values, each with the
//! byte span it came from, whatever the format (TOML, JSON, YAML).
//!
//! Invariants: every node's span lies within the source it was parsed
//! from; table entries keep their order in the file; spans never take part
//! in serialization (a node serializes as the plain value it holds), so the
//! same tree written in two formats serializes the same; a parsed tree is
//! at most [`NESTING_LIMIT`] levels deep (the parsers refuse deeper files
//! with a located error before they recurse), and dropping a tree of any
//! depth does not recurse (so a deep tree built by hand cannot overflow
//! the stack when it goes away).

use std::ops::Range;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// How deep tables and arrays may nest in a config file, in every format:
/// the root table is level 1, a table or array inside it level 2, and so
/// on. A file that nests deeper is refused with an error at the first
/// table or array past the limit (`R0002`), before anything recurses
/// that deep.
/// Each nested supervisor takes three levels (`supervisor`, `children`,
/// the child's table), so the limit allows about 20 supervisor levels.
pub const NESTING_LIMIT: usize = 64;

/// A byte range in a config source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Span {
        Span::new(r.start, r.end)
    }
}

impl From<Span> for Range<usize> {
    fn from(s: Span) -> Range<usize> {
        s.start..s.end
    }
}

/// A table key and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key.
    pub name: String,
    /// Where the key is written.
    pub span: Span,
}

/// One value of a config document.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` / `~` (JSON and YAML only).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (TOML datetimes are kept as strings).
    Str(String),
    /// An array.
    Array(Vec<Node>),
    /// A table, in file order.
    Table(Vec<(Key, Node)>),
}

/// A value with its span.
///
/// ```
/// use retinue::config::{Format, Node};
///
/// let node = Node::parse("a = 1\n", Format::Toml).unwrap();
/// assert_eq!(node.get("a").unwrap().span.start, 4);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it is written.
    pub span: Span,
}

impl Node {
    /// A node.
    pub fn new(value: Value, span: Span) -> Node {
        Node { value, span }
    }

    /// A table's entry by key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Table(entries) => entries.iter().find(|(k, _)| k.name == key).map(|e| &e.1),
            _ => None,
        }
    }

    /// What kind of value this is, for messages ("a string", "a table").
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// Drops the children of a table or array one by one from a worklist, so
/// dropping a deep tree uses a constant amount of stack.
impl Drop for Value {
    fn drop(&mut self) {
        let mut work: Vec<Node> = Vec::new();
        take_children(self, &mut work);
        while let Some(mut node) = work.pop() {
            take_children(&mut node.value, &mut work);
            // `node` now holds no children: dropping it does not recurse.
        }
    }
}

fn take_children(value: &mut Value, work: &mut Vec<Node>) {
    match value {
        Value::Array(items) if items.iter().any(Node::has_children) => {
            work.append(items);
        }
        Value::Table(entries) if entries.iter().any(|(_, n)| n.has_children()) => {
            work.extend(std::mem::take(entries).into_iter().map(|(_, n)| n));
        }
        _ => {}
    }
}

impl Node {
    fn has_children(&self) -> bool {
        match &self.value {
            Value::Array(items) => !items.is_empty(),
            Value::Table(entries) => !entries.is_empty(),
            _ => false,
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(v) => s.serialize_str(v),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Table(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(&k.name, v)?;
                }
                map.end()
            }
        }
    }
}
