//! Diagnostics: every problem found in a config file, rendered rustc-style
//! (file, line, column, a caret excerpt, a hint) by `codespan-reporting`.
//!
//! Invariants: a [`ConfigError`] holds at least one diagnostic; they are
//! kept in file order (then by message), so the rendering of a given file
//! is deterministic; rendering never colours its output (callers that want
//! colour can ask for it) and never panics, even for spans past the end of
//! the source (they are clamped).

use std::fmt;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};

use super::node::Span;

/// How many diagnostics a rendering shows in full; the rest are counted.
pub const MAX_SHOWN: usize = 50;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A short stable code naming the class of problem, e.g. `unknown-field`.
    pub code: &'static str,
    /// The headline.
    pub message: String,
    /// Where it is.
    pub span: Span,
    /// The text under the carets.
    pub label: String,
    /// Other places worth showing (e.g. the first definition of a duplicate).
    pub related: Vec<(Span, String)>,
    /// Hints such as "did you mean `strategy`?".
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic with a code, a headline and a primary span.
    pub fn new(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: String::new(),
            related: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Sets the text under the carets.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Adds a secondary span.
    pub fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// Adds a hint (`None` adds nothing).
    pub fn note(mut self, note: Option<String>) -> Self {
        self.notes.extend(note);
        self
    }
}

/// A config file that cannot be used, with everything wrong with it.
///
/// ```
/// use retinue::config::{Format, Kinds, load_str};
///
/// let err = load_str("[supervisor]\nstratgy = \"one_for_one\"\n", Format::Toml, "app.toml", &Kinds::builtin())
///     .unwrap_err();
/// let text = err.to_string();
/// assert!(text.contains("error[unknown-field]: unknown field `stratgy`"));
/// assert!(text.contains("app.toml:2:1"));
/// assert!(text.contains("did you mean `strategy`?"));
/// ```
#[derive(Debug, Clone)]
pub struct ConfigError {
    name: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
}

impl ConfigError {
    /// Collects diagnostics for `source` (named `name` in messages).
    pub(crate) fn new(name: &str, source: &str, mut diagnostics: Vec<Diagnostic>) -> ConfigError {
        diagnostics.sort_by(|a, b| (a.span, &a.message).cmp(&(b.span, &b.message)));
        diagnostics.dedup();
        ConfigError {
            name: name.into(),
            source: source.into(),
            diagnostics,
        }
    }

    /// A problem with no location in the file (e.g. it could not be read).
    pub(crate) fn whole_file(name: &str, code: &'static str, message: String) -> ConfigError {
        ConfigError::new(
            name,
            "",
            vec![Diagnostic::new(code, message, Span::default())],
        )
    }

    /// Every problem, in file order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The file name used in messages.
    pub fn file_name(&self) -> &str {
        &self.name
    }

    /// Renders every diagnostic, rustc-style, as plain text.
    pub fn render(&self) -> String {
        self.render_with(false)
    }

    /// Renders with ANSI colours (for terminals), or plain.
    pub fn render_with(&self, colour: bool) -> String {
        let file = SimpleFile::new(self.name.as_str(), self.source.as_str());
        let config = Config::default();
        let mut out = String::new();
        for d in self.diagnostics.iter().take(MAX_SHOWN) {
            let diagnostic = self.to_codespan(d);
            let rendered = if colour {
                let mut buffer = term::termcolor::Buffer::ansi();
                term::emit_to_write_style(&mut buffer, &config, &file, &diagnostic)
                    .map(|()| String::from_utf8_lossy(buffer.as_slice()).into_owned())
            } else {
                term::emit_into_string(&config, &file, &diagnostic)
            };
            match rendered {
                Ok(text) => out.push_str(&text),
                Err(_) => out.push_str(&format!("error[{}]: {}\n", d.code, d.message)),
            }
        }
        let n = self.diagnostics.len();
        if n > MAX_SHOWN {
            out.push_str(&format!(
                "... and {} more error{} not shown\n\n",
                n - MAX_SHOWN,
                if n - MAX_SHOWN == 1 { "" } else { "s" }
            ));
        }
        out.push_str(&format!(
            "error: {} has {n} error{}\n",
            self.name,
            if n == 1 { "" } else { "s" }
        ));
        out
    }

    fn clamp(&self, span: Span) -> std::ops::Range<usize> {
        let len = self.source.len();
        let mut start = span.start.min(len);
        let mut end = span.end.min(len);
        while !self.source.is_char_boundary(start) {
            start -= 1;
        }
        while !self.source.is_char_boundary(end) {
            end += 1;
        }
        start..end
    }

    fn to_codespan(&self, d: &Diagnostic) -> CsDiagnostic<()> {
        let mut labels = vec![Label::primary((), self.clamp(d.span)).with_message(&d.label)];
        for (span, label) in &d.related {
            labels.push(Label::secondary((), self.clamp(*span)).with_message(label));
        }
        CsDiagnostic::error()
            .with_code(d.code)
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(d.notes.iter().map(|n| format!("help: {n}")).collect())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for ConfigError {}
