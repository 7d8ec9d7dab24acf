//! `run`: starts a tree and shows it live until `q`, Ctrl-C or the end of
//! `--duration`, then shuts it down in order (children in reverse start
//! order) and prints a summary.
//!
//! Three outputs: the terminal UI ([`tui`]), short plain lines, or one
//! JSON object per snapshot (`--output json`, for scripts). `auto` picks
//! the UI on a terminal and plain lines otherwise.
//!
//! Invariant: the view only reads (tree snapshots, handle status); it
//! never changes the running tree.

mod probe;
mod sample;
mod tui;
mod view;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use retinue::config::ConfigTree;
use retinue::supervisor::ChildState;

#[cfg(test)]
mod view_tests;

use probe::Probe;
use sample::Sample;
use view::Ui;

use crate::CounterFn;

/// Where `run` shows the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// The terminal UI on a terminal, plain lines otherwise.
    Auto,
    /// The terminal UI (fails without a terminal).
    Tui,
    /// One short line per interval.
    Plain,
    /// One JSON object per snapshot, per line.
    Json,
}

/// What `run` was asked for.
pub(crate) struct Options {
    pub(crate) name: String,
    pub(crate) duration: Option<Duration>,
    pub(crate) interval: Duration,
    pub(crate) output: Output,
    pub(crate) counters: Vec<CounterFn>,
}

/// Runs the tree; returns the process exit status.
pub(crate) fn run(tree: ConfigTree, options: Options) -> u8 {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // If a handler is already set (a second run in one process), go on.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let output = match options.output {
        Output::Auto if std::io::stdout().is_terminal() => Output::Tui,
        Output::Auto => Output::Plain,
        other => other,
    };
    let mut probe = Probe::new(&tree, options.counters);
    let system = match retinue::rt::block_on(tree.start()) {
        Ok(system) => system,
        Err(e) => {
            eprintln!("error: {}: the tree failed to start: {e}", options.name);
            return 1;
        }
    };
    retinue::rt::block_on(probe.attach());
    let deadline = options.duration.map(|d| Instant::now() + d);
    let last = match output {
        Output::Tui => {
            let ui = Ui::new(&options.name, !crate::no_color());
            match tui::run(&system, &mut probe, ui, &stop, deadline) {
                Ok(last) => last,
                Err(e) => {
                    eprintln!("error: the terminal view failed: {e}");
                    retinue::rt::block_on(system.shutdown());
                    return 1;
                }
            }
        }
        _ => lines(
            &system,
            &mut probe,
            output == Output::Json,
            options.interval,
            &stop,
            deadline,
        ),
    };
    let last = retinue::rt::block_on(probe.sample(&system)).or(last);
    let reason = retinue::rt::block_on(system.shutdown());
    let reason = format!("{reason:?}");
    match (output, last) {
        (Output::Json, last) => {
            let elapsed = last.map_or(0, |s| s.elapsed.as_millis());
            let value = serde_json::json!({ "stopped_after_ms": elapsed, "reason": reason });
            crate::emit(&format!("{value}\n"));
        }
        (_, Some(last)) => crate::emit(&last.summary(&reason, summary_width())),
        (_, None) => crate::emit(&format!(
            "stopped: the tree shut down in order ({reason})\n"
        )),
    }
    0
}

/// Prints a plain or JSON line every `interval`; returns the last sample.
fn lines(
    system: &retinue::supervisor::System,
    probe: &mut Probe,
    json: bool,
    interval: Duration,
    stop: &AtomicBool,
    deadline: Option<Instant>,
) -> Option<Sample> {
    let tick = Duration::from_millis(50).min(interval);
    let mut next = Instant::now();
    let mut last = None;
    retinue::rt::block_on(async {
        loop {
            let now = Instant::now();
            if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| now >= d) {
                break;
            }
            if now >= next {
                next = now + interval;
                let Some(sample) = probe.sample(system).await else {
                    break;
                };
                let line = if json {
                    sample.json_line()
                } else {
                    sample.plain_line()
                };
                // A closed pipe (`| head`) means nobody reads: stop.
                if writeln!(std::io::stdout(), "{line}").is_err() {
                    break;
                }
                let root_stopped = sample
                    .rows
                    .first()
                    .is_some_and(|r| r.state == ChildState::Stopped);
                last = Some(sample);
                if root_stopped {
                    break;
                }
            }
            retinue::rt::sleep(tick).await;
        }
    });
    last
}

/// The summary's line width: [`sample::PLAIN_WIDTH`], or less to fit the
/// terminal it is printed on.
fn summary_width() -> usize {
    let terminal = std::io::stdout()
        .is_terminal()
        .then(ratatui::crossterm::terminal::size)
        .and_then(Result::ok)
        .map(|(w, _)| usize::from(w).saturating_sub(1));
    terminal.map_or(sample::PLAIN_WIDTH, |w| w.min(sample::PLAIN_WIDTH))
}
