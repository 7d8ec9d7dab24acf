//! Remote actors, lock and queue over a real nats-server on loopback,
//! against raw async-nats operations in the same run (the floor).
//!
//! - tell: ns per message, N tells then one ask that sees them all, vs N
//!   raw publishes to a counting subscriber and a flush;
//! - ask: p50 / p99 µs of one remote ask, vs one raw request/reply;
//! - lock: µs per acquire + release, vs raw KV create + delete-with-revision;
//! - queue: µs per put + get + ack, vs raw JetStream publish + fetch + ack;
//! - scaling: tells per second into one exported actor from 1 to 4 sender
//!   processes (this bench binary re-executed with `RETINUE_BENCH_SENDER`
//!   set), against the same senders publishing raw to a counting
//!   subscriber.
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
    if let Ok(name) = std::env::var(SENDER) {
        sender::run(&name);
        return;
    }
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
    barrier(&raw_rx).await;
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
    barrier(&raw_rx).await;
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
    // Last: the raw floods of many processes must not disturb the rest.
    scaling(&url, &remote, &count).await;
    a.close().await;
    b.close().await;
}

/// Returns once the server processed everything `client` sent before (its
/// subscriptions are live): a request nobody serves comes back only then.
async fn barrier(client: &async_nats::Client) {
    let _ = client.request(client.new_inbox(), Vec::new().into()).await;
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

/// The environment variable that makes this binary a sender process.
const SENDER: &str = "RETINUE_BENCH_SENDER";

/// Tells per second from 1 to 4 sender processes, ours and raw.
async fn scaling(url: &str, remote: &retinue::remote::RemoteActor, raw_count: &Arc<AtomicU64>) {
    let tells = scaled(20_000);
    let mut raw_rows = Vec::new();
    let mut ours_rows = Vec::new();
    for k in 1..=4usize {
        for mode in ["raw", "ours"] {
            let mut senders = sender::Senders::spawn(url, k, tells, mode).await;
            let mut samples = Vec::new();
            for _ in 0..harness::rounds() {
                let before = match mode {
                    "raw" => raw_count.load(Ordering::Relaxed),
                    _ => remote.ask(Count).await.unwrap(),
                };
                let start = Instant::now();
                senders.round().await;
                // Every sender's messages arrived (FIFO per sender: each
                // sender's last ask or flush came after its tells).
                let target = before + tells * k as u64;
                match mode {
                    "raw" => {
                        while raw_count.load(Ordering::Relaxed) < target {
                            retinue::rt::yield_now().await;
                        }
                    }
                    _ => assert_eq!(remote.ask(Count).await.unwrap(), target),
                }
                let wall = start.elapsed();
                samples.push((tells * k as u64) as f64 / wall.as_secs_f64() / 1000.0);
            }
            senders.quit().await;
            let rate = median(&mut samples);
            match mode {
                "raw" => raw_rows.push(row(
                    format!("raw publish, {k} sender process(es)"),
                    rate,
                    "k/s",
                )),
                _ => ours_rows.push(row(
                    format!("RemoteActor::tell, {k} sender process(es)"),
                    rate,
                    "k/s",
                )),
            }
        }
    }
    report(
        "raw publish scaling (thousand messages per second, all senders)",
        &raw_rows,
    );
    report(
        "remote tell scaling (thousand messages per second, all senders)",
        &ours_rows,
    );
    let ratios: Vec<_> = raw_rows
        .iter()
        .zip(&ours_rows)
        .enumerate()
        .map(|(i, (r, o))| {
            row(
                format!("{} sender(s): ours / raw", i + 1),
                o.value / r.value,
                "x",
            )
        })
        .collect();
    println!("\nremote tell vs raw publish, same sender count");
    for r in ratios {
        println!("  {:<44} {:>12.2}", r.name, r.value);
    }
}

/// The sender processes of the scaling measurement.
mod sender {
    use retinue::remote::{Node, NodeOptions};
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, Command, Stdio};

    use super::{Count, Hit, SENDER};

    /// The child side: joins, finds `sink`, then on each `go` line sends
    /// its tells (then an ask, or a flush for raw) and says `DONE`.
    pub fn run(name: &str) {
        let url = std::env::var("NATS_URL").expect("NATS_URL");
        let tells: u64 = std::env::var("RETINUE_BENCH_TELLS")
            .unwrap()
            .parse()
            .unwrap();
        let raw = std::env::var("RETINUE_BENCH_MODE").unwrap() == "raw";
        retinue::rt::block_on(async move {
            let node = Node::connect(NodeOptions::new(name, url)).await.unwrap();
            let sink = node.lookup("sink").await.unwrap();
            let client = node.client().clone();
            let payload = rmp_serde::to_vec(&Hit(7)).unwrap();
            say("READY");
            while retinue::rt::spawn_blocking(read_go).await {
                for i in 0..tells {
                    if raw {
                        client
                            .publish("bench.raw.tell", payload.clone().into())
                            .await
                            .unwrap();
                    } else {
                        sink.tell(Hit(i)).await.unwrap();
                    }
                }
                if raw {
                    client.flush().await.unwrap();
                } else {
                    sink.ask(Count).await.unwrap();
                }
                say("DONE");
            }
            node.close().await;
        });
    }

    fn say(line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn read_go() -> bool {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 && line.trim() == "go"
    }

    /// The parent side: `k` sender processes, killed on drop.
    pub struct Senders {
        children: Vec<Child>,
        stdins: Vec<ChildStdin>,
        lines: async_channel::Receiver<String>,
    }

    impl Senders {
        pub async fn spawn(url: &str, k: usize, tells: u64, mode: &str) -> Senders {
            let (tx, lines) = async_channel::unbounded();
            let mut children = Vec::new();
            let mut stdins = Vec::new();
            for i in 0..k {
                let mut child = Command::new(std::env::current_exe().unwrap())
                    .env(SENDER, format!("bench-sender-{mode}-{k}-{i}"))
                    .env("NATS_URL", url)
                    .env("RETINUE_BENCH_TELLS", tells.to_string())
                    .env("RETINUE_BENCH_MODE", mode)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                stdins.push(child.stdin.take().unwrap());
                let out = child.stdout.take().unwrap();
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for line in BufReader::new(out).lines().map_while(Result::ok) {
                        let _ = tx.send_blocking(line);
                    }
                });
                children.push(child);
            }
            let mut senders = Senders {
                children,
                stdins,
                lines,
            };
            senders.expect(k, "READY").await;
            senders
        }

        /// One round: `go` to every sender, then wait until all are done.
        pub async fn round(&mut self) {
            for stdin in &mut self.stdins {
                stdin.write_all(b"go\n").unwrap();
                stdin.flush().unwrap();
            }
            let k = self.stdins.len();
            self.expect(k, "DONE").await;
        }

        async fn expect(&mut self, k: usize, what: &str) {
            let mut seen = 0;
            while seen < k {
                match self.lines.recv().await {
                    Ok(line) if line == what => seen += 1,
                    Ok(_) => {}
                    Err(_) => panic!("a sender died"),
                }
            }
        }

        /// Ends the senders (EOF on their stdin) and waits for them.
        pub async fn quit(mut self) {
            self.stdins.clear();
            let children = std::mem::take(&mut self.children);
            retinue::rt::spawn_blocking(move || {
                for mut child in children {
                    let _ = child.wait();
                }
            })
            .await;
        }
    }

    impl Drop for Senders {
        fn drop(&mut self) {
            for child in &mut self.children {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
