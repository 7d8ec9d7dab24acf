//! Remote actors, lock and queue over a real nats-server on loopback,
//! against raw async-nats operations in the same run (the floor).
//!
//! - tell: ns per message, N tells then one ask that sees them all, vs N
//!   raw publishes to a counting subscriber and a flush;
//! - ask: p50 / p99 µs of one remote ask, vs one raw request/reply;
//! - lock: µs per acquire + release, vs raw KV create + delete-with-revision;
//! - queue: µs per put + get + ack, vs raw JetStream publish + fetch + ack.
//!
//! Two connections in one process (sender and receiver), server started by
//! the bench on a free port. `cargo bench --bench remote --features nats`;
//! `BENCH_QUICK=1` only proves it runs.

#[path = "harness/mod.rs"]
mod harness;
#[path = "../tests/common/nats.rs"]
mod nats;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use futures_lite::StreamExt;
use harness::{median, on_worker, percentile, report, row, scaled};
use retinue::remote::{Node, NodeOptions, RemoteLockOptions, RemoteMessage, RemoteQueueOptions};
use retinue::{Actor, Context, Handler, Message};
use serde::{Deserialize, Serialize};

#[derive(Default)]
struct Sink(u64);
impl Actor for Sink {}

#[derive(Serialize, Deserialize)]
struct Hit(u64);
impl Message for Hit {
    type Reply = ();
}
impl RemoteMessage for Hit {
    const TAG: &'static str = "bench.Hit";
}
impl Handler<Hit> for Sink {
    async fn handle(&mut self, _: Hit, _: &mut Context<Self>) {
        self.0 += 1;
    }
}

#[derive(Serialize, Deserialize)]
struct Count;
impl Message for Count {
    type Reply = u64;
}
impl RemoteMessage for Count {
    const TAG: &'static str = "bench.Count";
}
impl Handler<Count> for Sink {
    async fn handle(&mut self, _: Count, _: &mut Context<Self>) -> u64 {
        self.0
    }
}

fn main() {
    let server = nats::NatsServer::start();
    let url = server.url();
    on_worker(async move { run(url).await });
}

