//! What every framework module shares: the scenarios, their sizes, the
//! metrics a child process reports, and small measuring helpers.
//!
//! Invariants:
//! - Every metric is "lower is better" (time or bytes), so a peer's ratio to
//!   retinue is `peer / retinue` and a ratio above 1 means retinue wins.
//! - A child process prints only `METRIC\t<key>\t<value>` and
//!   `UNSUPPORTED\t<reason>` lines on stdout; the driver parses nothing else.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The seven scenarios, the same for each framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// 1. tell throughput to one counting actor.
    Tell,
    /// 2. tell round-robin across 100 actors, completion awaited.
    RoundRobin,
    /// 3. sequential ask round trips (p50/p99).
    Ask,
    /// 4. a token passed around a ring of actors.
    Ring,
    /// 5. spawning idle actors: time per spawn and RSS per actor.
    Spawn,
    /// 6. time from a panic until the restarted actor answers.
    Restart,
    /// 7. jobs through a pool of 1, 2, 4, 8 workers (see pool.rs).
    Pool,
}

impl Scenario {
    /// Every scenario, in table order.
    pub const ALL: [Scenario; 7] = [
        Scenario::Tell,
        Scenario::RoundRobin,
        Scenario::Ask,
        Scenario::Ring,
        Scenario::Spawn,
        Scenario::Restart,
        Scenario::Pool,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Tell => "tell",
            Scenario::RoundRobin => "round-robin",
            Scenario::Ask => "ask",
            Scenario::Ring => "ring",
            Scenario::Spawn => "spawn",
            Scenario::Restart => "restart",
            Scenario::Pool => "pool",
        }
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// Workload sizes: full mode for real numbers, quick mode for CI.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Messages told to one actor (scenario 1).
    pub tell: u64,
    /// Actors in the round-robin scenario.
    pub rr_actors: usize,
    /// Messages spread round-robin (scenario 2).
    pub rr_msgs: u64,
    /// Sequential asks (scenario 3).
    pub asks: usize,
    /// Actors in the ring (scenario 4).
    pub ring_actors: usize,
    /// Laps the token makes around the ring.
    pub ring_laps: u64,
    /// Actors spawned (scenario 5).
    pub spawn: usize,
    /// Panics and restarts measured (scenario 6).
    pub restarts: usize,
    /// Repetitions of each throughput measurement (median taken).
    pub rounds: usize,
    /// Child processes per framework for the spawn scenario.
    pub spawn_runs: usize,
    /// Jobs per pool size (scenario 7).
    pub pool_jobs: u64,
}

impl Sizes {
    /// The sizes the issue asks for.
    pub const FULL: Sizes = Sizes {
        tell: 10_000_000,
        rr_actors: 100,
        rr_msgs: 1_000_000,
        asks: 100_000,
        ring_actors: 1_000,
        ring_laps: 1_000,
        spawn: 100_000,
        restarts: 200,
        rounds: 3,
        spawn_runs: 3,
        pool_jobs: 200_000,
    };

    /// Small enough that the whole suite runs in a few seconds.
    pub const QUICK: Sizes = Sizes {
        tell: 20_000,
        rr_actors: 100,
        rr_msgs: 20_000,
        asks: 2_000,
        ring_actors: 100,
        ring_laps: 10,
        spawn: 2_000,
        restarts: 5,
        rounds: 1,
        spawn_runs: 1,
        pool_jobs: 5_000,
    };
}

/// What one child process measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `(metric key, value)`; see [`METRICS`].
    pub metrics: Vec<(&'static str, f64)>,
    /// Why the framework cannot run this scenario, if it cannot.
    pub unsupported: Option<&'static str>,
}

impl Outcome {
    /// One metric.
    pub fn one(key: &'static str, value: f64) -> Outcome {
        Outcome {
            metrics: vec![(key, value)],
            unsupported: None,
        }
    }

    /// Several metrics.
    pub fn many(metrics: Vec<(&'static str, f64)>) -> Outcome {
        Outcome {
            metrics,
            unsupported: None,
        }
    }

    /// The framework has no way to do this idiomatically.
    pub fn unsupported(reason: &'static str) -> Outcome {
        Outcome {
            metrics: Vec::new(),
            unsupported: Some(reason),
        }
    }
}

/// Every metric: key, scenario, unit, and the issues' targets for retinue
/// (as the largest allowed `retinue / best peer`): on async-std, then on
/// tokio (the peers' own executor).
pub const METRICS: [(&str, Scenario, &str, f64, f64); 13] = [
    ("tell", Scenario::Tell, "ns/msg", 1.0 / 3.0, 1.0 / 3.0),
    ("round-robin", Scenario::RoundRobin, "ns/msg", 1.0, 1.0),
    ("ask p50", Scenario::Ask, "ns", 0.7, 0.7),
    ("ask mean", Scenario::Ask, "ns", 1.0, 0.7),
    ("ask p99", Scenario::Ask, "ns", 1.0, 1.0),
    ("ring", Scenario::Ring, "ns/hop", 1.0, 1.0),
    ("spawn", Scenario::Spawn, "ns/actor", 1.0 / 5.0, 1.0 / 5.0),
    ("memory", Scenario::Spawn, "B/actor", 1.0 / 4.0, 1.0 / 5.0),
    (
        "restart",
        Scenario::Restart,
        "us",
        f64::INFINITY,
        f64::INFINITY,
    ),
    // Issue 15: at least 1.5x the best peer's pool throughput.
    ("pool 1", Scenario::Pool, "ns/job", 1.0 / 1.5, 1.0 / 1.5),
    ("pool 2", Scenario::Pool, "ns/job", 1.0 / 1.5, 1.0 / 1.5),
    ("pool 4", Scenario::Pool, "ns/job", 1.0 / 1.5, 1.0 / 1.5),
    ("pool 8", Scenario::Pool, "ns/job", 1.0 / 1.5, 1.0 / 1.5),
];

/// The median of some samples (sorted in place).
pub fn median(samples: &mut [f64]) -> f64 {
    percentile(samples, 50.0)
}

/// The `p`-th percentile (0..=100) of some samples (sorted in place).
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// Nanoseconds per operation.
pub fn per_op(elapsed: Duration, ops: u64) -> f64 {
    elapsed.as_nanos() as f64 / ops.max(1) as f64
}

/// Resident set size of this process, in bytes (Linux; 0 elsewhere).
pub fn rss_bytes() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0
}

/// Idle actors that have run their start hook (scenario 5).
pub static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Counts one started idle actor.
pub fn mark_started() {
    STARTED.fetch_add(1, Ordering::Relaxed);
}

/// How many idle actors have started.
pub fn started() -> usize {
    STARTED.load(Ordering::Relaxed)
}

/// Time the driver lets spawned actors settle before reading RSS.
pub const SETTLE: Duration = Duration::from_millis(200);

/// Silences the panic message of the deliberate panics in scenario 6.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// Times `asks` sequential round trips of `ask` after `WARM_UP` untimed
/// ones; returns the p50, p99 and mean in nanoseconds. One loop for every
/// framework, so they differ only in the call being timed.
pub async fn ask_latency<F, Fut>(asks: usize, mut ask: F) -> (f64, f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    const WARM_UP: usize = 1000;
    for _ in 0..WARM_UP {
        ask().await;
    }
    let mut samples = Vec::with_capacity(asks);
    for _ in 0..asks {
        let start = std::time::Instant::now();
        ask().await;
        samples.push(start.elapsed().as_nanos() as f64);
    }
    let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
    (
        percentile(&mut samples, 50.0),
        percentile(&mut samples, 99.0),
        mean,
    )
}
