//! The tell and ask loops every retinue bench measures, in one place:
//! `benches/core.rs`, `benches/observe.rs` and bench/compare's
//! `retinue_impl.rs` include this file with `#[path]`.
//!
//! Invariants: every loop checks its own result (the counter saw every
//! message, every ask was answered), so a broken framework cannot produce
//! a fast number; the loops only use retinue's public API and
//! async-channel, and run on whatever task awaits them.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use retinue::{Actor, Capacity, Context, Handler, Message, rt};

/// An actor that counts [`Inc`]s and answers [`Get`] with the count.
pub struct Counter(pub u64);
impl Actor for Counter {}

/// Adds one.
pub struct Inc;
impl Message for Inc {
    type Reply = ();
}
impl Handler<Inc> for Counter {
    async fn handle(&mut self, _: Inc, _: &mut Context<Self>) {
        self.0 += 1;
    }
}

/// Asks for the count.
pub struct Get;
impl Message for Get {
    type Reply = u64;
}
impl Handler<Get> for Counter {
    async fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.0
    }
}

/// The floor: `n` sends on a raw async-channel `bounded(capacity)` to a
/// consumer task that adds them up.
pub async fn raw_tell(n: u64, capacity: usize) -> Duration {
    let (tx, rx) = async_channel::bounded::<u64>(capacity);
    let start = Instant::now();
    let consumer = rt::spawn(async move {
        let mut count = 0u64;
        while let Ok(v) = rx.recv().await {
            count += v;
        }
        count
    });
    for _ in 0..n {
        tx.send(1).await.unwrap();
    }
    drop(tx);
    assert_eq!(consumer.await.unwrap(), n);
    start.elapsed()
}

/// `n` tells to a fresh [`Counter`] with a `capacity` mailbox, until it has
/// handled them all.
pub async fn actor_tell(n: u64, capacity: Capacity) -> Duration {
    let counter = retinue::spawn_with(Counter(0), capacity);
    let start = Instant::now();
    for _ in 0..n {
        counter.tell(Inc).await.unwrap();
    }
    assert_eq!(counter.ask(Get).await.unwrap(), n);
    start.elapsed()
}

/// `n` tells spread round-robin over `actors` fresh counters, until they
/// have handled them all.
pub async fn round_robin_tell(n: u64, actors: usize) -> Duration {
    let actors: Vec<_> = (0..actors).map(|_| retinue::spawn(Counter(0))).collect();
    let start = Instant::now();
    for i in 0..n {
        actors[i as usize % actors.len()].tell(Inc).await.unwrap();
    }
    let mut total = 0;
    for a in &actors {
        total += a.ask(Get).await.unwrap();
    }
    assert_eq!(total, n);
    start.elapsed()
}

/// One sequential `ask` to `counter`, timed in ns.
pub async fn timed_ask(counter: &retinue::Addr<Counter>) -> f64 {
    let start = Instant::now();
    counter.ask(Get).await.unwrap();
    start.elapsed().as_nanos() as f64
}

/// `n` sequential asks to a fresh [`Counter`]: each one's round trip in ns.
pub async fn actor_asks(n: usize) -> Vec<f64> {
    let counter = retinue::spawn(Counter(0));
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        samples.push(timed_ask(&counter).await);
    }
    samples
}
