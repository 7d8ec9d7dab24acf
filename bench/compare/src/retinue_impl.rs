//! The six scenarios on retinue, written as a retinue user would: default
//! mailboxes, `tell(..).await`, `ask`, and a `OneForOne` supervisor for the
//! restart scenario. Runs on retinue's own runtime (`retinue::rt`).
//!
//! Invariants: every scenario checks its own result (counts add up, the
//! token arrives, the restarted actor answers), so a broken framework cannot
//! produce a fast number.

use std::time::{Duration, Instant};

use retinue::supervisor::{ChildSpec, Flags, Strategy, Supervisor};
use retinue::{Actor, Addr, BoxError, Context, Handler, Message, rt};

use crate::common::{Outcome, SETTLE, Scenario, Sizes, mark_started, median, per_op};
use crate::common::{ask_latency, rss_bytes, started};

/// The tell and ask loops retinue's own benches measure too.
#[path = "../../../benches/harness/counter.rs"]
mod counter;
use counter::{Counter, Get, actor_tell, round_robin_tell};

struct Node {
    next: Option<Addr<Node>>,
    done: async_channel::Sender<()>,
}
impl Actor for Node {}

struct SetNext(Addr<Node>);
impl Message for SetNext {
    type Reply = ();
}
impl Handler<SetNext> for Node {
    async fn handle(&mut self, msg: SetNext, _: &mut Context<Self>) {
        self.next = Some(msg.0);
    }
}

struct Token(u64);
impl Message for Token {
    type Reply = ();
}
impl Handler<Token> for Node {
    async fn handle(&mut self, Token(left): Token, _: &mut Context<Self>) {
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
    async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
        mark_started();
        Ok(())
    }
}

struct Worker;
impl Actor for Worker {}

struct Panic;
impl Message for Panic {
    type Reply = ();
}
impl Handler<Panic> for Worker {
    async fn handle(&mut self, _: Panic, _: &mut Context<Self>) {
        panic!("deliberate panic (scenario 6)");
    }
}

struct Ping;
impl Message for Ping {
    type Reply = u64;
}
impl Handler<Ping> for Worker {
    async fn handle(&mut self, _: Ping, _: &mut Context<Self>) -> u64 {
        1
    }
}

/// Runs one scenario.
pub fn run(scenario: Scenario, z: &Sizes) -> Outcome {
    let z = *z;
    // The measuring code runs as a task on the runtime, next to the actors.
    rt::block_on(rt::spawn(async move {
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
            Scenario::Pool => crate::pool::measure(z, crate::pool::on_retinue::round).await,
        }
    }))
    .expect("measuring task failed")
}

async fn tell(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let elapsed = actor_tell(z.tell, retinue::Capacity::DEFAULT).await;
        samples.push(per_op(elapsed, z.tell));
    }
    median(&mut samples)
}

async fn round_robin(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let elapsed = round_robin_tell(z.rr_msgs, z.rr_actors).await;
        samples.push(per_op(elapsed, z.rr_msgs));
    }
    median(&mut samples)
}

async fn ask(z: &Sizes) -> (f64, f64, f64) {
    let counter = retinue::spawn(Counter(0));
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
                retinue::spawn(Node {
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
            node.stop();
        }
    }
    median(&mut samples)
}

async fn spawn(z: &Sizes) -> (f64, f64) {
    let before = rss_bytes();
    let start = Instant::now();
    let actors: Vec<_> = (0..z.spawn).map(|_| retinue::spawn(Idle)).collect();
    while started() < z.spawn {
        rt::sleep(Duration::from_micros(100)).await;
    }
    let time = per_op(start.elapsed(), z.spawn as u64);
    rt::sleep(SETTLE).await;
    let mem = (rss_bytes() - before) / z.spawn as f64;
    drop(actors);
    (time, mem)
}

async fn restart(z: &Sizes) -> f64 {
    let spec = ChildSpec::worker("worker", || Worker);
    let worker = spec.addr::<Worker>().unwrap();
    let flags = Flags::new(Strategy::OneForOne).intensity(1_000_000, Duration::from_secs(1));
    let _sup = Supervisor::with_flags(flags)
        .child(spec)
        .spawn()
        .await
        .unwrap();
    assert_eq!(worker.ask(Ping).await.unwrap(), 1);
    let mut samples = Vec::new();
    for _ in 0..z.restarts {
        let start = Instant::now();
        worker.tell(Panic).await.unwrap();
        while worker
            .ask_timeout(Ping, Duration::from_secs(10))
            .await
            .is_err()
        {}
        samples.push(start.elapsed().as_nanos() as f64 / 1000.0);
    }
    median(&mut samples)
}

/// Sizes behind the spawn cost (`compare --sizes`): the state machine an
/// idle actor's task holds, against a bare channel-receiving task.
pub fn future_sizes() -> Vec<(&'static str, usize)> {
    let mut inbox = retinue::Inbox::<Idle>::new();
    let run = std::mem::size_of_val(&inbox.run(Idle));
    let (_tx, rx) = async_channel::unbounded::<u64>();
    let bare = std::mem::size_of_val(&async move { while rx.recv().await.is_ok() {} });
    vec![
        ("retinue Inbox::run future (idle actor)", run),
        ("bare task: loop over async-channel recv", bare),
    ]
}
