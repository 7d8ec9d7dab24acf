//! The `retinue` operator command as a library: check, print, explain and
//! run supervision trees from config files, with the actor kinds *your*
//! application registers.
//!
//! The stock `retinue` binary is this library with the built-in and demo
//! kinds. An application that has kinds of its own builds its own operator
//! command in a few lines:
//!
//! ```no_run
//! use retinue::config::Kinds;
//!
//! # struct Fetcher;
//! # impl retinue::Actor for Fetcher {}
//! # impl retinue::config::ConfigKind for Fetcher {
//! #     type Args = ();
//! #     fn build(_: &(), _: &retinue::config::Refs) -> Result<Self, retinue::BoxError> { Ok(Fetcher) }
//! # }
//! fn main() -> std::process::ExitCode {
//!     let mut kinds = Kinds::builtin();
//!     kinds.register::<Fetcher>("my_app.fetcher");
//!     retinue_cli::Cli::new(kinds).name("my-app-ctl").run()
//! }
//! ```
//!
//! Subcommands:
//! - `check FILE... [--message-format human|json]`: every problem in every
//!   file, rustc-style on stderr (or cargo-style JSON lines on stdout);
//!   exit 1 if any, else a one-line summary and exit 0.
//! - `tree FILE [--format text|json|dot|mermaid]`.
//! - `run FILE [--duration 10s] [--output auto|tui|plain|json]`: start the
//!   tree and watch it live (a terminal UI on a terminal, short plain lines
//!   or one JSON object per snapshot otherwise).
//! - `explain CODE`: what a diagnostic code means.
//!
//! Exit statuses: 0 success, 1 problems found (or the tree failed), 2 a
//! usage error.

#![warn(missing_docs)]

pub mod demo;
mod live;
mod render;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use live::Output;
use retinue::config::{ChildBody, ConfigTree, Kinds, SupervisorConfig, load_file};

/// Reads a set of application counters for the live view: `(name, value)`.
pub type CounterFn = Arc<dyn Fn() -> Vec<(String, u64)> + Send + Sync>;

/// Counters shown under the live view when the tree uses a kind whose name
/// starts with `prefix`.
#[derive(Clone)]
pub(crate) struct Counters {
    pub(crate) prefix: String,
    pub(crate) read: CounterFn,
}

/// An operator command over a set of registered kinds.
///
/// ```
/// use retinue::config::Kinds;
///
/// let status = retinue_cli::Cli::new(Kinds::builtin())
///     .run_from_args(["retinue", "explain", "unknown-kind"]);
/// assert_eq!(status, 0);
/// let status = retinue_cli::Cli::new(Kinds::builtin())
///     .run_from_args(["retinue", "check", "no/such/file.toml"]);
/// assert_eq!(status, 1);
/// ```
pub struct Cli {
    kinds: Kinds,
    name: String,
    counters: Vec<Counters>,
}

#[derive(Parser)]
#[command(version, about = "Check, print and run retinue supervision trees")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check config files; print every problem (exit 1 if any).
    Check {
        /// Files to check (.toml, .json, .yaml).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `human` (rustc-style, on stderr) or `json` (one object a line, on stdout).
        #[arg(long, value_enum, default_value = "human")]
        message_format: MessageFormat,
    },
    /// Print a config file's tree.
    Tree {
        /// The file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: render::TreeFormat,
    },
    /// Start a tree and show it live until q / Ctrl-C (or --duration).
    Run {
        /// The file.
        file: PathBuf,
        /// Stop after this long, e.g. "10s".
        #[arg(long, value_parser = parse_duration)]
        duration: Option<Duration>,
        /// How often a plain or JSON line is printed.
        #[arg(long, value_parser = parse_duration, default_value = "1s")]
        interval: Duration,
        /// `auto` (the terminal UI on a terminal, else plain), `tui`, `plain` or `json`.
        #[arg(long, value_enum, default_value = "auto")]
        output: Output,
    },
    /// Explain a diagnostic code, e.g. `retinue explain unknown-field`.
    Explain {
        /// The code, as printed in `error[CODE]`.
        code: String,
    },
}

/// How `check` reports problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MessageFormat {
    /// rustc-style text on stderr.
    Human,
    /// One JSON object per diagnostic, per line, on stdout.
    Json,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    retinue::duration::parse(s)
}

impl Cli {
    /// A command that knows `kinds` (start from [`Kinds::builtin`] and
    /// register your own).
    pub fn new(kinds: Kinds) -> Cli {
        Cli {
            kinds,
            name: "retinue".into(),
            counters: Vec::new(),
        }
    }

    /// The command's name in help and usage texts (default `retinue`).
    pub fn name(mut self, name: impl Into<String>) -> Cli {
        self.name = name.into();
        self
    }

    /// Application counters to show in the live view, only for trees that
    /// use a kind whose name starts with `kind_prefix` (e.g. `"demo."`).
    pub fn counters(
        mut self,
        kind_prefix: impl Into<String>,
        read: impl Fn() -> Vec<(String, u64)> + Send + Sync + 'static,
    ) -> Cli {
        self.counters.push(Counters {
            prefix: kind_prefix.into(),
            read: Arc::new(read),
        });
        self
    }

