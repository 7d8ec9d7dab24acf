//! Supervision costs: restart latency (from a panic to the restarted
//! instance answering the next queued message) against a plain ask on the
//! same actor, and a 10 000-child dynamic supervisor (start all, shut down
//! all) against spawning and stopping the same actors unsupervised.
//!
//! `cargo bench --bench supervisor` (`ASYNC_STD_THREAD_COUNT=1` for a
//! quieter run; `BENCH_QUICK=1` for a smoke run).

#[path = "harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{on_worker, percentile, report, row, scaled};
use retinue::supervisor::{ChildSpec, DynamicSupervisor, Flags, Strategy, Supervisor, Template};
use retinue::{Actor, Context, Handler, Message};

struct Flaky;
impl Actor for Flaky {}

struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Flaky {
    async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("crash")
    }
}

struct Ping;
impl Message for Ping {
    type Reply = ();
}
impl Handler<Ping> for Flaky {
    async fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
}

fn restart_latency() {
    let n = scaled(20_000) as usize;
    let (mut plain, mut restart) = on_worker(async move {
        let spec = ChildSpec::worker("flaky", || Flaky);
        let flaky = spec.addr::<Flaky>().unwrap();
        let flags = Flags::new(Strategy::OneForOne).intensity(u32::MAX, Duration::from_secs(1));
        let sup = Supervisor::with_flags(flags)
            .child(spec)
            .spawn()
            .await
            .unwrap();
        let mut plain = Vec::with_capacity(n);
        let mut restart = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            flaky.ask(Ping).await.unwrap();
            plain.push(start.elapsed().as_nanos() as f64);

            let start = Instant::now();
            flaky.tell(Crash).await.unwrap();
            flaky.ask(Ping).await.unwrap();
            restart.push(start.elapsed().as_nanos() as f64);
        }
        sup.shutdown().await;
        (plain, restart)
    });
    report(
        &format!("restart latency, {n} restarts (panic -> restarted instance answers)"),
        &[
            row(
                "plain ask on the same actor, p50",
                percentile(&mut plain, 50.0),
                "ns",
            ),
            row(
                "crash + restart + ask, p50",
                percentile(&mut restart, 50.0),
                "ns",
            ),
            row(
                "plain ask on the same actor, p99",
                percentile(&mut plain, 99.0),
                "ns",
            ),
            row(
                "crash + restart + ask, p99",
                percentile(&mut restart, 99.0),
                "ns",
            ),
        ],
    );
}

fn dynamic_children() {
    let n = scaled(10_000) as usize;
    let mut unsupervised = Vec::new();
    let mut start_all = Vec::new();
    let mut stop_all = Vec::new();
    for _ in 0..harness::rounds().min(5) {
        let (u, a, b) = on_worker(async move {
            let t = Instant::now();
            let actors: Vec<_> = (0..n).map(|_| retinue::spawn(Flaky)).collect();
            for a in &actors {
                a.ask(Ping).await.unwrap();
            }
            for a in &actors {
                a.stop();
            }
            for a in &actors {
                a.wait_stopped().await;
            }
            let unsupervised = t.elapsed().as_secs_f64() * 1e3;

            let dynamic = DynamicSupervisor::spawn(Flags::default(), Template::default())
                .await
                .unwrap();
            let t = Instant::now();
            for _ in 0..n {
                dynamic.start_child(|| Flaky).await.unwrap();
            }
            let start_all = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            dynamic.shutdown().await;
            (unsupervised, start_all, t.elapsed().as_secs_f64() * 1e3)
        });
        unsupervised.push(u);
        start_all.push(a);
        stop_all.push(b);
    }
    report(
        &format!("{n}-child dynamic supervisor"),
        &[
            row(
                "unsupervised: spawn, ask, stop all",
                harness::median(&mut unsupervised),
                "ms",
            ),
            row(
                "dynamic supervisor: start all",
                harness::median(&mut start_all),
                "ms",
            ),
            row(
                "dynamic supervisor: shut down all",
                harness::median(&mut stop_all),
                "ms",
            ),
        ],
    );
}

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    let threads = std::env::var("ASYNC_STD_THREAD_COUNT").unwrap_or_else(|_| "default".into());
    println!("retinue supervisor bench (async-std worker threads: {threads})");
    restart_latency();
    dynamic_children();
}
