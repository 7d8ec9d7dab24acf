//! `compare`: retinue against kameo, ractor and actix (and raw async-channel
//! floors) on the same machine in the same run. See BENCHMARKS.md.
//!
//! - `compare [--quick]` is the driver: it re-invokes this binary once per
//!   (scenario, framework) — and `spawn_runs` times for the spawn scenario —
//!   so every measurement has a fresh process (clean RSS, its own runtime),
//!   then prints one table and writes `target/compare/{results.md,chart.svg}`.
//! - `compare --scenario S --framework F [--quick]` is one child run: it
//!   prints `METRIC\t<key>\t<value>` lines (see `common::METRICS`).
//! - `--quick` or `BENCH_QUICK=1`: tiny sizes, for CI.
//!
//! Invariants: the driver never measures anything itself; a child that fails
//! leaves a "failed" cell rather than aborting the whole table.

mod actix_impl;
mod chart;
mod common;
mod floor;
mod kameo_impl;
mod pool;
mod ractor_impl;
mod report;
mod retinue_impl;

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use common::{Outcome, Scenario, Sizes, median};
use report::{Cell, Results};

/// Table columns in order; retinue on its default backend (async-std) is
/// the reference column. `-tokio` / `-smol` columns are retinue (or the raw
/// floor) on that backend, `retinue-bare` is async-std without its tokio 1
/// compatibility; each comes from a sibling binary (see [`column`]).
pub const FRAMEWORKS: [&str; 10] = [
    "retinue",
    "retinue-tokio",
    "retinue-smol",
    "retinue-bare",
    "kameo",
    "ractor",
    "actix",
    "floor",
    "floor-tokio",
    "floor-smol",
];

/// What one child process can run: the frameworks compiled into it.
const CHILD_FRAMEWORKS: [&str; 5] = ["retinue", "kameo", "ractor", "actix", "floor"];

/// Which build runs a column and what it runs there: `(build, framework)`.
/// A build `Some(b)` is the sibling binary `compare-<b>`, this package
/// built with `--no-default-features --features <b>` (bench/compare/run.sh
/// builds them).
pub fn column(name: &str) -> (Option<&'static str>, &'static str) {
    match name {
        "retinue-tokio" => (Some("tokio"), "retinue"),
        "retinue-smol" => (Some("smol"), "retinue"),
        "retinue-bare" => (Some("async-std-bare"), "retinue"),
        "floor-tokio" => (Some("tokio"), "floor"),
        "floor-smol" => (Some("smol"), "floor"),
        other => (
            None,
            CHILD_FRAMEWORKS
                .into_iter()
                .find(|f| *f == other)
                .unwrap_or("floor"),
        ),
    }
}

/// The backend (and tokio interop) a build must report, so a stale sibling
/// binary cannot fill a column with the wrong runtime's numbers.
fn expected_backend(build: Option<&str>) -> &'static str {
    match build {
        None => "async-std+tokio1",
        Some("tokio") => "tokio+tokio1",
        Some("smol") => "smol+tokio1",
        Some(_) => "async-std",
    }
}

/// The backend this binary's retinue runs on, as [`expected_backend`] spells it.
fn this_backend() -> String {
    let name = retinue::rt::backend().name();
    if retinue::rt::tokio_interop() {
        format!("{name}+tokio1")
    } else {
        name.to_string()
    }
}

/// Frameworks the targets are judged against (the floor is not a peer).
pub const PEERS: [&str; 3] = ["kameo", "ractor", "actix"];

