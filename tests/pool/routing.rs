//! Pools: each routing strategy's distribution and stickiness, balancing,
//! broadcast, overflow, supervision behind the pool, and the tree.

use std::collections::HashMap;
use std::time::Duration;

use async_channel::{Receiver, Sender};
use retinue::pool::{Overflow, Pool, PoolBuilder, PoolError, Routing};
use retinue::supervisor::Flags;
use retinue::{Actor, ActorId, Context, Handler, Message, rt};

const LONG: Duration = Duration::from_secs(20);

fn run<F: std::future::Future>(f: F) -> F::Output {
    rt::block_on(rt::timeout(LONG, f)).expect("test hung")
}

/// A worker that answers with its (stable) address id.
struct Worker {
    gate: Option<Receiver<()>>,
}
impl Actor for Worker {}

/// A job: answers which worker handled it.
#[derive(Clone)]
struct Job(u64);
impl Message for Job {
    type Reply = ActorId;
}
impl Handler<Job> for Worker {
    async fn handle(&mut self, _: Job, ctx: &mut Context<Self>) -> ActorId {
        ctx.id()
    }
}

/// A job that waits for the gate to open (or close) first.
struct Slow(Sender<ActorId>);
impl Message for Slow {
    type Reply = ();
}
impl Handler<Slow> for Worker {
    async fn handle(&mut self, msg: Slow, ctx: &mut Context<Self>) {
        let _ = msg.0.send(ctx.id()).await;
        if let Some(gate) = &self.gate {
            let _ = gate.recv().await;
        }
    }
}

/// Reports the handler's worker through a channel (for tells).
#[derive(Clone)]
struct Note(u64, Sender<(u64, ActorId)>);
impl Message for Note {
    type Reply = ();
}
impl Handler<Note> for Worker {
    async fn handle(&mut self, msg: Note, ctx: &mut Context<Self>) {
        let _ = msg.1.send((msg.0, ctx.id())).await;
    }
}

struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Worker {
    async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("worker crashed on purpose");
    }
}

/// A builder of workers whose `Slow` jobs wait until `open` is closed.
fn gated() -> (Sender<()>, PoolBuilder<Worker>) {
    let (open, gate) = async_channel::bounded::<()>(1);
    let builder = Pool::builder(move || Worker {
        gate: Some(gate.clone()),
    });
    (open, builder)
}

async fn pool(routing: Routing, size: usize) -> Pool<Worker> {
    Pool::builder(|| Worker { gate: None })
        .size(size)
        .routing(routing)
        .key(|j: &Job| j.0)
        .key(|n: &Note| n.0)
        .copy::<Note>()
        .flags(Flags::default().intensity(100, Duration::from_secs(5)))
        .spawn()
        .await
        .unwrap()
}

