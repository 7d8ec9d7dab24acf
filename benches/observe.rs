//! What observability costs on `tell` and `ask`, in one run: the crate
//! built without the `metrics` feature, with it and no recorder (the
//! facade's no-op), with it and a Prometheus recorder installed, and a
//! tracing subscriber that wants nothing from retinue (WARN and up).
//!
//! A recorder or a subscriber, once installed, stays for the life of the
//! process, and a cargo feature is fixed per build; so every variant runs
//! as a child process (this binary with `--child VARIANT`, or the one built
//! without the feature), one round each in turn, so that all of them share
//! the machine's noise. Each round measures its own raw async-channel
//! floor; the table shows medians over the rounds, the ratio of `tell` to
//! the floor, and each variant against the first (the feature-off build
//! when there is one), round by round.
//!
//! `benches/observe.sh` builds both ways and runs the comparison (it sets
//! `OBSERVE_OFF_BIN` to the feature-off binary); plain `cargo bench --bench
//! observe` compares what its own build can. `ASYNC_STD_THREAD_COUNT=1` for
//! a quiet single-worker run, `BENCH_QUICK=1` for a smoke run.

#[path = "harness/counter.rs"]
mod counter;
#[path = "harness/mod.rs"]
mod harness;

use std::process::Command;

use counter::{actor_asks, actor_tell, raw_tell};
use harness::{median, on_worker, percentile, rounds, scaled};
use retinue::Capacity;

/// One way of running the crate: a name, a binary, its `--child` argument.
struct Variant {
    name: &'static str,
    bin: std::path::PathBuf,
    arg: &'static str,
}

/// What one child round measured (ns).
#[derive(Clone, Copy)]
struct Round {
    floor: f64,
    tell: f64,
    ask: f64,
}

/// The child: set up `variant`, measure one round, print it.
fn child(variant: &str) {
    match variant {
        "plain" => {}
        "subscriber" => {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::WARN)
                .with_writer(std::io::sink)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        }
        #[cfg(feature = "metrics")]
        "recorder" => {
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .expect("one recorder");
        }
        other => panic!("unknown variant {other:?} (or not in this build)"),
    }
    let n = scaled(1_000_000);
    let asks = scaled(100_000) as usize;
    on_worker(actor_tell(n / 10, Capacity::DEFAULT)); // warm up
    let floor = on_worker(raw_tell(n, 256)).as_nanos() as f64 / n as f64;
    let tell = on_worker(actor_tell(n, Capacity::DEFAULT)).as_nanos() as f64 / n as f64;
    let ask = percentile(&mut on_worker(actor_asks(asks)), 50.0);
    println!("{floor} {tell} {ask}");
}

fn run(variant: &Variant) -> Round {
    let out = Command::new(&variant.bin)
        .args(["--child", variant.arg])
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", variant.bin.display()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} failed: {}",
        variant.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<f64> = text
        .split_whitespace()
        .map(|x| x.parse().expect("a number"))
        .collect();
    Round {
        floor: v[0],
        tell: v[1],
        ask: v[2],
    }
}

fn variants() -> Vec<Variant> {
    let me = std::env::current_exe().expect("this binary");
    let variant = |name, bin: &std::path::Path, arg| Variant {
        name,
        bin: bin.to_owned(),
        arg,
    };
    let mut list = Vec::new();
    let off = std::env::var_os("OBSERVE_OFF_BIN").map(std::path::PathBuf::from);
    if let Some(off) = &off {
        list.push(variant("metrics off", off, "plain"));
    }
    if cfg!(feature = "metrics") {
        list.push(variant("metrics on, no recorder", &me, "plain"));
        list.push(variant("metrics on, Prometheus recorder", &me, "recorder"));
    } else if off.is_none() {
        list.push(variant("metrics off", &me, "plain"));
    }
    // Spans: on the feature-off build when there is one.
    let name = if off.is_some() || cfg!(not(feature = "metrics")) {
        "metrics off, WARN subscriber"
    } else {
        "metrics on, WARN subscriber"
    };
    list.push(variant(name, off.as_deref().unwrap_or(&me), "subscriber"));
    // The first variant once more: what "vs 1st" shows for no change at
    // all is the run's noise.
    let (bin, arg) = (list[0].bin.clone(), list[0].arg);
    list.push(variant("first variant again (noise)", &bin, arg));
    list
}

fn main() {
    let mut args = std::env::args().skip(1);
    if let (Some(flag), Some(variant)) = (args.next(), args.next()) {
        if flag == "--child" {
            return child(&variant);
        }
    }
    let threads = std::env::var("ASYNC_STD_THREAD_COUNT").unwrap_or_else(|_| "default".into());
    let variants = variants();
    let n = scaled(1_000_000);
    println!(
        "retinue observe bench: tell {n} msgs, ask p50 of {} (async-std worker threads: {threads}; {} rounds, variants in turn)",
        scaled(100_000),
        rounds()
    );
    let mut results: Vec<Vec<Round>> = variants.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds() {
        // Rotate who goes first, so no variant always runs on a cold machine.
        for i in 0..variants.len() {
            let at = (i + round) % variants.len();
            results[at].push(run(&variants[at]));
        }
    }
    println!(
        "\n  {:<34} {:>9} {:>9} {:>11} {:>13} {:>9} {:>13}",
        "variant", "floor ns", "tell ns", "tell/floor", "tell vs 1st", "ask p50", "ask vs 1st"
    );
    for (v, r) in variants.iter().zip(&results) {
        let s = summarize(r, &results[0]);
        println!(
            "  {:<34} {:>9.1} {:>9.1} {:>10.2}x {:>+12.1}% {:>7.0}ns {:>+12.1}%",
            v.name,
            s.floor,
            s.tell,
            s.ratio,
            (s.tell_vs_first - 1.0) * 100.0,
            s.ask,
            (s.ask_vs_first - 1.0) * 100.0,
        );
    }
}

struct Summary {
    floor: f64,
    tell: f64,
    ratio: f64,
    ask: f64,
    tell_vs_first: f64,
    ask_vs_first: f64,
}

/// Medians over the rounds. The floor differs between binaries (code
/// placement), so the variants are compared by their own figures: the
/// median of each round's ratio to the first variant's same round, which
/// ran next to it.
fn summarize(rounds: &[Round], first: &[Round]) -> Summary {
    let pick = |f: &dyn Fn(&Round) -> f64| median(&mut rounds.iter().map(f).collect::<Vec<_>>());
    let paired = |f: fn(&Round) -> f64| {
        let mut r: Vec<f64> = rounds.iter().zip(first).map(|(a, b)| f(a) / f(b)).collect();
        median(&mut r)
    };
    Summary {
        floor: pick(&|r| r.floor),
        tell: pick(&|r| r.tell),
        ratio: pick(&|r| r.tell / r.floor),
        ask: pick(&|r| r.ask),
        tell_vs_first: paired(|r| r.tell),
        ask_vs_first: paired(|r| r.ask),
    }
}
