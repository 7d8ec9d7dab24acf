//! Diagnostics: every problem found in a config file, rendered rustc-style
//! (file, line, column, a caret excerpt, a hint) by `codespan-reporting`,
//! or as JSON lines for tools ([`ConfigError::to_json_lines`]).
//!
//! Invariants: a [`ConfigError`] holds at least one error (it may hold
//! warnings too); diagnostics are kept in file order (then by message),
//! so the rendering of a given file is deterministic; at most
//! [`MAX_SHOWN`] are rendered in full, the rest are counted; a source line
//! longer than [`MAX_LINE`] characters is shown as a window around the
//! caret; a problem with the file as a whole (it cannot be read) is shown
//! without an excerpt; rendering never colours its output unless asked
//! and never panics, even for spans past the end of the source (they are
//! clamped); the rendering ends with exactly one summary line.

use std::fmt;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};

use super::codes;
use super::node::Span;

/// How many diagnostics a rendering shows in full; the rest are counted.
pub const MAX_SHOWN: usize = 50;

/// Source lines longer than this many characters are trimmed to a window
/// around the caret in excerpts.
pub const MAX_LINE: usize = 160;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Severity {
    /// The file cannot be used.
    #[default]
    Error,
    /// The file is valid but a setting is suspicious.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A short name for the class of problem, e.g. `unknown-field`; its
    /// stable code (`R0010`) is [`Diagnostic::id`].
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
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
    /// An error with a code name, a headline and a primary span.
    pub fn new(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            related: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A warning with a code name, a headline and a primary span.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::new(code, message, span)
        }
    }

    /// The stable code, e.g. `"R0010"` ([`explain`](super::explain) describes it).
    pub fn id(&self) -> &'static str {
        codes::id_of(self.code)
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

    /// The replacement a "did you mean `x`?" hint proposes, if any.
    pub fn suggestion(&self) -> Option<&str> {
        self.notes.iter().find_map(|n| {
            n.strip_prefix("did you mean `")
                .and_then(|rest| rest.strip_suffix("`?"))
        })
    }
}

/// Diagnostics with the source they point into: what [`ConfigError`]
/// and a loaded tree's warnings render.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    pub name: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
    /// False when the problem is with the file as a whole (no excerpt).
    pub located: bool,
}

