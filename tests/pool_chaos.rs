//! Pools fed from an acknowledged queue under chaos: 1 % of jobs panic on
//! their first delivery and workers are stopped from outside. Every job is
//! processed at least once, none is lost, duplicates only come from a
//! crash that hit an in-flight job, and `join` returns.
//!
//! `POOL_CHAOS_JOBS` sets the number of jobs (default 3000).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retinue::pool::{Pool, Routing};
use retinue::supervisor::Flags;
use retinue::sync::{AckOptions, Queue};
use retinue::{Actor, Context, Handler, Message, rt};

const LONG: Duration = Duration::from_secs(120);

#[derive(Default)]
struct Books {
    /// Completed handlings per job.
    done: HashMap<u64, u32>,
    /// Jobs whose handler started and never finished (a panic).
    crashed_in_flight: u32,
}

#[derive(Clone)]
struct Worker {
    books: Arc<Mutex<Books>>,
    attempts: Arc<Mutex<HashMap<u64, u32>>>,
}
impl Actor for Worker {}

#[derive(Clone)]
struct Job(u64);
impl Message for Job {
    type Reply = ();
}

impl Handler<Job> for Worker {
    async fn handle(&mut self, job: Job, _: &mut Context<Self>) {
        let attempt = {
            let mut a = self.attempts.lock().unwrap();
            let n = a.entry(job.0).or_insert(0);
            *n += 1;
            *n
        };
        rt::yield_now().await;
        if job.0 % 100 == 37 && attempt == 1 {
            self.books.lock().unwrap().crashed_in_flight += 1;
            panic!("job {} panics on its first delivery", job.0);
        }
        *self.books.lock().unwrap().done.entry(job.0).or_insert(0) += 1;
    }
}

#[test]
fn ack_fed_pool_under_chaos_loses_nothing_and_join_returns() {
    let jobs: u64 = std::env::var("POOL_CHAOS_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    std::panic::set_hook(Box::new(|_| {})); // the planned panics, silently
    rt::block_on(rt::timeout(LONG, async move {
        let dead = Queue::fifo(0);
        let queue = Queue::acked(
            256,
            AckOptions {
                max_deliveries: 5,
                dead_letter: Some(dead.clone()),
            },
        );
        let worker = Worker {
            books: Arc::default(),
            attempts: Arc::default(),
        };
        let w = worker.clone();
        let pool = Pool::builder(move || w.clone())
            .size(4)
            .routing(Routing::Balancing)
            .flags(Flags::default().intensity(1_000_000, Duration::from_secs(1)))
            .spawn()
            .await
            .unwrap();
        pool.feed_from(queue.clone(), 1);
        let kills = Arc::new(AtomicU32::new(0));
        let killer = {
            let (pool, kills) = (pool.clone(), kills.clone());
            rt::spawn(async move {
                loop {
                    rt::sleep(Duration::from_millis(3)).await;
                    let workers = pool.workers();
                    workers[fastrand::usize(..workers.len())].stop();
                    kills.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        for j in 0..jobs {
            queue.put(Job(j)).await.unwrap();
        }
        queue.join().await.unwrap(); // every job acked or dead-lettered
        killer.abort();
        let _ = killer.await;
        assert_eq!(dead.status().await.unwrap().len, 0, "nothing dead-lettered");
        let (lost, duplicates, crashes) = {
            let books = worker.books.lock().unwrap();
            let lost: Vec<_> = (0..jobs).filter(|j| !books.done.contains_key(j)).collect();
            let duplicates: u32 = books.done.values().map(|n| n - 1).sum();
            (lost, duplicates, books.crashed_in_flight)
        };
        assert!(lost.is_empty(), "lost jobs: {lost:?}");
        assert_eq!(crashes as u64, jobs / 100 + u64::from(jobs % 100 > 37));
        // A stop is served between two messages, so it hits no handler; a
        // panic loses the handling it hit, which is redelivered (not a
        // duplicate). A duplicate needs a crash between a finished handling
        // and its ack: bounded by the crashes and stops that happened.
        let stops = kills.load(Ordering::Relaxed);
        assert!(
            duplicates <= crashes + stops,
            "duplicates {duplicates} > crashes {crashes} + stops {stops}"
        );
        eprintln!("jobs {jobs}, panics {crashes}, stops {stops}, duplicates {duplicates}, lost 0");
        pool.shutdown().await;
    }))
    .expect("test hung");
}
