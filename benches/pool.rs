//! Pool throughput against a hand-written floor in the same run.
//!
//! Each job does a fixed small amount of work (`WORK` rounds of an LCG,
//! a few hundred ns). For 1, 2, 4 and 8 workers: the floor is N plain tasks
//! pulling from one bounded async-channel fed by one producer task; the
//! boxed floor sends each job in its own `Box` (allocated by the producer,
//! freed by a consumer: what a heap message costs on its own); the pool
//! rows push the same jobs through `Pool::tell` with round-robin routing
//! (each worker's own mailbox) and with balancing (one shared mailbox that
//! every worker serves, taking a job only when free).
//!
//! Run: `cargo bench --bench pool` (and with ASYNC_STD_THREAD_COUNT=1);
//! `BENCH_QUICK=1` for a smoke run; `POOL_WORKERS=1,4` for some sizes only.

#[path = "harness/mod.rs"]
mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use harness::{on_worker, per_op, report, row, scaled};
use retinue::pool::{Pool, Routing};
use retinue::{Actor, Context, Handler, Message};

const WORK: u64 = 200;
const CAP: usize = 1024;

fn work(seed: u64) -> u64 {
    let mut h = seed;
    for _ in 0..WORK {
        h = h
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
    }
    std::hint::black_box(h)
}

/// N plain tasks pulling jobs from one bounded async-channel; `job` makes
/// each job from its number and `seed` reads it back for the work.
fn channel_floor<T: Send + 'static>(
    n: u64,
    workers: usize,
    job: fn(u64) -> T,
    seed: fn(&T) -> u64,
) -> Duration {
    on_worker(async move {
        let (tx, rx) = async_channel::bounded::<T>(CAP);
        let start = Instant::now();
        let consumers: Vec<_> = (0..workers)
            .map(|_| {
                let rx = rx.clone();
                retinue::rt::spawn(async move {
                    while let Ok(job) = rx.recv().await {
                        work(seed(&job));
                    }
                })
            })
            .collect();
        for i in 0..n {
            tx.send(job(i)).await.unwrap();
        }
        drop(tx);
        for c in consumers {
            c.await.unwrap();
        }
        start.elapsed()
    })
}

fn floor_round(n: u64, workers: usize) -> Duration {
    channel_floor(n, workers, |i| i, |job| *job)
}

/// The floor again, with one small heap allocation per job made by the
/// producer and freed by a consumer on another thread: what a message
/// that lives on the heap costs on its own.
fn boxed_floor_round(n: u64, workers: usize) -> Duration {
    channel_floor(n, workers, |i| Box::new([i; 4]), |job| job[0])
}

/// Counts finished jobs; signals when all `n` are done.
struct Done {
    count: AtomicU64,
    n: u64,
    tx: async_channel::Sender<()>,
}

struct Worker(Arc<Done>);
impl Actor for Worker {}

struct Job(u64);
impl Message for Job {
    type Reply = ();
}
impl Handler<Job> for Worker {
    async fn handle(&mut self, job: Job, _: &mut Context<Self>) {
        work(job.0);
        if self.0.count.fetch_add(1, Ordering::Relaxed) + 1 == self.0.n {
            let _ = self.0.tx.try_send(());
        }
    }
}

fn pool_round(n: u64, workers: usize, routing: Routing) -> Duration {
    on_worker(async move {
        let (tx, rx) = async_channel::bounded(1);
        let done = Arc::new(Done {
            count: AtomicU64::new(0),
            n,
            tx,
        });
        let d = done.clone();
        let pool = Pool::builder(move || Worker(d.clone()))
            .size(workers)
            .routing(routing)
            .shared_capacity(CAP)
            .spawn()
            .await
            .unwrap();
        let start = Instant::now();
        for i in 0..n {
            pool.tell(Job(i)).await.unwrap();
        }
        rx.recv().await.unwrap();
        let elapsed = start.elapsed();
        pool.shutdown().await;
        elapsed
    })
}

fn main() {
    let threads = std::env::var("ASYNC_STD_THREAD_COUNT").unwrap_or_else(|_| "default".into());
    let n = scaled(200_000);
    let sizes: Vec<usize> = std::env::var("POOL_WORKERS").map_or(vec![1, 2, 4, 8], |s| {
        s.split(',').filter_map(|n| n.trim().parse().ok()).collect()
    });
    for workers in sizes {
        report(
            &format!("{n} jobs of {WORK} LCG rounds, {workers} workers (threads: {threads})"),
            &[
                row(
                    format!("floor: {workers} tasks on one async-channel"),
                    per_op(n, || floor_round(n, workers)),
                    "ns/job",
                ),
                row(
                    "floor, one Box per job",
                    per_op(n, || boxed_floor_round(n, workers)),
                    "ns/job",
                ),
                row(
                    "retinue Pool round-robin tell",
                    per_op(n, || pool_round(n, workers, Routing::RoundRobin)),
                    "ns/job",
                ),
                row(
                    "retinue Pool balancing tell",
                    per_op(n, || pool_round(n, workers, Routing::Balancing)),
                    "ns/job",
                ),
            ],
        );
    }
}
