//! The producer/consumer example (`producer_consumer.rs`) as a supervised
//! pool with at-least-once delivery: jobs go into an acknowledged queue,
//! a pool of workers is fed from it (one job in flight per worker), a job
//! is acked only after its worker finished it, and a worker that panics
//! mid-job is restarted while the job goes back to the front of the queue.
//! A job that fails on every delivery ends in a dead-letter queue, and
//! `join` still returns.
//!
//! Run: `cargo run --example pool_jobs`

use std::time::Duration;

use retinue::pool::{Pool, Routing};
use retinue::supervisor::Flags;
use retinue::sync::{AckOptions, Queue};
use retinue::{Actor, Context, Handler, Message, rt};

struct Worker;
impl Actor for Worker {}

#[derive(Clone, Debug)]
struct Job(String);
impl Message for Job {
    type Reply = ();
}
impl Handler<Job> for Worker {
    async fn handle(&mut self, job: Job, ctx: &mut Context<Self>) {
        rt::sleep(Duration::from_millis(5)).await; // work
        if job.0 == "beta-3" && fastrand::bool() {
            panic!("worker {} crashed on {}", ctx.id(), job.0); // sometimes
        }
        if job.0 == "poison" {
            panic!("{} always crashes its worker", job.0);
        }
        println!("worker {} processed {}", ctx.id(), job.0);
    }
}

fn main() {
    std::panic::set_hook(Box::new(|info| eprintln!("  (panic: {info})")));
    rt::block_on(async {
        let dead_letters: Queue<Job> = Queue::fifo(0);
        let jobs = Queue::acked(
            4, // backpressure: producers wait while 4 jobs are queued
            AckOptions {
                max_deliveries: 3,
                dead_letter: Some(dead_letters.clone()),
            },
        );
        let pool = Pool::builder(|| Worker)
            .size(3)
            .routing(Routing::Balancing)
            .flags(Flags::default().intensity(10, Duration::from_secs(1)))
            .spawn()
            .await
            .expect("pool");
        pool.feed_from(jobs.clone(), 1);

        let producers: Vec<_> = ["alpha", "beta"]
            .into_iter()
            .map(|name| {
                let jobs = jobs.clone();
                rt::spawn(async move {
                    for i in 0..5 {
                        jobs.put(Job(format!("{name}-{i}"))).await.expect("put");
                    }
                })
            })
            .collect();
        jobs.put(Job("poison".into())).await.expect("put");
        for p in producers {
            p.await.expect("producer");
        }

        jobs.join().await.expect("join"); // acked or dead-lettered: never hangs
        println!("all jobs done; dead letters:");
        while let Ok(job) = dead_letters.try_get().await {
            println!("  {job:?}");
        }
        println!("{}", pool.tree("jobs-pool").await.expect("tree"));
        pool.shutdown().await;
    });
}
