//! `retinue`: check, print and run supervision trees from config files.
//!
//! - `retinue check FILE...` — every problem in every file, rustc-style,
//!   on stderr; exit 1 if any, else a one-line summary and exit 0.
//! - `retinue tree FILE [--format text|json|dot|mermaid]`.
//! - `retinue run FILE [--duration 10s]` — start it and watch it live.
//!
//! Kinds known to the CLI: the built-in primitives and the demo kinds
//! (`demo.producer`, `demo.worker`, `demo.flaky_service`).

mod demo;
mod live;
mod render;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use retinue::config::{ChildBody, SupervisorConfig, load_file};

#[derive(Parser)]
#[command(
    name = "retinue",
    version,
    about = "Check, print and run retinue supervision trees"
)]
struct Cli {
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
    },
    /// Print a config file's tree.
    Tree {
        /// The file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: render::TreeFormat,
    },
    /// Start a tree and show it live until Ctrl-C (or --duration).
    Run {
        /// The file.
        file: PathBuf,
        /// Stop after this long, e.g. "10s".
        #[arg(long, value_parser = parse_duration)]
        duration: Option<Duration>,
        /// How often a plain line is printed when stdout is not a terminal.
        #[arg(long, value_parser = parse_duration, default_value = "1s")]
        interval: Duration,
    },
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    retinue::duration::parse(s)
}

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let kinds = demo::kinds();
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match cli.command {
        Command::Check { files } => {
            let mut failed = 0;
            let (mut sups, mut workers) = (0, 0);
            for file in &files {
                match load_file(file, &kinds) {
                    Ok(tree) => {
                        let (s, w) = count(&tree.config().supervisor);
                        sups += s;
                        workers += w;
                    }
                    Err(e) => {
                        failed += 1;
                        eprint!("{}", e.render_with(colour));
                    }
                }
            }
            if failed > 0 {
                eprintln!("error: {failed} of {} files have errors", files.len());
                ExitCode::FAILURE
            } else {
                println!(
                    "ok: {} file{} checked, {sups} supervisors, {workers} workers",
                    files.len(),
                    if files.len() == 1 { "" } else { "s" }
                );
                ExitCode::SUCCESS
            }
        }
        Command::Tree { file, format } => match load_file(&file, &kinds) {
            Ok(tree) => {
                print!("{}", render::render(tree.config(), format));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprint!("{}", e.render_with(colour));
                ExitCode::FAILURE
            }
        },
        Command::Run {
            file,
            duration,
            interval,
        } => match load_file(&file, &kinds) {
            Ok(tree) => {
                let code = live::run(tree, &file.display().to_string(), duration, interval);
                ExitCode::from(code as u8)
            }
            Err(e) => {
                eprint!("{}", e.render_with(colour));
                ExitCode::FAILURE
            }
        },
    }
}