struct Args {
    quick: bool,
    /// `--threads N`: worker threads for every runtime in every child.
    threads: Option<String>,
    scenario: Option<Scenario>,
    framework: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        quick: std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0"),
        threads: None,
        scenario: None,
        framework: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--threads" => {
                let n = it.next().ok_or("--threads needs a number")?;
                n.parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("bad thread count {n}"))?;
                args.threads = Some(n);
            }
            "--sizes" => {
                for (what, bytes) in retinue_impl::future_sizes() {
                    println!("{bytes:>6} B  {what}");
                }
                std::process::exit(0);
            }
            "--scenario" => {
                let name = it.next().ok_or("--scenario needs a name")?;
                args.scenario =
                    Some(Scenario::parse(&name).ok_or(format!("unknown scenario {name}"))?);
            }
            "--framework" => {
                let name = it.next().ok_or("--framework needs a name")?;
                if !FRAMEWORKS.contains(&name.as_str()) {
                    return Err(format!("unknown framework {name}"));
                }
                args.framework = Some(name);
            }
            "-h" | "--help" => {
                return Err(
                    "usage: compare [--quick] [--threads N] [--sizes] [--scenario S] [--framework F]\n\
                     scenarios: tell round-robin ask ring spawn restart pool\n\
                     frameworks: retinue retinue-tokio retinue-smol retinue-bare kameo ractor\n\
                     actix floor floor-tokio floor-smol (a child runs only retinue kameo ractor\n\
                     actix floor)"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let sizes = if args.quick {
        Sizes::QUICK
    } else {
        Sizes::FULL
    };
    match (args.scenario, args.framework.as_deref()) {
        (Some(s), Some(f)) => child(s, f, &sizes),
        (filter, fw) => driver(&args, filter, fw, &sizes),
    }
}

/// One measurement in this process; prints metric lines for the driver.
fn child(scenario: Scenario, framework: &str, sizes: &Sizes) -> ExitCode {
    if !CHILD_FRAMEWORKS.contains(&framework) {
        eprintln!("{framework} is a column of the driver; run compare without --scenario");
        return ExitCode::FAILURE;
    }
    println!("BACKEND\t{}", this_backend());
    if scenario == Scenario::Restart {
        common::quiet_panics();
    }
    let outcome: Outcome = match framework {
        "retinue" => retinue_impl::run(scenario, sizes),
        "kameo" => kameo_impl::run(scenario, sizes),
        "ractor" => ractor_impl::run(scenario, sizes),
        "actix" => actix_impl::run(scenario, sizes),
        _ => floor::run(scenario, sizes),
    };
    if let Some(reason) = outcome.unsupported {
        println!("UNSUPPORTED\t{reason}");
    }
    for (key, value) in outcome.metrics {
        println!("METRIC\t{key}\t{value}");
    }
    ExitCode::SUCCESS
}

/// The binary that runs a column: this one, or its `compare-<build>`
/// sibling (`None` when that was not built).
fn column_exe(build: Option<&str>) -> Result<Option<std::path::PathBuf>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    Ok(match build {
        None => Some(exe),
        Some(b) => Some(exe.with_file_name(format!("compare-{b}"))).filter(|p| p.exists()),
    })
}

/// Runs one child and parses its report.
fn run_child(
    exe: &std::path::Path,
    build: Option<&str>,
    scenario: Scenario,
    framework: &str,
    args: &Args,
) -> Result<Outcome, String> {
    let quick = args.quick;
    let mut cmd = Command::new(exe);
    cmd.args(["--scenario", scenario.name(), "--framework", framework]);
    if quick {
        cmd.arg("--quick");
    }
    if let Some(n) = &args.threads {
        for var in [
            "ASYNC_STD_THREAD_COUNT",
            "TOKIO_WORKER_THREADS",
            "SMOL_THREADS",
        ] {
            cmd.env(var, n);
        }
    }
    let (stdout, _stderr) = run_with_deadline(cmd, child_deadline(quick))?;
    let mut outcome = Outcome::default();
    for line in stdout.lines() {
        let mut parts = line.split('\t');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("METRIC"), Some(key), Some(v)) => {
                let key = common::METRICS
                    .iter()
                    .find(|m| m.0 == key)
                    .map(|m| m.0)
                    .ok_or(format!("unknown metric {key}"))?;
                let v: f64 = v.parse().map_err(|_| format!("bad value {v}"))?;
                outcome.metrics.push((key, v));
            }
            (Some("UNSUPPORTED"), Some(_), None) => {
                outcome.unsupported = Some("unsupported");
            }
            (Some("BACKEND"), Some(got), None) if got != expected_backend(build) => {
                return Err(format!(
                    "{} runs retinue on {got}, not {}: rebuild it (bench/compare/run.sh)",
                    exe.display(),
                    expected_backend(build)
                ));
            }
            _ => {}
        }
    }
    Ok(outcome)
}