impl Report {
    pub fn new(name: &str, source: &str, mut diagnostics: Vec<Diagnostic>) -> Report {
        diagnostics.sort_by(|a, b| (a.span, &a.message).cmp(&(b.span, &b.message)));
        diagnostics.dedup();
        Report {
            name: name.into(),
            source: source.into(),
            diagnostics,
            located: true,
        }
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Every diagnostic, then one summary line (when there is anything).
    pub fn render(&self, colour: bool) -> String {
        let mut out = String::new();
        for d in self.diagnostics.iter().take(MAX_SHOWN) {
            out.push_str(&self.render_one(d, colour));
        }
        let n = self.diagnostics.len();
        if n > MAX_SHOWN {
            let rest = n - MAX_SHOWN;
            out.push_str(&format!(
                "... and {rest} more diagnostic{} not shown\n\n",
                plural(rest)
            ));
        }
        let (errors, warnings) = (self.count(Severity::Error), self.count(Severity::Warning));
        let counted = match (errors, warnings) {
            (0, 0) => return out,
            (e, 0) => format!("{e} error{}", plural(e)),
            (0, w) => format!("{w} warning{}", plural(w)),
            (e, w) => format!("{e} error{} and {w} warning{}", plural(e), plural(w)),
        };
        let head = if errors > 0 { "error" } else { "warning" };
        out.push_str(&format!("{head}: {} has {counted}\n", self.name));
        out
    }

    fn render_one(&self, d: &Diagnostic, colour: bool) -> String {
        if !self.located {
            return self.whole_file(d);
        }
        if self.line_of(d.span).chars().count() > MAX_LINE {
            return self.trimmed(d);
        }
        let file = SimpleFile::new(self.name.as_str(), self.source.as_str());
        let config = Config::default();
        let diagnostic = self.to_codespan(d);
        let rendered = if colour {
            let mut buffer = term::termcolor::Buffer::ansi();
            term::emit_to_write_style(&mut buffer, &config, &file, &diagnostic)
                .map(|()| String::from_utf8_lossy(buffer.as_slice()).into_owned())
        } else {
            term::emit_into_string(&config, &file, &diagnostic)
        };
        rendered.unwrap_or_else(|_| self.whole_file(d))
    }

    fn header(d: &Diagnostic) -> String {
        format!("{}[{}]: {}\n", d.severity.as_str(), d.id(), d.message)
    }

    fn footer(d: &Diagnostic, out: &mut String) {
        for note in &d.notes {
            out.push_str(&format!("  = help: {note}\n"));
        }
        out.push('\n');
    }

    /// A problem with no place in the file.
    fn whole_file(&self, d: &Diagnostic) -> String {
        let mut out = Self::header(d);
        out.push_str(&format!("  ┌─ {}\n", self.name));
        if !d.label.is_empty() {
            out.push_str(&format!("  = {}\n", d.label));
        }
        Self::footer(d, &mut out);
        out
    }

    /// An excerpt of a very long line: a window around the caret.
    fn trimmed(&self, d: &Diagnostic) -> String {
        let range = self.clamp(d.span);
        let (line, col) = self.line_col(range.start);
        let text = self.line_of(d.span);
        let line_start = self.line_start(range.start);
        let caret_char = self.source[line_start..range.start].chars().count();
        let width = self.source[range.clone()]
            .chars()
            .take_while(|c| *c != '\n')
            .count()
            .clamp(1, MAX_LINE / 2);
        let from = caret_char.saturating_sub(MAX_LINE / 2);
        let window: String = text.chars().skip(from).take(MAX_LINE).collect();
        let total = text.chars().count();
        let (lead, tail) = (
            if from > 0 { "…" } else { "" },
            if from + MAX_LINE < total { "…" } else { "" },
        );
        let gutter = " ".repeat(line.to_string().len());
        let pad = " ".repeat(caret_char - from + lead.chars().count());
        let mut out = Self::header(d);
        out.push_str(&format!("{gutter} ┌─ {}:{line}:{col}\n", self.name));
        out.push_str(&format!("{gutter} │\n"));
        out.push_str(&format!("{line} │ {lead}{window}{tail}\n"));
        out.push_str(&format!(
            "{gutter} │ {pad}{} {}\n",
            "^".repeat(width),
            d.label
        ));
        out.push_str(&format!("{gutter} │\n"));
        for (span, label) in &d.related {
            let (l, c) = self.line_col(self.clamp(*span).start);
            out.push_str(&format!("{gutter} = {label}: {}:{l}:{c}\n", self.name));
        }
        Self::footer(d, &mut out);
        out
    }

    pub fn clamp(&self, span: Span) -> std::ops::Range<usize> {
        let len = self.source.len();
        let mut start = span.start.min(len);
        let mut end = span.end.min(len).max(start);
        while !self.source.is_char_boundary(start) {
            start -= 1;
        }
        while !self.source.is_char_boundary(end) {
            end += 1;
        }
        start..end
    }

    fn line_start(&self, at: usize) -> usize {
        self.source[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    /// The text of the line the span starts on (without its line break).
    fn line_of(&self, span: Span) -> &str {
        let at = self.clamp(span).start;
        let start = self.line_start(at);
        let end = self.source[at..]
            .find('\n')
            .map_or(self.source.len(), |i| at + i);
        self.source[start..end].trim_end_matches('\r')
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, at: usize) -> (usize, usize) {
        self.locate(&self.line_starts(), at)
    }

    /// Where every line starts (for many look-ups in one pass).
    pub fn line_starts(&self) -> Vec<usize> {
        std::iter::once(0)
            .chain(self.source.match_indices('\n').map(|(i, _)| i + 1))
            .collect()
    }

    /// 1-based line and column of `at`, given [`Report::line_starts`].
    pub fn locate(&self, starts: &[usize], at: usize) -> (usize, usize) {
        let at = self.clamp(Span::new(at, at)).start;
        let line = starts.partition_point(|s| *s <= at).max(1);
        let col = self.source[starts[line - 1]..at].chars().count() + 1;
        (line, col)
    }

    fn to_codespan(&self, d: &Diagnostic) -> CsDiagnostic<()> {
        let mut labels = vec![Label::primary((), self.clamp(d.span)).with_message(&d.label)];
        for (span, label) in &d.related {
            labels.push(Label::secondary((), self.clamp(*span)).with_message(label));
        }
        let severity = match d.severity {
            Severity::Error => CsSeverity::Error,
            Severity::Warning => CsSeverity::Warning,
        };
        CsDiagnostic::new(severity)
            .with_code(d.id())
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(d.notes.iter().map(|n| format!("help: {n}")).collect())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A config file that cannot be used, with everything wrong with it.
///
/// ```
/// use retinue::config::{Format, Kinds, load_str};
///
/// let err = load_str("[supervisor]\nstratgy = \"one_for_one\"\n", Format::Toml, "app.toml", &Kinds::builtin())
///     .unwrap_err();
/// let text = err.to_string();
/// assert!(text.contains("error[R0010]: unknown field `stratgy`"));
/// assert!(text.contains("app.toml:2:1"));
/// assert!(text.contains("did you mean `strategy`?"));
/// assert_eq!(err.diagnostics()[0].code, "unknown-field");
/// assert!(err.to_json_lines().contains(r#""code":"R0010""#));
/// ```
#[derive(Debug, Clone)]
pub struct ConfigError {
    report: Report,
}

impl ConfigError {
    /// Collects diagnostics for `source` (named `name` in messages).
    pub(crate) fn new(name: &str, source: &str, diagnostics: Vec<Diagnostic>) -> ConfigError {
        ConfigError {
            report: Report::new(name, source, diagnostics),
        }
    }

    /// A problem with the file as a whole (e.g. it could not be read).
    pub(crate) fn whole_file(name: &str, code: &'static str, message: String) -> ConfigError {
        let mut report = Report::new(
            name,
            "",
            vec![Diagnostic::new(code, message, Span::default())],
        );
        report.located = false;
        ConfigError { report }
    }

    /// Every problem (errors, and warnings if any), in file order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.report.diagnostics
    }

    /// The file name used in messages.
    pub fn file_name(&self) -> &str {
        &self.report.name
    }

    /// Renders every diagnostic, rustc-style, as plain text.
    pub fn render(&self) -> String {
        self.render_with(false)
    }

    /// Renders with ANSI colours (for terminals), or plain.
    pub fn render_with(&self, colour: bool) -> String {
        self.report.render(colour)
    }

    /// One JSON object per line and diagnostic, like cargo's
    /// `--message-format json`: `code` (`"R0010"`), `name`
    /// (`"unknown-field"`), `severity`, `message`, `label`, `file`, `line`
    /// and `column` (1-based, columns in characters; `null` when the
    /// problem is with the file as a whole), `span` (`{"start", "end"}`
    /// byte offsets), `related` (each with `line`, `column`, `span`,
    /// `label`), `notes` and `suggestion` (the name a "did you mean" hint
    /// proposes, or `null`). Every diagnostic is included, none is capped.
    pub fn to_json_lines(&self) -> String {
        self.report.to_json_lines()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for ConfigError {}
