//! Diagnostics for tools: one JSON object per line and diagnostic, in the
//! spirit of cargo's `--message-format json`.
//!
//! Invariants: every line is one complete JSON object (strings escaped
//! per RFC 8259, so any message or file name is safe); every diagnostic
//! is written, in file order; line and column are 1-based (columns in
//! characters) or `null` when the problem has no place in the file;
//! writing is linear in the number of diagnostics (lines are located
//! through one index of line starts).

use std::fmt::Write;

use super::diagnostics::{Diagnostic, Report};
use super::node::Span;

impl Report {
    pub(crate) fn to_json_lines(&self) -> String {
        let starts = self.line_starts();
        let mut out = String::new();
        for d in &self.diagnostics {
            self.json_line(d, &starts, &mut out);
            out.push('\n');
        }
        out
    }

    fn json_line(&self, d: &Diagnostic, starts: &[usize], out: &mut String) {
        out.push('{');
        field(out, "code", d.id());
        out.push(',');
        field(out, "name", d.code);
        out.push(',');
        field(out, "severity", d.severity.as_str());
        out.push(',');
        field(out, "message", &d.message);
        out.push(',');
        field(out, "label", &d.label);
        out.push(',');
        field(out, "file", &self.name);
        out.push(',');
        self.place(d.span, starts, out);
        out.push_str(",\"related\":[");
        for (i, (span, label)) in d.related.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            self.place(*span, starts, out);
            out.push(',');
            field(out, "label", label);
            out.push('}');
        }
        out.push_str("],\"notes\":[");
        for (i, note) in d.notes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(out, note);
        }
        out.push_str("],\"suggestion\":");
        match d.suggestion() {
            Some(s) => string(out, s),
            None => out.push_str("null"),
        }
        out.push('}');
    }

    /// `"line":L,"column":C,"span":{"start":S,"end":E}`.
    fn place(&self, span: Span, starts: &[usize], out: &mut String) {
        if self.located {
            let range = self.clamp(span);
            let (line, column) = self.locate(starts, range.start);
            let _ = write!(
                out,
                "\"line\":{line},\"column\":{column},\"span\":{{\"start\":{},\"end\":{}}}",
                range.start, range.end
            );
        } else {
            out.push_str("\"line\":null,\"column\":null,\"span\":null");
        }
    }
}

fn field(out: &mut String, name: &str, value: &str) {
    string(out, name);
    out.push(':');
    string(out, value);
}

/// Writes `s` as a JSON string.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