/// How long one child may take before it is killed (a hang must fail CI,
/// not stall it).
fn child_deadline(quick: bool) -> Duration {
    Duration::from_secs(if quick { 60 } else { 600 })
}

/// Runs `cmd` to completion or kills it at `deadline`; returns its stdout
/// and stderr, or why it failed.
fn run_with_deadline(mut cmd: Command, deadline: Duration) -> Result<(String, String), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut out_pipe = child.stdout.take().ok_or("no stdout")?;
    let mut err_pipe = child.stderr.take().ok_or("no stderr")?;
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let last = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
    match status {
        None => Err(format!("killed after {deadline:?}: {last}")),
        Some(s) if !s.success() => Err(format!("{s}: {last}")),
        Some(_) => Ok((stdout, stderr)),
    }
}

fn driver(args: &Args, filter: Option<Scenario>, only: Option<&str>, sizes: &Sizes) -> ExitCode {
    let mode = if args.quick { "quick" } else { "full" };
    let threads = |var: &str| {
        args.threads
            .clone()
            .or_else(|| std::env::var(var).ok())
            .unwrap_or_else(|| "default".into())
    };
    println!(
        "retinue-compare, {mode} mode: ASYNC_STD_THREAD_COUNT={}, TOKIO_WORKER_THREADS={}, \
         SMOL_THREADS={}, {} CPUs",
        threads("ASYNC_STD_THREAD_COUNT"),
        threads("TOKIO_WORKER_THREADS"),
        threads("SMOL_THREADS"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let mut results = Results::default();
    let mut failures = 0;
    for scenario in Scenario::ALL {
        if filter.is_some_and(|f| f != scenario) {
            continue;
        }
        for framework in FRAMEWORKS {
            if only.is_some_and(|o| o != framework) {
                continue;
            }
            let (build, runs_as) = column(framework);
            let exe = match column_exe(build) {
                Ok(Some(exe)) => exe,
                Ok(None) => {
                    for (key, ..) in common::METRICS.iter().filter(|m| m.1 == scenario) {
                        results.set(key, framework, Cell::NotBuilt);
                    }
                    continue;
                }
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            let runs = if scenario == Scenario::Spawn {
                sizes.spawn_runs
            } else {
                1
            };
            let mut values: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
            let mut cell_note = None;
            for _ in 0..runs {
                match run_child(&exe, build, scenario, runs_as, args) {
                    Ok(o) if o.unsupported.is_some() => cell_note = Some(Cell::Unsupported),
                    Ok(o) => {
                        for (k, v) in o.metrics {
                            values.entry(k).or_default().push(v);
                        }
                    }
                    Err(e) => {
                        eprintln!("{} / {framework}: child failed: {e}", scenario.name());
                        failures += 1;
                        cell_note = Some(Cell::Failed);
                    }
                }
            }
            for (key, ..) in common::METRICS.iter().filter(|m| m.1 == scenario) {
                let cell = match (values.get_mut(key), cell_note) {
                    (Some(v), None) => Cell::Value(median(v)),
                    (_, Some(note)) => note,
                    (None, None) => Cell::Failed,
                };
                results.set(key, framework, cell);
            }
            eprintln!("  done: {} / {framework}", scenario.name());
        }
    }
    let table = report::table(&results);
    println!("\n{table}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/compare");
    if let Err(e) =
        std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(dir.join("results.md"), &table))
    {
        eprintln!("cannot write results: {e}");
        return ExitCode::FAILURE;
    }
    let dir = dir.canonicalize().unwrap_or(dir);
    match chart::draw(&results, &dir.join("chart.svg"), mode) {
        Ok(()) => println!("wrote {}", dir.join("chart.svg").display()),
        Err(e) => {
            eprintln!("cannot draw chart: {e}");
            return ExitCode::FAILURE;
        }
    }
    if failures > 0 {
        eprintln!("{failures} child run(s) failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
