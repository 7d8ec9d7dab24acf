//! A tiny benchmark harness shared by every bench in `benches/`.
//!
//! The machines these run on are shared and noisy, so a number on its own
//! means little. Each bench measures a baseline (raw async-channel, an
//! async-lock primitive, ...) in the same run, repeats every measurement
//! several rounds, and reports medians and the ratio to the baseline.
//!
//! `BENCH_QUICK=1` (set by CI) shrinks every workload so that the benches
//! only prove they still run.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// Whether to run a token amount of work (CI) instead of real measurements.
pub fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// `full` normally, something tiny in quick mode.
pub fn scaled(full: u64) -> u64 {
    if quick() { (full / 1000).max(10) } else { full }
}

/// How many rounds each measurement is repeated: `BENCH_ROUNDS` if set
/// (for a busy machine), else 3 in quick mode and 11 otherwise.
pub fn rounds() -> usize {
    let set = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok());
    set.filter(|&r| r > 0)
        .unwrap_or(if quick() { 3 } else { 11 })
}

/// The median of some samples (sorted in place).
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

/// The `p`-th percentile (0..=100) of some samples (sorted in place).
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// Runs `round` [`rounds`] times; each call does `ops` operations and
/// returns the time they took. Returns the median nanoseconds per operation.
pub fn per_op(ops: u64, mut round: impl FnMut() -> Duration) -> f64 {
    let mut samples: Vec<f64> = (0..rounds())
        .map(|_| round().as_nanos() as f64 / ops as f64)
        .collect();
    median(&mut samples)
}

/// Times one closure.
pub fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// One row of a comparison table.
pub struct Row {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
}

/// Prints a table of rows with each row's ratio to the first (the baseline).
pub fn report(title: &str, rows: &[Row]) {
    println!("\n{title}");
    let Some(base) = rows.first() else { return };
    for row in rows {
        let ratio = row.value / base.value;
        println!(
            "  {:<44} {:>12.1} {:<6} {:>7.2}x {}",
            row.name,
            row.value,
            row.unit,
            ratio,
            if std::ptr::eq(row, base) {
                "(baseline)"
            } else {
                ""
            }
        );
    }
}

/// Convenience constructor for [`Row`].
pub fn row(name: impl Into<String>, value: f64, unit: &'static str) -> Row {
    Row {
        name: name.into(),
        value,
        unit,
    }
}

/// Runs `work` as a task on the executor's workers, not on the blocked
/// main thread, whose cross-thread wake-ups would dominate every number.
pub fn on_worker<F>(work: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    retinue::rt::block_on(retinue::rt::spawn(work)).expect("bench task panicked")
}
