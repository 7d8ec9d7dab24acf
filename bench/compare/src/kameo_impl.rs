//! The six scenarios on kameo, as its README writes actors: `#[derive(Actor)]`,
//! `impl Message<M>`, `Spawn::spawn` (default bounded(64) mailbox),
//! `tell(..).await`, `ask(..).await`, and `supervise(..)` with
//! `RestartPolicy::Permanent` for the restart scenario. Runs on a default
//! multi-thread tokio runtime (`TOKIO_WORKER_THREADS` applies).
//!
//! Invariants: the same workloads and self-checks as `retinue_impl.rs`.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::message::{Context, Message};
use kameo::supervision::RestartPolicy;

use crate::common::{Outcome, SETTLE, Scenario, Sizes, mark_started, median, per_op};
use crate::common::{ask_latency, rss_bytes, started};

#[derive(Actor)]
struct Counter(u64);

#[derive(Debug)]
struct Inc;
impl Message<Inc> for Counter {
    type Reply = ();
    async fn handle(&mut self, _: Inc, _: &mut Context<Self, ()>) {
        self.0 += 1;
    }
}

#[derive(Debug)]
struct Get;
impl Message<Get> for Counter {
    type Reply = u64;
    async fn handle(&mut self, _: Get, _: &mut Context<Self, u64>) -> u64 {
        self.0
    }
}

#[derive(Actor)]
struct Node {
    next: Option<ActorRef<Node>>,
    done: async_channel::Sender<()>,
}

#[derive(Debug)]
struct SetNext(ActorRef<Node>);
impl Message<SetNext> for Node {
    type Reply = ();
    async fn handle(&mut self, msg: SetNext, _: &mut Context<Self, ()>) {
        self.next = Some(msg.0);
    }
}

#[derive(Debug)]
struct Token(u64);
impl Message<Token> for Node {
    type Reply = ();
    async fn handle(&mut self, Token(left): Token, _: &mut Context<Self, ()>) {
        match (&self.next, left) {
            (Some(next), 1..) => {
                let _ = next.tell(Token(left - 1)).await;
            }
            _ => {
                let _ = self.done.try_send(());
            }
        }
    }
}

struct Idle;
impl Actor for Idle {
    type Args = ();
    type Error = Infallible;
    async fn on_start(_: (), _: ActorRef<Self>) -> Result<Self, Infallible> {
        mark_started();
        Ok(Idle)
    }
}

struct Sup;
impl Actor for Sup {
    type Args = ();
    type Error = Infallible;
    async fn on_start(_: (), _: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(Sup)
    }
}

#[derive(Actor, Clone)]
struct Worker;

#[derive(Debug)]
struct Panic;
impl Message<Panic> for Worker {
    type Reply = ();
    async fn handle(&mut self, _: Panic, _: &mut Context<Self, ()>) {
        panic!("deliberate panic (scenario 6)");
    }
}

#[derive(Debug)]
struct Ping;
impl Message<Ping> for Worker {
    type Reply = u64;
    async fn handle(&mut self, _: Ping, _: &mut Context<Self, u64>) -> u64 {
        1
    }
}

/// Runs one scenario.
pub fn run(scenario: Scenario, z: &Sizes) -> Outcome {
    let z = *z;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // The measuring code runs as a task on the runtime, next to the actors.
    let task = runtime.spawn(async move {
        let z = &z;
        match scenario {
            Scenario::Tell => Outcome::one("tell", tell(z).await),
            Scenario::RoundRobin => Outcome::one("round-robin", round_robin(z).await),
            Scenario::Ask => {
                let (p50, p99, mean) = ask(z).await;
                Outcome::many(vec![("ask p50", p50), ("ask mean", mean), ("ask p99", p99)])
            }
            Scenario::Ring => Outcome::one("ring", ring(z).await),
            Scenario::Spawn => {
                let (time, mem) = spawn(z).await;
                Outcome::many(vec![("spawn", time), ("memory", mem)])
            }
            Scenario::Restart => Outcome::one("restart", restart(z).await),
            Scenario::Pool => crate::pool::measure(z, crate::pool::on_kameo::round).await,
        }
    });
    runtime.block_on(task).expect("measuring task failed")
}

async fn tell(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let counter = Counter::spawn(Counter(0));
        let start = Instant::now();
        for _ in 0..z.tell {
            counter.tell(Inc).await.unwrap();
        }
        assert_eq!(counter.ask(Get).await.unwrap(), z.tell);
        samples.push(per_op(start.elapsed(), z.tell));
        counter.kill();
    }
    median(&mut samples)
}

async fn round_robin(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let actors: Vec<_> = (0..z.rr_actors)
            .map(|_| Counter::spawn(Counter(0)))
            .collect();
        let start = Instant::now();
        for i in 0..z.rr_msgs {
            actors[i as usize % actors.len()].tell(Inc).await.unwrap();
        }
        let mut total = 0;
        for a in &actors {
            total += a.ask(Get).await.unwrap();
        }
        assert_eq!(total, z.rr_msgs);
        samples.push(per_op(start.elapsed(), z.rr_msgs));
        for a in &actors {
            a.kill();
        }
    }
    median(&mut samples)
}

async fn ask(z: &Sizes) -> (f64, f64, f64) {
    let counter = Counter::spawn(Counter(0));
    let counter = &counter;
    ask_latency(z.asks, || async move {
        counter.ask(Get).await.unwrap();
    })
    .await
}

async fn ring(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let (done_tx, done_rx) = async_channel::bounded(1);
        let nodes: Vec<_> = (0..z.ring_actors)
            .map(|_| {
                Node::spawn(Node {
                    next: None,
                    done: done_tx.clone(),
                })
            })
            .collect();
        for (i, node) in nodes.iter().enumerate() {
            let next = nodes[(i + 1) % nodes.len()].clone();
            node.ask(SetNext(next)).await.unwrap();
        }
        let hops = z.ring_laps * z.ring_actors as u64;
        let start = Instant::now();
        nodes[0].tell(Token(hops)).await.unwrap();
        done_rx.recv().await.unwrap();
        samples.push(per_op(start.elapsed(), hops));
        for node in &nodes {
            node.kill();
        }
    }
    median(&mut samples)
}

async fn spawn(z: &Sizes) -> (f64, f64) {
    let before = rss_bytes();
    let start = Instant::now();
    let actors: Vec<_> = (0..z.spawn).map(|_| Idle::spawn(())).collect();
    while started() < z.spawn {
        tokio::time::sleep(Duration::from_micros(100)).await;
    }
    let time = per_op(start.elapsed(), z.spawn as u64);
    tokio::time::sleep(SETTLE).await;
    let mem = (rss_bytes() - before) / z.spawn as f64;
    drop(actors);
    (time, mem)
}

async fn restart(z: &Sizes) -> f64 {
    let sup = Sup::spawn(());
    let worker = Worker::supervise(&sup, Worker)
        .restart_policy(RestartPolicy::Permanent)
        .restart_limit(1_000_000, Duration::from_secs(1))
        .spawn()
        .await;
    assert_eq!(worker.ask(Ping).await.unwrap(), 1);
    let mut samples = Vec::new();
    for _ in 0..z.restarts {
        let deadline = Instant::now() + Duration::from_secs(10);
        let start = Instant::now();
        worker.tell(Panic).await.unwrap();
        while worker.ask(Ping).await.is_err() {
            assert!(Instant::now() < deadline, "kameo: no answer after restart");
            tokio::task::yield_now().await;
        }
        samples.push(start.elapsed().as_nanos() as f64 / 1000.0);
    }
    sup.kill();
    median(&mut samples)
}
