//! JSON (RFC 8259) to [`Node`] with spans: a small strict parser of our
//! own, so JSON errors speak JSON (never "invalid YAML") and every value
//! keeps its exact byte span.
//!
//! Invariants: the parser never recurses (open tables and arrays live on
//! an explicit stack, at most [`NESTING_LIMIT`] deep, refused with a
//! located error past it); it runs in time linear in the input (duplicate
//! keys are found through a hash set per object); every error has the
//! byte offset where the input stopped making sense; integers that do not
//! fit in 64 bits are errors, as in TOML; a leading byte-order mark is
//! skipped.

use super::diagnostics::Diagnostic;
use super::format::too_deep;
use super::node::{Key, NESTING_LIMIT, Node, Span, Value};
use super::table_builder::TableBuilder;

enum Frame {
    Array(usize, Vec<Node>),
    /// An object: its start, entries, keys seen, the key awaiting a value.
    Object(usize, TableBuilder, Option<Key>),
}

#[derive(Clone, Copy)]
enum State {
    Value,
    AfterValue,
    Key,
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// A parse step; the error is boxed to keep every step's result small.
type Step<T> = Result<T, Box<Diagnostic>>;

fn invalid(at: usize, label: impl Into<String>) -> Box<Diagnostic> {
    Box::new(Diagnostic::new("syntax", "invalid JSON", Span::new(at, at + 1)).label(label))
}

/// Parses one JSON document.
pub(crate) fn parse(src: &str) -> Result<Node, Vec<Diagnostic>> {
    let mut p = Parser {
        src,
        bytes: src.as_bytes(),
        at: if src.starts_with('\u{feff}') { 3 } else { 0 },
    };
    let mut diags = Vec::new();
    match p.document(&mut diags) {
        Ok(root) if diags.is_empty() => Ok(root),
        Ok(_) => Err(diags),
        Err(d) => {
            diags.push(*d);
            Err(diags)
        }
    }
}

impl Parser<'_> {
    fn document(&mut self, diags: &mut Vec<Diagnostic>) -> Step<Node> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut state = State::Value;
        loop {
            self.skip_ws();
            let done = match state {
                State::Value => self.value(&mut stack)?,
                State::Key => {
                    self.key(&mut stack)?;
                    state = State::Value;
                    continue;
                }
                State::AfterValue => self.after_value(&mut stack, &mut state)?,
            };
            let Some(node) = done else { continue };
            match stack.last_mut() {
                None => {
                    self.skip_ws();
                    if self.at < self.bytes.len() {
                        return Err(invalid(self.at, "text after the end of the document"));
                    }
                    return Ok(node);
                }
                Some(Frame::Array(_, items)) => items.push(node),
                Some(Frame::Object(_, table, key)) => {
                    // `key` was set by `State::Key` before this value.
                    let k = key.take().unwrap_or_else(|| Key {
                        name: String::new(),
                        span: node.span,
                    });
                    table.insert(k, node, diags);
                }
            }
            state = State::AfterValue;
        }
    }

    /// A value, or the opening of a table or array (then `None`, and the
    /// caller reads what is inside).
    fn value(&mut self, stack: &mut Vec<Frame>) -> Step<Option<Node>> {
        let start = self.at;
        let Some(&b) = self.bytes.get(start) else {
            return Err(invalid(start, "the file ends where a value was expected"));
        };
        match b {
            b'{' | b'[' => {
                if stack.len() >= NESTING_LIMIT {
                    return Err(Box::new(too_deep(Span::new(start, start + 1))));
                }
                self.at += 1;
                self.skip_ws();
                let close = if b == b'{' { b'}' } else { b']' };
                if self.bytes.get(self.at) == Some(&close) {
                    self.at += 1;
                    let value = if b == b'{' {
                        Value::Table(Vec::new())
                    } else {
                        Value::Array(Vec::new())
                    };
                    return Ok(Some(Node::new(value, Span::new(start, self.at))));
                }
                stack.push(if b == b'{' {
                    Frame::Object(start, TableBuilder::default(), None)
                } else {
                    Frame::Array(start, Vec::new())
                });
                if b == b'{' {
                    self.key(stack)?;
                }
                Ok(None)
            }
            b'"' => {
                let s = self.string()?;
                Ok(Some(Node::new(Value::Str(s), Span::new(start, self.at))))
            }
            b't' => self.word("true", Value::Bool(true)).map(Some),
            b'f' => self.word("false", Value::Bool(false)).map(Some),
            b'n' => self.word("null", Value::Null).map(Some),
            b'-' | b'0'..=b'9' => self.number().map(Some),
            _ => Err(invalid(
                start,
                "expected a value: a string in double quotes, a number, `{...}`, `[...]`, true, false or null",
            )),
        }
    }

    /// After a value inside a table or array: `,` or the closing bracket.
    fn after_value(&mut self, stack: &mut Vec<Frame>, state: &mut State) -> Step<Option<Node>> {
        let at = self.at;
        let b = self.bytes.get(at).copied();
        let is_object = matches!(stack.last(), Some(Frame::Object(..)));
        let close = if is_object { b'}' } else { b']' };
        match b {
            Some(b',') => {
                self.at += 1;
                self.skip_ws();
                if self.bytes.get(self.at) == Some(&close) {
                    return Err(invalid(at, "a trailing comma is not allowed in JSON"));
                }
                *state = if is_object { State::Key } else { State::Value };
                Ok(None)
            }
            Some(c) if c == close => {
                self.at += 1;
                let node = match stack.pop() {
                    Some(Frame::Array(start, items)) => {
                        Node::new(Value::Array(items), Span::new(start, self.at))
                    }
                    Some(Frame::Object(start, table, _)) => {
                        Node::new(Value::Table(table.finish()), Span::new(start, self.at))
                    }
                    None => return Err(invalid(at, "a closing bracket without an opening one")),
                };
                Ok(Some(node))
            }
            None => Err(invalid(
                at,
                format!(
                    "the file ends inside {}",
                    if is_object {
                        "a table `{`"
                    } else {
                        "a list `[`"
                    }
                ),
            )),
            Some(_) => Err(invalid(at, format!("expected `,` or `{}`", close as char))),
        }
    }

    /// A key and its `:`; stores the key on the open object.
    fn key(&mut self, stack: &mut [Frame]) -> Step<()> {
        self.skip_ws();
        let start = self.at;
        if self.bytes.get(start) != Some(&b'"') {
            return Err(invalid(start, "expected a key in double quotes"));
        }
        let name = self.string()?;
        let span = Span::new(start, self.at);
        self.skip_ws();
        if self.bytes.get(self.at) != Some(&b':') {
            return Err(invalid(self.at, "expected `:` after the key"));
        }
        self.at += 1;
        if let Some(Frame::Object(_, _, key)) = stack.last_mut() {
            *key = Some(Key { name, span });
        }
        Ok(())
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Step<Node> {
        let start = self.at;
        if self.src[start..].starts_with(word) {
            self.at += word.len();
            Ok(Node::new(value, Span::new(start, self.at)))
        } else {
            Err(invalid(
                start,
                "expected a value: text must be a string in double quotes",
            ))
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at - from
    }

    fn number(&mut self) -> Step<Node> {
        let start = self.at;
        if self.bytes[start] == b'-' {
            self.at += 1;
        }
        let int_start = self.at;
        let n = self.digits();
        if n == 0 {
            return Err(invalid(self.at, "expected a digit"));
        }
        if n > 1 && self.bytes[int_start] == b'0' {
            return Err(invalid(int_start, "a number cannot start with 0"));
        }
        let mut float = false;
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            float = true;
            if self.digits() == 0 {
                return Err(invalid(self.at, "expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            float = true;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(invalid(self.at, "expected a digit in the exponent"));
            }
        }
        let text = &self.src[start..self.at];
        let span = Span::new(start, self.at);
        let value = if float {
            // Always parses: the grammar above is a subset of Rust's.
            Value::Float(text.parse().unwrap_or(f64::NAN))
        } else {
            match text.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => {
                    return Err(Box::new(
                        Diagnostic::new("syntax", "integer out of range", span)
                            .label("does not fit in 64 bits"),
                    ));
                }
            }
        };
        Ok(Node::new(value, span))
    }

    /// A string; `self.at` is on its opening quote.
    fn string(&mut self) -> Step<String> {
        let open = self.at;
        self.at += 1;
        let mut out = String::new();
        let mut run = self.at;
        loop {
            let Some(&b) = self.bytes.get(self.at) else {
                return Err(invalid(open, "this string is never closed"));
            };
            match b {
                b'"' => {
                    out.push_str(&self.src[run..self.at]);
                    self.at += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.src[run..self.at]);
                    self.escape(&mut out)?;
                    run = self.at;
                }
                0..=0x1f => {
                    return Err(invalid(
                        self.at,
                        "a control character (such as a line break) in a string; write it as an escape such as \\n",
                    ));
                }
                _ => self.at += 1,
            }
        }
    }

    /// An escape; `self.at` is on its backslash.
    fn escape(&mut self, out: &mut String) -> Step<()> {
        let at = self.at;
        let c = match self.bytes.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.at += 2;
                let hi = self.hex4(at)?;
                let c = if (0xd800..0xdc00).contains(&hi) {
                    if !self.src[self.at..].starts_with("\\u") {
                        return Err(invalid(at, "an unpaired surrogate in a \\u escape"));
                    }
                    self.at += 2;
                    let lo = self.hex4(at)?;
                    if !(0xdc00..0xe000).contains(&lo) {
                        return Err(invalid(at, "an unpaired surrogate in a \\u escape"));
                    }
                    char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))
                } else {
                    char::from_u32(hi)
                };
                out.push(c.ok_or_else(|| invalid(at, "an unpaired surrogate in a \\u escape"))?);
                return Ok(());
            }
            _ => {
                return Err(invalid(
                    at,
                    "unknown escape; JSON knows \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX",
                ));
            }
        };
        out.push(c);
        self.at += 2;
        Ok(())
    }

    fn hex4(&mut self, escape: usize) -> Step<u32> {
        let digits = self.bytes.get(self.at..self.at + 4);
        let value = digits
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| invalid(escape, "a \\u escape takes four hex digits"))?;
        self.at += 4;
        Ok(value)
    }
}