async fn counts(pool: &Pool<Worker>, jobs: u64) -> HashMap<ActorId, u64> {
    let mut counts = HashMap::new();
    for j in 0..jobs {
        *counts.entry(pool.ask(Job(j)).await.unwrap()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn round_robin_spreads_evenly() {
    run(async {
        let pool = pool(Routing::RoundRobin, 4).await;
        let counts = counts(&pool, 400).await;
        assert_eq!(counts.len(), 4);
        assert!(counts.values().all(|&c| c == 100), "{counts:?}");
        pool.shutdown().await;
    });
}

#[test]
fn random_reaches_every_worker_about_evenly() {
    run(async {
        let pool = pool(Routing::Random, 4).await;
        let counts = counts(&pool, 4000).await;
        assert_eq!(counts.len(), 4);
        // Expected 1000 each, standard deviation ~27: ±300 is > 10 sigma.
        assert!(
            counts.values().all(|&c| (700..=1300).contains(&c)),
            "{counts:?}"
        );
        pool.shutdown().await;
    });
}

#[test]
fn smallest_mailbox_avoids_the_busy_worker() {
    run(async {
        let (open, builder) = gated();
        let pool = builder
            .size(3)
            .routing(Routing::SmallestMailbox)
            .spawn()
            .await
            .unwrap();
        let busy = pool.workers()[0].clone();
        let (started, seen) = async_channel::unbounded();
        busy.tell(Slow(started.clone())).await.unwrap(); // blocks on the gate
        assert_eq!(seen.recv().await.unwrap(), busy.id());
        for _ in 0..60 {
            busy.tell(Slow(started.clone())).await.unwrap(); // queued behind it
        }
        let (tx, rx) = async_channel::unbounded();
        // 50 notes over two idle workers never queue 60 on either.
        for j in 0..50 {
            pool.tell(Note(j, tx.clone())).await.unwrap();
        }
        for _ in 0..50 {
            let (_, by) = rx.recv().await.unwrap();
            assert_ne!(by, busy.id(), "a job went to the worker with 60 queued");
        }
        open.close();
        pool.shutdown().await;
    });
}

#[test]
fn consistent_hash_is_sticky_over_ten_thousand_messages_and_a_restart() {
    run(async {
        let pool = pool(Routing::ConsistentHash, 4).await;
        let mut owner: HashMap<u64, ActorId> = HashMap::new();
        for j in 0..10_000u64 {
            let key = j % 500;
            let by = pool.ask(Job(key)).await.unwrap();
            assert_eq!(*owner.entry(key).or_insert(by), by, "key {key} moved");
        }
        let used: std::collections::HashSet<_> = owner.values().collect();
        assert_eq!(used.len(), 4, "keys spread over every worker");
        // One worker crashes and restarts behind the pool: no key moves.
        let victim = pool.workers()[1].clone();
        let _ = victim.ask(Crash).await;
        for key in 0..500 {
            assert_eq!(
                pool.ask(Job(key)).await.unwrap(),
                owner[&key],
                "after restart"
            );
        }
        // Growing moves only keys to the new worker; shrinking back restores all.
        pool.resize(5).await.unwrap();
        let newcomer = pool.workers()[4].id();
        let mut moved = 0;
        for key in 0..500 {
            let by = pool.ask(Job(key)).await.unwrap();
            if by != owner[&key] {
                assert_eq!(by, newcomer, "key {key} moved between old workers");
                moved += 1;
            }
        }
        assert!(moved > 0 && moved < 250, "about a fifth moved, got {moved}");
        pool.resize(4).await.unwrap();
        for key in 0..500 {
            assert_eq!(
                pool.ask(Job(key)).await.unwrap(),
                owner[&key],
                "after shrink"
            );
        }
        pool.shutdown().await;
    });
}

#[test]
fn consistent_hash_without_a_key_is_a_clear_error() {
    run(async {
        let pool = Pool::builder(|| Worker { gate: None })
            .routing(Routing::ConsistentHash)
            .spawn()
            .await
            .unwrap();
        assert!(matches!(
            pool.tell(Job(1)).await,
            Err(PoolError::NoKey(Job(1)))
        ));
        pool.shutdown().await;
    });
}

#[test]
fn broadcast_reaches_every_worker() {
    run(async {
        let pool = pool(Routing::Broadcast, 3).await;
        let (tx, rx) = async_channel::unbounded();
        pool.tell(Note(7, tx.clone())).await.unwrap();
        let mut by = vec![];
        for _ in 0..3 {
            by.push(rx.recv().await.unwrap().1);
        }
        by.sort();
        by.dedup();
        assert_eq!(by.len(), 3);
        assert!(matches!(
            pool.ask(Job(1)).await,
            Err(PoolError::AskBroadcast(_))
        ));
        // Any routing can broadcast explicitly.
        let rr = pool_rr().await;
        rr.broadcast(Note(1, tx.clone())).await.unwrap();
        for _ in 0..2 {
            rx.recv().await.unwrap();
        }
        rr.shutdown().await;
        pool.shutdown().await;
    });
}

async fn pool_rr() -> Pool<Worker> {
    pool(Routing::RoundRobin, 2).await
}

#[test]
fn balancing_never_lets_a_free_worker_idle_while_jobs_wait() {
    run(async {
        let (open, builder) = gated();
        let pool = builder
            .size(2)
            .routing(Routing::Balancing)
            .spawn()
            .await
            .unwrap();
        let (started, seen) = async_channel::unbounded();
        pool.tell(Slow(started)).await.unwrap();
        let slow_worker = seen.recv().await.unwrap();
        // The slow job blocks one worker; every other job must go to the
        // free one while it does (round-robin would park half behind it).
        let (tx, rx) = async_channel::unbounded();
        for j in 0..20 {
            pool.tell(Note(j, tx.clone())).await.unwrap();
        }
        for _ in 0..20 {
            let (_, by) = rx.recv().await.unwrap();
            assert_ne!(by, slow_worker);
        }
        assert!(!open.is_closed(), "all done while the slow job still ran");
        open.close();
        // Asks work through the shared mailbox too.
        let by = pool.ask(Job(1)).await.unwrap();
        assert!(pool.workers().iter().any(|w| w.id() == by));
        pool.shutdown().await;
    });
}

#[test]
fn overflow_drop_newest_refuses_and_counts() {
    run(async {
        let (open, builder) = gated();
        let pool = builder
            .size(1)
            .routing(Routing::Balancing)
            .shared_capacity(2)
            .overflow(Overflow::DropNewest)
            .spawn()
            .await
            .unwrap();
        let (started, seen) = async_channel::unbounded();
        pool.tell(Slow(started.clone())).await.unwrap();
        seen.recv().await.unwrap(); // the worker is busy
        pool.tell(Slow(started.clone())).await.unwrap();
        pool.tell(Slow(started.clone())).await.unwrap(); // shared mailbox full
        assert!(matches!(
            pool.tell(Slow(started.clone())).await,
            Err(PoolError::Full(_))
        ));
        assert_eq!(pool.stats().discarded, 1);
        open.close();
        pool.shutdown().await;
    });
}

#[test]
fn a_crashed_worker_restarts_behind_the_pool_and_its_queue_survives() {
    run(async {
        let pool = pool(Routing::RoundRobin, 2).await;
        let victim = pool.workers()[0].clone();
        let (tx, rx) = async_channel::unbounded();
        // Crash, then two notes queued behind it on the same worker.
        victim.tell(Crash).await.unwrap();
        victim.tell(Note(1, tx.clone())).await.unwrap();
        victim.tell(Note(2, tx.clone())).await.unwrap();
        let mut got = vec![rx.recv().await.unwrap(), rx.recv().await.unwrap()];
        got.sort_by_key(|g| g.0);
        assert_eq!(
            got,
            [(1, victim.id()), (2, victim.id())],
            "handled by the restarted instance"
        );
        let tree = pool.tree("pool").await.unwrap();
        assert_eq!(tree.children.len(), 2, "workers in the tree:\n{tree}");
        assert_eq!(tree.children[0].restarts, 1);
        pool.shutdown().await;
    });
}

/// Every pool future can move between threads (a compile-time check).
#[test]
fn pool_futures_are_send() {
    fn send<T: Send>(_: T) {}
    run(async {
        let pool = pool(Routing::RoundRobin, 1).await;
        send(pool.tell(Job(1)));
        send(pool.ask(Job(1)));
        send(pool.resize(2));
        send(pool.shutdown());
        pool.shutdown().await;
    });
}