    /// Runs with the process's arguments; for `main`.
    pub fn run(self) -> ExitCode {
        ExitCode::from(self.run_from_args(std::env::args_os()))
    }

    /// Runs with these arguments (the first is the program name) and
    /// returns the exit status: 0 success, 1 problems, 2 usage error.
    pub fn run_from_args<I, T>(self, args: I) -> u8
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let command = <Args as clap::CommandFactory>::command()
            .name(self.name.clone())
            .bin_name(self.name.clone());
        let parsed = command
            .try_get_matches_from(args)
            .and_then(|m| <Args as clap::FromArgMatches>::from_arg_matches(&m));
        match parsed {
            Ok(args) => self.execute(args.command),
            Err(e) => {
                let _ = e.print();
                u8::try_from(e.exit_code()).unwrap_or(2)
            }
        }
    }

    fn execute(self, command: Command) -> u8 {
        match command {
            Command::Check {
                files,
                message_format,
            } => self.check(&files, message_format),
            Command::Tree { file, format } => match self.load(&file) {
                Some(tree) => {
                    let text = match format {
                        render::TreeFormat::Json => tree.to_normalized_json(),
                        other => render::render(tree.config(), other),
                    };
                    emit(&text);
                    0
                }
                None => 1,
            },
            Command::Run {
                file,
                duration,
                interval,
                output,
            } => match self.load(&file) {
                Some(tree) => {
                    let counters = self.counters_for(&tree);
                    let options = live::Options {
                        name: file.display().to_string(),
                        duration,
                        interval,
                        output,
                        counters,
                    };
                    live::run(tree, options)
                }
                None => 1,
            },
            Command::Explain { code } => match retinue::config::explain(&code) {
                Some(text) => {
                    emit(&format!("{code}: {text}\n"));
                    0
                }
                None => {
                    eprintln!("error: no diagnostic has the code `{code}`");
                    1
                }
            },
        }
    }

    fn check(&self, files: &[PathBuf], format: MessageFormat) -> u8 {
        let colour = stderr_colour();
        let (mut failed, mut sups, mut workers) = (0, 0, 0);
        for file in files {
            match load_file(file, &self.kinds) {
                Ok(tree) => {
                    let (s, w) = count(&tree.config().supervisor);
                    sups += s;
                    workers += w;
                    match format {
                        MessageFormat::Human => {
                            eprint!("{}", tree.render_warnings(colour));
                        }
                        MessageFormat::Json => emit(&tree.warnings_to_json_lines()),
                    }
                }
                Err(e) => {
                    failed += 1;
                    match format {
                        MessageFormat::Human => eprint!("{}", e.render_with(colour)),
                        MessageFormat::Json => emit(&e.to_json_lines()),
                    }
                }
            }
        }
        let summary = if failed > 0 {
            format!("error: {failed} of {} files have errors", files.len())
        } else {
            format!(
                "ok: {} file{} checked, {sups} supervisors, {workers} workers",
                files.len(),
                if files.len() == 1 { "" } else { "s" }
            )
        };
        match (format, failed > 0) {
            (MessageFormat::Json, failed) => {
                let value = serde_json::json!({ "reason": "check-finished", "success": !failed, "summary": summary });
                emit(&format!("{value}\n"));
            }
            // One file's own report already ends with its error count: a
            // second footer only helps when several files were checked.
            (MessageFormat::Human, true) if files.len() > 1 => eprintln!("{summary}"),
            (MessageFormat::Human, true) => {}
            (MessageFormat::Human, false) => emit(&format!("{summary}\n")),
        }
        u8::from(failed > 0)
    }

    fn load(&self, file: &Path) -> Option<ConfigTree> {
        match load_file(file, &self.kinds) {
            Ok(tree) => Some(tree),
            Err(e) => {
                eprint!("{}", e.render_with(stderr_colour()));
                None
            }
        }
    }

    /// The counter sets whose kinds the tree uses.
    fn counters_for(&self, tree: &ConfigTree) -> Vec<CounterFn> {
        self.counters
            .iter()
            .filter(|c| tree.targets().any(|(_, t)| t.kind().starts_with(&c.prefix)))
            .map(|c| c.read.clone())
            .collect()
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Colour on stderr: only on a terminal, and never under `NO_COLOR`.
fn stderr_colour() -> bool {
    std::io::stderr().is_terminal() && !no_color()
}

/// Whether `NO_COLOR` is set to a non-empty value (no-color.org).
pub(crate) fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// (supervisors, workers) in a config tree, the root included.
fn count(s: &SupervisorConfig) -> (usize, usize) {
    s.children
        .iter()
        .fold((1, 0), |(sups, workers), c| match &c.body {
            ChildBody::Supervisor(inner) => {
                let (s2, w2) = count(inner);
                (sups + s2, workers + w2)
            }
            ChildBody::Worker { .. } => (sups, workers + 1),
        })
}
