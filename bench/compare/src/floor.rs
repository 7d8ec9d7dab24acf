//! Raw floors: the same scenarios with bare tasks and async-channel on the
//! runtime retinue uses, so each framework's overhead over "just a channel
//! and a task" is visible. No supervision, so no restart scenario.
//!
//! Invariants: same workloads and checks as the framework modules; the ask
//! floor is an allocation-free ping-pong over two bounded(1) channels.

use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender, bounded, unbounded};
use retinue::rt;

use crate::common::{Outcome, SETTLE, Scenario, Sizes, mark_started, median, per_op, percentile};
use crate::common::{rss_bytes, started};

/// Mailbox size of the floors: retinue's default capacity.
const CAP: usize = 256;

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
            Scenario::Restart => Outcome::unsupported("a bare task has no supervisor"),
            Scenario::Pool => crate::pool::measure(z, crate::pool::floor::round).await,
        }
    }))
    .expect("measuring task failed")
}

fn counter(rx: Receiver<u64>) -> rt::JoinHandle<u64> {
    rt::spawn(async move {
        let mut count = 0;
        while let Ok(v) = rx.recv().await {
            count += v;
        }
        count
    })
}

async fn tell(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let (tx, rx) = bounded(CAP);
        let consumer = counter(rx);
        let start = Instant::now();
        for _ in 0..z.tell {
            tx.send(1).await.unwrap();
        }
        drop(tx);
        assert_eq!(consumer.await.unwrap(), z.tell);
        samples.push(per_op(start.elapsed(), z.tell));
    }
    median(&mut samples)
}

async fn round_robin(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let (txs, consumers): (Vec<_>, Vec<_>) = (0..z.rr_actors)
            .map(|_| {
                let (tx, rx) = bounded(CAP);
                (tx, counter(rx))
            })
            .unzip();
        let start = Instant::now();
        for i in 0..z.rr_msgs {
            txs[i as usize % txs.len()].send(1).await.unwrap();
        }
        drop(txs);
        let mut total = 0;
        for c in consumers {
            total += c.await.unwrap();
        }
        assert_eq!(total, z.rr_msgs);
        samples.push(per_op(start.elapsed(), z.rr_msgs));
    }
    median(&mut samples)
}

async fn ask(z: &Sizes) -> (f64, f64, f64) {
    let (req_tx, req_rx) = bounded::<u64>(1);
    let (rep_tx, rep_rx) = bounded::<u64>(1);
    let server = rt::spawn(async move {
        while let Ok(v) = req_rx.recv().await {
            if rep_tx.send(v + 1).await.is_err() {
                break;
            }
        }
    });
    for i in 0..1000 {
        req_tx.send(i).await.unwrap();
        rep_rx.recv().await.unwrap();
    }
    let mut samples = Vec::with_capacity(z.asks);
    for i in 0..z.asks as u64 {
        let start = Instant::now();
        req_tx.send(i).await.unwrap();
        let got = rep_rx.recv().await.unwrap();
        samples.push(start.elapsed().as_nanos() as f64);
        assert_eq!(got, i + 1);
    }
    drop(req_tx);
    server.await.unwrap();
    let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
    (
        percentile(&mut samples, 50.0),
        percentile(&mut samples, 99.0),
        mean,
    )
}

async fn ring(z: &Sizes) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..z.rounds {
        let (done_tx, done_rx) = bounded::<()>(1);
        let chans: Vec<(Sender<u64>, Receiver<u64>)> =
            (0..z.ring_actors).map(|_| bounded(CAP)).collect();
        for (i, (_, rx)) in chans.iter().enumerate() {
            let rx = rx.clone();
            let next = chans[(i + 1) % chans.len()].0.clone();
            let done = done_tx.clone();
            drop(rt::spawn(async move {
                while let Ok(left) = rx.recv().await {
                    if left == 0 {
                        let _ = done.try_send(());
                    } else if next.send(left - 1).await.is_err() {
                        break;
                    }
                }
            }));
        }
        let hops = z.ring_laps * z.ring_actors as u64;
        let start = Instant::now();
        chans[0].0.send(hops).await.unwrap();
        done_rx.recv().await.unwrap();
        samples.push(per_op(start.elapsed(), hops));
        for (tx, _) in &chans {
            tx.close();
        }
    }
    median(&mut samples)
}

async fn spawn(z: &Sizes) -> (f64, f64) {
    let before = rss_bytes();
    let start = Instant::now();
    let senders: Vec<_> = (0..z.spawn)
        .map(|_| {
            let (tx, rx) = unbounded::<u64>();
            drop(rt::spawn(async move {
                mark_started();
                while rx.recv().await.is_ok() {}
            }));
            tx
        })
        .collect();
    while started() < z.spawn {
        rt::sleep(Duration::from_micros(100)).await;
    }
    let time = per_op(start.elapsed(), z.spawn as u64);
    rt::sleep(SETTLE).await;
    let mem = (rss_bytes() - before) / z.spawn as f64;
    drop(senders);
    (time, mem)
}
