//! Pools: resizing under load loses nothing, and shrinking waits for the
//! work already sent to the removed workers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retinue::pool::{Pool, Routing};
use retinue::{Actor, Context, Handler, Message, rt};

const LONG: Duration = Duration::from_secs(60);

fn run<F: std::future::Future>(f: F) -> F::Output {
    rt::block_on(rt::timeout(LONG, f)).expect("test hung")
}

type Seen = Arc<Mutex<HashMap<u64, u32>>>;

struct Worker(Seen);
impl Actor for Worker {}

struct Job(u64);
impl Message for Job {
    type Reply = ();
}
impl Handler<Job> for Worker {
    async fn handle(&mut self, job: Job, _: &mut Context<Self>) {
        rt::yield_now().await; // a little work, so messages queue up
        *self.0.lock().unwrap().entry(job.0).or_insert(0) += 1;
    }
}

async fn resize_under_load(routing: Routing) {
    const JOBS: u64 = 5_000;
    let seen = Seen::default();
    let s = seen.clone();
    let pool = Pool::builder(move || Worker(s.clone()))
        .size(2)
        .routing(routing)
        .key(|j: &Job| j.0 % 97)
        .spawn()
        .await
        .unwrap();
    let producer = {
        let pool = pool.clone();
        rt::spawn(async move {
            for j in 0..JOBS {
                pool.tell(Job(j)).await.unwrap();
            }
        })
    };
    for size in [6, 1, 4, 2, 5, 1] {
        pool.resize(size).await.unwrap();
        assert_eq!(pool.size(), size);
        rt::yield_now().await;
    }
    producer.await.unwrap();
    pool.resize(1).await.unwrap(); // drains every removed worker
    let survivor = pool.workers()[0].clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().len() < JOBS as usize {
        assert!(std::time::Instant::now() < deadline, "jobs lost");
        rt::sleep(Duration::from_millis(2)).await;
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), JOBS as usize, "every job handled");
    assert!(seen.values().all(|&n| n == 1), "and only once");
    assert!(survivor.is_alive());
    pool.shutdown().await;
}

#[test]
fn resize_under_load_loses_nothing_round_robin() {
    run(resize_under_load(Routing::RoundRobin));
}

#[test]
fn resize_under_load_loses_nothing_consistent_hash() {
    run(resize_under_load(Routing::ConsistentHash));
}

#[test]
fn resize_under_load_loses_nothing_balancing() {
    run(resize_under_load(Routing::Balancing));
}

#[test]
fn shrink_returns_after_the_removed_workers_finished_their_queue() {
    run(async {
        let seen = Seen::default();
        let s = seen.clone();
        let pool = Pool::builder(move || Worker(s.clone()))
            .size(3)
            .spawn()
            .await
            .unwrap();
        let doomed = pool.workers()[2].clone();
        for j in 0..100 {
            doomed.tell(Job(j)).await.unwrap(); // queued on the worker to remove
        }
        pool.resize(2).await.unwrap();
        assert_eq!(
            seen.lock().unwrap().len(),
            100,
            "its queue was handled first"
        );
        assert!(!doomed.is_alive(), "then it stopped");
        pool.shutdown().await;
    });
}
