//! retinue's metrics on a Prometheus scrape endpoint.
//!
//! `cargo run --example metrics_prometheus --features metrics -- --port 9898 --serve-for 60`
//! then `curl http://127.0.0.1:9898/metrics`. By default it picks a free
//! port, runs a small supervised pool for a moment, prints its own scrape
//! of the retinue figures and stops after 3 s.
//!
//! The recorder is metrics-exporter-prometheus's (without its HTTP
//! features); `support/scrape_endpoint.rs` serves `render()` with plain std.

#[path = "support/scrape_endpoint.rs"]
mod scrape_endpoint;

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;
use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
use retinue::{Actor, Context, Handler, Message};

struct Worker;
impl Actor for Worker {}

struct Job(u64);
impl Message for Job {
    type Reply = u64;
}
impl Handler<Job> for Worker {
    async fn handle(&mut self, Job(n): Job, _: &mut Context<Self>) -> u64 {
        if n % 97 == 96 {
            panic!("job {n} failed"); // restarted by the pool's supervisor
        }
        retinue::rt::sleep(Duration::from_micros(50 * (n % 4))).await;
        n * n
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
        .unwrap_or(default)
}

fn main() {
    let port = arg("--port", 0) as u16;
    let serve_for = Duration::from_secs(arg("--serve-for", 3));
    let recorder = PrometheusBuilder::new()
        .install_recorder()
        .expect("no other metrics recorder is installed");
    let render = recorder.clone();
    let endpoint =
        scrape_endpoint::Endpoint::start(port, move || render.render()).expect("the port is free");
    println!("scrape http://{}/metrics", endpoint.addr());

    retinue::rt::block_on(async {
        let specs: Vec<ChildSpec> = (0..3)
            .map(|i| ChildSpec::worker(format!("w{i}"), || Worker))
            .collect();
        let workers: Vec<_> = specs.iter().map(|s| s.addr::<Worker>().unwrap()).collect();
        // The pool's supervisor; its workers' `path` labels are w0, w1, w2.
        let pool = specs
            .into_iter()
            .fold(Supervisor::new(Strategy::OneForOne), Supervisor::child)
            .spawn()
            .await
            .expect("the pool starts");
        for n in 0..300u64 {
            let worker = &workers[(n % 3) as usize];
            let _ = worker.ask_timeout(Job(n), Duration::from_secs(1)).await;
        }
        let text = recorder.render();
        for line in text
            .lines()
            .filter(|l| l.starts_with("retinue_") && !l.contains("quantile"))
        {
            println!("{line}");
        }
        retinue::rt::sleep(serve_for).await;
        pool.shutdown().await;
    });
    drop(endpoint);
}
