//! Circuit breaker, retry and gather overhead.
//!
//! Baseline: awaiting the protected future directly. Also measured in the
//! same run: one ask round trip to a trivial actor (the breaker's target
//! is to cost less than that per closed-state call).
//!
//! Run: `cargo bench --bench breaker` (and with ASYNC_STD_THREAD_COUNT=1).

#[path = "harness/mod.rs"]
mod harness;

use std::hint::black_box;
use std::time::Instant;

use harness::{per_op, report, row, scaled};
use retinue::sync::{BreakerConfig, CircuitBreaker, TripPolicy};
use retinue::task::{Retry, gather};
use retinue::{Actor, Context, Handler, Message, rt};

struct Echo;
impl Actor for Echo {}
struct Ping(u64);
impl Message for Ping {
    type Reply = u64;
}
impl Handler<Ping> for Echo {
    async fn handle(&mut self, msg: Ping, _: &mut Context<Self>) -> u64 {
        msg.0
    }
}

async fn service(x: u64) -> Result<u64, ()> {
    Ok(black_box(x))
}

/// Runs a measurement on an executor thread (where actors and their
/// callers normally live), not on the blocked main thread.
fn on_executor(
    f: impl std::future::Future<Output = std::time::Duration> + Send + 'static,
) -> std::time::Duration {
    rt::block_on(rt::spawn(f)).expect("bench task panicked")
}

fn main() {
    let n = scaled(200_000);
    let direct = per_op(n, || {
        on_executor(async move {
            let start = Instant::now();
            for i in 0..n {
                black_box(service(i).await.ok());
            }
            start.elapsed()
        })
    });

    let breaker = CircuitBreaker::spawn(BreakerConfig {
        trip: TripPolicy::ConsecutiveFailures { failures: 5 },
        ..BreakerConfig::default()
    })
    .expect("valid config");
    let closed = per_op(n, || {
        let breaker = breaker.clone();
        on_executor(async move {
            let start = Instant::now();
            for i in 0..n {
                black_box(breaker.call(|| service(i)).await.ok());
            }
            // Wait until the actor has read every report, so the queue
            // does not spill into the next round.
            breaker.metrics().await.expect("breaker alive");
            start.elapsed()
        })
    });

    let echo = retinue::spawn(Echo);
    let ask = per_op(n, || {
        let echo = echo.clone();
        on_executor(async move {
            let start = Instant::now();
            for i in 0..n {
                black_box(echo.ask(Ping(i)).await.ok());
            }
            start.elapsed()
        })
    });

    let policy = std::sync::Arc::new(Retry::<u64, ()>::new().max_attempts(3));
    let retry = per_op(n, || {
        let policy = policy.clone();
        on_executor(async move {
            let start = Instant::now();
            for i in 0..n {
                black_box(policy.run(|| service(i)).await.ok());
            }
            start.elapsed()
        })
    });

    report(
        "per call, closed breaker vs direct await (ns/op)",
        &[
            row("direct await (baseline)", direct, "ns/op"),
            row("breaker.call, closed", closed, "ns/op"),
            row("retry.run, succeeds first time", retry, "ns/op"),
            row("ask round trip (target: breaker below this)", ask, "ns/op"),
        ],
    );
    println!(
        "  breaker overhead over direct: {:.1} ns/call; ask round trip: {:.1} ns",
        closed - direct,
        ask
    );

    let width = 100u64;
    let batches = scaled(2_000);
    let loop_spawn = per_op(batches * width, || {
        on_executor(async move {
            let start = Instant::now();
            for b in 0..batches {
                let handles: Vec<_> = (0..width).map(|i| rt::spawn(service(b + i))).collect();
                for h in handles {
                    black_box(h.await.ok());
                }
            }
            start.elapsed()
        })
    });
    let gathered = per_op(batches * width, || {
        on_executor(async move {
            let start = Instant::now();
            for b in 0..batches {
                black_box(gather((0..width).map(|i| service(b + i))).await.ok());
            }
            start.elapsed()
        })
    });
    report(
        "per future, 100 futures at a time (ns/future)",
        &[
            row(
                "rt::spawn each + await handles (baseline)",
                loop_spawn,
                "ns/op",
            ),
            row("gather (fail-fast, argument order)", gathered, "ns/op"),
        ],
    );
}
