//! What observability costs on `tell` and `ask`, against a raw
//! async-channel floor measured in the same run.
//!
//! Run it twice, without and with the `metrics` feature, to compare the
//! crate as built both ways (`benches/observe.sh` does both and prints the
//! two tables): the ratio to the raw floor is what to compare, as it
//! cancels out machine noise between the two runs. With the feature, the
//! same run also measures with no recorder installed (the facade's no-op)
//! and then with a Prometheus recorder installed. Spans cost is measured
//! as shipped: no subscriber (the common production case without one) and
//! a subscriber that is interested in nothing from retinue.
//!
//! `ASYNC_STD_THREAD_COUNT=1` for a quiet single-worker run, `BENCH_QUICK=1`
//! for a smoke run.

#[path = "harness/mod.rs"]
mod harness;

use std::time::Instant;

use harness::{on_worker, per_op, percentile, report, row, scaled};
use retinue::{Actor, Context, Handler, Message, rt};

struct Counter(u64);
impl Actor for Counter {}

struct Inc;
impl Message for Inc {
    type Reply = ();
}
impl Handler<Inc> for Counter {
    async fn handle(&mut self, _: Inc, _: &mut Context<Self>) {
        self.0 += 1;
    }
}

struct Get;
impl Message for Get {
    type Reply = u64;
}
impl Handler<Get> for Counter {
    async fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.0
    }
}

fn raw_tell(n: u64) -> std::time::Duration {
    on_worker(async move {
        let (tx, rx) = async_channel::bounded::<u64>(256);
        let start = Instant::now();
        let consumer = rt::spawn(async move {
            let mut count = 0u64;
            while let Ok(v) = rx.recv().await {
                count += v;
            }
            count
        });
        for _ in 0..n {
            tx.send(1).await.unwrap();
        }
        drop(tx);
        assert_eq!(consumer.await.unwrap(), n);
        start.elapsed()
    })
}

fn actor_tell(n: u64) -> std::time::Duration {
    on_worker(async move {
        let counter = retinue::spawn(Counter(0));
        let start = Instant::now();
        for _ in 0..n {
            counter.tell(Inc).await.unwrap();
        }
        assert_eq!(counter.ask(Get).await.unwrap(), n);
        start.elapsed()
    })
}

/// p50 of `n` asks, in ns.
fn actor_ask(n: usize) -> f64 {
    let mut samples = on_worker(async move {
        let counter = retinue::spawn(Counter(0));
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            counter.ask(Get).await.unwrap();
            samples.push(start.elapsed().as_nanos() as f64);
        }
        samples
    });
    percentile(&mut samples, 50.0)
}

fn measure(label: &str) {
    let n = scaled(1_000_000);
    let asks = scaled(100_000) as usize;
    let raw = per_op(n, || raw_tell(n));
    let tell = per_op(n, || actor_tell(n));
    let ask = actor_ask(asks);
    report(
        &format!("{label}: tell {n} msgs, ask p50 of {asks}"),
        &[
            row("raw async-channel bounded(256) (floor)", raw, "ns/msg"),
            row("retinue tell", tell, "ns/msg"),
            row("retinue ask p50", ask, "ns"),
        ],
    );
}

fn main() {
    let threads = std::env::var("ASYNC_STD_THREAD_COUNT").unwrap_or_else(|_| "default".into());
    let feature = if cfg!(feature = "metrics") {
        "on"
    } else {
        "off"
    };
    println!(
        "retinue observe bench (metrics feature {feature}; async-std worker threads: {threads})"
    );
    measure("no subscriber, no recorder");
    // A subscriber that wants nothing from retinue (WARN and up only).
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::with_default(subscriber, || measure("WARN-level subscriber"));
    #[cfg(feature = "metrics")]
    {
        let _recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("one recorder");
        measure("Prometheus recorder installed");
    }
}
