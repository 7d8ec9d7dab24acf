//! A serde `Deserializer` over a [`Node`], so kinds read their typed args
//! straight from the parsed file and every error points at the value (or
//! key) that caused it.
//!
//! Invariants: an error gets the span of the innermost node being read
//! when it was raised (a wrong type points at the value, an unknown field
//! at its key, a missing field at the table); while a node is being read,
//! [`current_span`] returns its span (used by [`Ref`](super::Ref) to know
//! where it was written). Nothing here panics on any input.

use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::node::{Key, Node, Span, Value};
use super::suggest::did_you_mean;

thread_local! {
    static CURRENT: Cell<Option<Span>> = const { Cell::new(None) };
}

/// The span of the node being deserialized on this thread, if any.
pub(crate) fn current_span() -> Option<Span> {
    CURRENT.with(|c| c.get())
}

struct SpanGuard(Option<Span>);

impl SpanGuard {
    fn enter(span: Span) -> SpanGuard {
        SpanGuard(CURRENT.with(|c| c.replace(Some(span))))
    }
}

impl Drop for SpanGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// A deserialization error with the span it points at and an optional
/// hint, worded for the person who wrote the file (what the field wants
/// and what it found), never in serde's or a parser's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    /// What went wrong.
    pub message: String,
    /// Where, once known.
    pub span: Option<Span>,
    /// A "did you mean" or other hint.
    pub help: Option<String>,
    /// The key whose value was being read (innermost), once known.
    pub field: Option<String>,
    /// The field that is missing, for a missing-field error.
    pub missing: Option<&'static str>,
}

impl DeError {
    fn at(mut self, span: Span) -> DeError {
        self.span.get_or_insert(span);
        self
    }

    fn in_field(mut self, key: &str) -> DeError {
        if self.field.is_none() && self.missing.is_none() {
            self.field = Some(key.to_string());
        }
        self
    }

    fn plain(message: String) -> DeError {
        DeError {
            message,
            span: None,
            help: None,
            field: None,
            missing: None,
        }
    }
}

/// What a value of serde's `expected` description is, in our words.
fn wants(expected: &str) -> String {
    match expected {
        "u8" => "a whole number from 0 to 255".into(),
        "u16" => "a whole number from 0 to 65535".into(),
        "u32" => "a whole number from 0 to 4294967295".into(),
        "u64" | "u128" | "usize" => "a whole number, 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a string" | "a borrowed string" | "a character" | "a char" | "string" => "a string".into(),
        "unit" => "nothing".into(),
        "a sequence" | "a tuple" => "a list".into(),
        "a map" | "map" => "a table".into(),
        e if e.starts_with("struct ") || e.starts_with("struct variant ") => {
            "a table of settings".into()
        }
        e if e.starts_with("tuple") => "a list".into(),
        e if e.starts_with("enum ") => "one of its names".into(),
        e => e.to_string(),
    }
}

fn found(unexpected: de::Unexpected<'_>) -> String {
    use de::Unexpected as U;
    match unexpected {
        U::Bool(b) => format!("`{b}`"),
        U::Unsigned(n) => format!("the number {n}"),
        U::Signed(n) => format!("the number {n}"),
        U::Float(x) => format!("the number {x}"),
        U::Char(c) => format!("the string {:?}", c.to_string()),
        U::Str(s) => format!("the string {s:?}"),
        U::Bytes(_) => "bytes".into(),
        U::Unit => "nothing (null)".into(),
        U::Option => "an optional value".into(),
        U::NewtypeStruct | U::NewtypeVariant => "a value".into(),
        U::Seq => "a list".into(),
        U::Map => "a table".into(),
        U::Enum | U::UnitVariant | U::TupleVariant | U::StructVariant => "a name".into(),
        U::Other(o) => o.to_string(),
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::plain(msg.to_string())
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::plain(format!(
            "expected {}, found {}",
            wants(&exp.to_string()),
            found(unexp)
        ))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::invalid_type(unexp, exp)
    }

    fn invalid_length(len: usize, exp: &dyn de::Expected) -> Self {
        DeError::plain(format!(
            "expected {}, found a list of {len}",
            wants(&exp.to_string())
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            missing: Some(field),
            ..DeError::plain(format!("missing field `{field}`"))
        }
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::plain(format!("`{field}` is written twice"))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError {
            help: did_you_mean(field, expected.iter().copied())
                .or_else(|| Some(format!("the fields are {}", list(expected)))),
            ..DeError::plain(format!("unknown field `{field}`"))
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError {
            help: did_you_mean(variant, expected.iter().copied()),
            ..DeError::plain(format!(
                "unknown value `{variant}`, expected one of {}",
                list(expected)
            ))
        }
    }
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Deserializes `T` from `node`.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, DeError> {
    T::deserialize(NodeDe(node))
}

/// The deserializer over one node.
pub(crate) struct NodeDe<'a>(pub &'a Node);

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let node = self.0;
        let _guard = SpanGuard::enter(node.span);
        let result = match &node.value {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Int(i) => v.visit_i64(*i),
            Value::Float(f) => v.visit_f64(*f),
            Value::Str(s) => v.visit_str(s),
            Value::Array(items) => v.visit_seq(Seq(items.iter())),
            Value::Table(entries) => v.visit_map(Map {
                entries: entries.iter(),
                value: None,
            }),
        };
        result.map_err(|e| e.at(node.span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0.value {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let node = self.0;
        let _guard = SpanGuard::enter(node.span);
        let result = match &node.value {
            Value::Str(s) => v.visit_enum(s.as_str().into_deserializer()),
            Value::Table(entries) if entries.len() == 1 => v.visit_enum(Enum(&entries[0])),
            _ => Err(de::Error::custom(format!(
                "expected a name or a table with one key, found {}",
                node.type_name()
            ))),
        };
        result.map_err(|e| e.at(node.span))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

struct KeyDe<'a>(&'a Key);

impl<'de> de::Deserializer<'de> for KeyDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let _guard = SpanGuard::enter(self.0.span);
        v.visit_str(&self.0.name)
            .map_err(|e: DeError| e.at(self.0.span))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Seq<'a>(std::slice::Iter<'a, Node>);

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0
            .next()
            .map(|n| seed.deserialize(NodeDe(n)))
            .transpose()
    }
}

struct Map<'a> {
    entries: std::slice::Iter<'a, (Key, Node)>,
    value: Option<(&'a Key, &'a Node)>,
}

impl<'de> MapAccess<'de> for Map<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some((key, value));
                seed.deserialize(KeyDe(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some((key, node)) => seed
                .deserialize(NodeDe(node))
                .map_err(|e| e.in_field(&key.name)),
            None => Err(de::Error::custom("a value was read before its key")),
        }
    }
}

struct Enum<'a>(&'a (Key, Node));

impl<'de, 'a> EnumAccess<'de> for Enum<'a> {
    type Error = DeError;
    type Variant = NodeVariant<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeVariant<'a>), DeError> {
        let (key, value) = self.0;
        Ok((seed.deserialize(KeyDe(key))?, NodeVariant(value)))
    }
}

struct NodeVariant<'a>(&'a Node);

impl<'de> VariantAccess<'de> for NodeVariant<'_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Err(<DeError as de::Error>::custom("this value takes no table").at(self.0.span))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(NodeDe(self.0))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_any(NodeDe(self.0), v)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_any(NodeDe(self.0), v)
    }
}
