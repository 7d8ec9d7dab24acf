//! The five scenarios actix can run, as its docs write actors: `Actor` with
//! `Context<Self>`, `#[derive(Message)]`, `Actor::start`, `do_send` for tell
//! and `send(..).await` for ask, all on one `actix::System` (actix-rt: a
//! single-threaded runtime per arbiter, which is how actix runs actors).
//!
//! No restart scenario: a panic in an actix handler is not caught; it
//! unwinds through the arbiter's thread, and `actix::Supervisor` restarts
//! only actors that stop themselves.
//!
//! Invariants: the same workloads and self-checks as `retinue_impl.rs`.

use std::time::{Duration, Instant};

use actix::{Actor, ActorContext, Addr, Context, Handler, Message, System};

use crate::common::{Outcome, SETTLE, Scenario, Sizes, mark_started, median, per_op};
use crate::common::{ask_latency, rss_bytes, started};

struct Counter(u64);
impl Actor for Counter {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Inc;
impl Handler<Inc> for Counter {
    type Result = ();
    fn handle(&mut self, _: Inc, _: &mut Context<Self>) {
        self.0 += 1;
    }
}

#[derive(Message)]
#[rtype(result = "u64")]
struct Get;
impl Handler<Get> for Counter {
    type Result = u64;
    fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.0
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Stop;
impl Handler<Stop> for Counter {
    type Result = ();
    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

struct Node {
    next: Option<Addr<Node>>,
    done: async_channel::Sender<()>,
}
impl Actor for Node {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct SetNext(Addr<Node>);
impl Handler<SetNext> for Node {
    type Result = ();
    fn handle(&mut self, msg: SetNext, _: &mut Context<Self>) {
        self.next = Some(msg.0);
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Token(u64);
impl Handler<Token> for Node {
    type Result = ();
    fn handle(&mut self, Token(left): Token, _: &mut Context<Self>) {
        match (&self.next, left) {
            (Some(next), 1..) => next.do_send(Token(left - 1)),
            _ => {
                let _ = self.done.try_send(());
            }
        }
    }
}

struct Idle;
impl Actor for Idle {
    type Context = Context<Self>;
    fn started(&mut self, _: &mut Context<Self>) {
        mark_started();
    }
}

/// Runs one scenario.
pub fn run(scenario: Scenario, z: &Sizes) -> Outcome {
    if scenario == Scenario::Restart {
        return Outcome::unsupported("handler panics are not caught (no restart on panic)");
    }
    if scenario == Scenario::Pool {
        // SyncArbiter pools run sync actors on OS threads, not async workers.
        return Outcome::unsupported("no async worker pool");
    }
    let system = System::new();
    let outcome = system.block_on(async move {
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
            Scenario::Restart => unreachable!(),
            Scenario::Pool => unreachable!(),
        }
    });
    System::current().stop();
    outcome
}

async fn tell(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let counter = Counter(0).start();
        let start = Instant::now();
        for _ in 0..z.tell {
            counter.do_send(Inc);
        }
        assert_eq!(counter.send(Get).await.unwrap(), z.tell);
        samples.push(per_op(start.elapsed(), z.tell));
        counter.do_send(Stop);
    }
    median(&mut samples)
}

async fn round_robin(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let actors: Vec<_> = (0..z.rr_actors).map(|_| Counter(0).start()).collect();
        let start = Instant::now();
        for i in 0..z.rr_msgs {
            actors[i as usize % actors.len()].do_send(Inc);
        }
        let mut total = 0;
        for a in &actors {
            total += a.send(Get).await.unwrap();
        }
        assert_eq!(total, z.rr_msgs);
        samples.push(per_op(start.elapsed(), z.rr_msgs));
        for a in &actors {
            a.do_send(Stop);
        }
    }
    median(&mut samples)
}

async fn ask(z: &Sizes) -> (f64, f64, f64) {
    let counter = Counter(0).start();
    let counter = &counter;
    ask_latency(z.asks, || async move {
        counter.send(Get).await.unwrap();
    })
    .await
}

async fn ring(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let (done_tx, done_rx) = async_channel::bounded(1);
        let nodes: Vec<_> = (0..z.ring_actors)
            .map(|_| {
                Node {
                    next: None,
                    done: done_tx.clone(),
                }
                .start()
            })
            .collect();
        for (i, node) in nodes.iter().enumerate() {
            node.do_send(SetNext(nodes[(i + 1) % nodes.len()].clone()));
        }
        let hops = z.ring_laps * z.ring_actors as u64;
        let start = Instant::now();
        nodes[0].do_send(Token(hops));
        done_rx.recv().await.unwrap();
        samples.push(per_op(start.elapsed(), hops));
    }
    median(&mut samples)
}

async fn spawn(z: &Sizes) -> (f64, f64) {
    let before = rss_bytes();
    let start = Instant::now();
    let actors: Vec<_> = (0..z.spawn).map(|_| Idle.start()).collect();
    while started() < z.spawn {
        actix::clock::sleep(Duration::from_micros(100)).await;
    }
    let time = per_op(start.elapsed(), z.spawn as u64);
    actix::clock::sleep(SETTLE).await;
    let mem = (rss_bytes() - before) / z.spawn as f64;
    drop(actors);
    (time, mem)
}