async fn run(url: String) {
    let a = Node::connect(NodeOptions::new("bench-a", url.clone()))
        .await
        .unwrap();
    let b = Node::connect(NodeOptions::new("bench-b", url.clone()))
        .await
        .unwrap();
    let sink = retinue::spawn(Sink::default());
    a.export("sink", sink)
        .message::<Hit>()
        .message::<Count>()
        .start()
        .await
        .unwrap();
    let remote = b.lookup("sink").await.unwrap();
    let raw_tx = b.client().clone();
    let raw_rx = a.client().clone();

    // ---- tell throughput -------------------------------------------------
    let n = scaled(50_000);
    let count = Arc::new(AtomicU64::new(0));
    let mut sub = raw_rx.subscribe("bench.raw.tell").await.unwrap();
    let counted = count.clone();
    retinue::rt::spawn_detached(async move {
        while sub.next().await.is_some() {
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    raw_rx.flush().await.unwrap();
    let payload = rmp_payload(&Hit(7));
    let raw_tell = per_op_async(n, || async {
        let start = Instant::now();
        let target = count.load(Ordering::Relaxed) + n;
        for _ in 0..n {
            raw_tx
                .publish("bench.raw.tell", payload.clone().into())
                .await
                .unwrap();
        }
        raw_tx.flush().await.unwrap();
        while count.load(Ordering::Relaxed) < target {
            retinue::rt::yield_now().await;
        }
        start.elapsed()
    })
    .await;
    let ours_tell = per_op_async(n, || async {
        let start = Instant::now();
        let before = remote.ask(Count).await.unwrap();
        for i in 0..n {
            remote.tell(Hit(i)).await.unwrap();
        }
        assert_eq!(remote.ask(Count).await.unwrap(), before + n);
        start.elapsed()
    })
    .await;
    report(
        "remote tell (ns per message, one sender, loopback)",
        &[
            row("raw async-nats publish", raw_tell, "ns"),
            row("RemoteActor::tell", ours_tell, "ns"),
        ],
    );

    // ---- ask latency -----------------------------------------------------
    let mut responder = raw_rx.subscribe("bench.raw.ask").await.unwrap();
    let replier = raw_rx.clone();
    retinue::rt::spawn_detached(async move {
        while let Some(msg) = responder.next().await {
            if let Some(reply) = msg.reply {
                let _ = replier.publish(reply, msg.payload).await;
            }
        }
    });
    raw_rx.flush().await.unwrap();
    let asks = scaled(5_000) as usize;
    let mut raw_lat = Vec::with_capacity(asks);
    for _ in 0..asks {
        let start = Instant::now();
        raw_tx
            .request("bench.raw.ask", payload.clone().into())
            .await
            .unwrap();
        raw_lat.push(start.elapsed().as_nanos() as f64 / 1000.0);
    }
    let mut ours_lat = Vec::with_capacity(asks);
    for _ in 0..asks {
        let start = Instant::now();
        remote.ask(Count).await.unwrap();
        ours_lat.push(start.elapsed().as_nanos() as f64 / 1000.0);
    }
    report(
        "remote ask latency p50 (µs)",
        &[
            row(
                "raw async-nats request/reply",
                percentile(&mut raw_lat, 50.0),
                "µs",
            ),
            row("RemoteActor::ask", percentile(&mut ours_lat, 50.0), "µs"),
        ],
    );
    report(
        "remote ask latency p99 (µs)",
        &[
            row(
                "raw async-nats request/reply",
                percentile(&mut raw_lat, 99.0),
                "µs",
            ),
            row("RemoteActor::ask", percentile(&mut ours_lat, 99.0), "µs"),
        ],
    );

    // ---- lock ------------------------------------------------------------
    let ops = scaled(2_000);
    let lock = b
        .lock(
            "bench",
            RemoteLockOptions {
                lease: Duration::from_secs(30),
            },
        )
        .await
        .unwrap();
    let js = jetstream::new(raw_tx.clone());
    js.get_or_create_stream(stream::Config {
        name: "KV_bench_raw".into(),
        subjects: vec!["$KV.bench_raw.>".into()],
        max_messages_per_subject: 1,
        allow_rollup: true,
        allow_direct: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let kv = js.get_key_value("bench_raw").await.unwrap();
    let raw_lock = per_op_async(ops, || async {
        let start = Instant::now();
        for _ in 0..ops {
            let rev = kv.create("k", "x".into()).await.unwrap();
            kv.delete_expect_revision("k", Some(rev)).await.unwrap();
        }
        start.elapsed()
    })
    .await;
    let ours_lock = per_op_async(ops, || async {
        let start = Instant::now();
        for _ in 0..ops {
            lock.acquire().await.unwrap().release().await.unwrap();
        }
        start.elapsed()
    })
    .await;
    report(
        "cross-machine lock (µs per acquire + release)",
        &[
            row("raw KV create + delete(revision)", raw_lock / 1000.0, "µs"),
            row("RemoteLock acquire + release", ours_lock / 1000.0, "µs"),
        ],
    );

    // ---- queue -----------------------------------------------------------
    let queue = b
        .queue::<u64>("bench", RemoteQueueOptions::default())
        .await
        .unwrap();
    let raw_stream = js
        .get_or_create_stream(stream::Config {
            name: "RAW_bench_q".into(),
            subjects: vec!["bench.raw.q".into()],
            retention: stream::RetentionPolicy::WorkQueue,
            ..Default::default()
        })
        .await
        .unwrap();
    let raw_consumer: consumer::PullConsumer = raw_stream
        .get_or_create_consumer(
            "w",
            consumer::pull::Config {
                durable_name: Some("w".into()),
                ack_policy: consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let raw_queue = per_op_async(ops, || async {
        let start = Instant::now();
        for _ in 0..ops {
            js.publish("bench.raw.q", payload.clone().into())
                .await
                .unwrap()
                .await
                .unwrap();
            let mut batch = raw_consumer
                .batch()
                .max_messages(1)
                .expires(Duration::from_secs(5))
                .messages()
                .await
                .unwrap();
            let msg = batch.next().await.unwrap().unwrap();
            msg.double_ack().await.unwrap();
        }
        start.elapsed()
    })
    .await;
    let ours_queue = per_op_async(ops, || async {
        let start = Instant::now();
        for i in 0..ops {
            queue.put(&i).await.unwrap();
            queue.get().await.unwrap().ack().await.unwrap();
        }
        start.elapsed()
    })
    .await;
    report(
        "cross-machine queue (µs per put + get + ack)",
        &[
            row(
                "raw JetStream publish + fetch + ack",
                raw_queue / 1000.0,
                "µs",
            ),
            row("RemoteQueue put + get + ack", ours_queue / 1000.0, "µs"),
        ],
    );
    a.close().await;
    b.close().await;
}

fn rmp_payload<T: Serialize>(value: &T) -> Vec<u8> {
    rmp_serde::to_vec(value).unwrap()
}

/// [`harness::per_op`] for async rounds.
async fn per_op_async<F, Fut>(ops: u64, mut round: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    let mut samples = Vec::new();
    for _ in 0..harness::rounds() {
        samples.push(round().await.as_nanos() as f64 / ops as f64);
    }
    median(&mut samples)
}
