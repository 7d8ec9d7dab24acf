//! Pools: resizing under load loses nothing, shrinking waits for the work
//! already sent to the removed workers, and an acked feed reaches the
//! workers a resize adds.

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

/// A job that says which worker took it, then waits for the gate.
#[derive(Clone)]
struct Gated;
impl Message for Gated {
    type Reply = ();
}

struct GatedWorker {
    took: async_channel::Sender<retinue::ActorId>,
    gate: async_channel::Receiver<()>,
}
impl Actor for GatedWorker {}
impl Handler<Gated> for GatedWorker {
    async fn handle(&mut self, _: Gated, ctx: &mut Context<Self>) {
        let _ = self.took.send(ctx.id()).await;
        let _ = self.gate.recv().await;
    }
}

#[test]
fn an_acked_feed_also_feeds_the_workers_a_resize_adds() {
    run(async {
        let (took, takers) = async_channel::unbounded();
        let (open, gate) = async_channel::bounded::<()>(1);
        let queue = retinue::sync::Queue::acked(0, retinue::sync::AckOptions::default());
        let pool = Pool::builder(move || GatedWorker {
            took: took.clone(),
            gate: gate.clone(),
        })
        .size(1)
        .spawn()
        .await
        .unwrap();
        pool.feed_from(queue.clone(), 1);
        pool.resize(3).await.unwrap();
        for _ in 0..3 {
            queue.put(Gated).await.unwrap();
        }
        // One job in flight per worker (prefetch 1), and every job is held
        // at the gate: three jobs taken means three distinct workers fed.
        let mut who = std::collections::HashSet::new();
        for _ in 0..3 {
            who.insert(takers.recv().await.unwrap());
        }
        assert_eq!(who.len(), 3, "the two added workers are fed too");
        open.close();
        queue.join().await.unwrap();
        pool.shutdown().await;
    });
}
