//! Core costs against raw floors measured in the same run: tell throughput
//! (vs async-channel), ask round trip (vs a request + fresh bounded(1)
//! reply channel), spawn time and memory per idle actor, and tell
//! throughput across mailbox capacities (which is how the default was
//! picked).
//!
//! `cargo bench --bench core` (add `ASYNC_STD_THREAD_COUNT=1` for a quieter
//! single-worker run; `BENCH_QUICK=1` for a smoke run).

#[path = "harness/counter.rs"]
mod counter;
#[path = "harness/mod.rs"]
mod harness;

use std::time::Instant;

use counter::{actor_asks, actor_tell, raw_tell};
use harness::{on_worker, per_op, percentile, report, row, scaled};
use retinue::{Actor, Capacity, rt};

fn tell_throughput() {
    let n = scaled(1_000_000);
    let raw = per_op(n, || on_worker(raw_tell(n, 256)));
    let actor = per_op(n, || on_worker(actor_tell(n, Capacity::DEFAULT)));
    report(
        &format!("tell throughput, 1 sender -> 1 receiver, {n} msgs, capacity 256"),
        &[
            row("raw async-channel bounded(256)", raw, "ns/msg"),
            row("retinue tell (default mailbox)", actor, "ns/msg"),
        ],
    );
}

fn capacity_sweep() {
    let n = scaled(1_000_000);
    let mut rows = vec![row(
        "raw async-channel bounded(256)",
        per_op(n, || on_worker(raw_tell(n, 256))),
        "ns/msg",
    )];
    for cap in [16, 64, 256, 1024] {
        rows.push(row(
            format!("retinue tell, Bounded({cap})"),
            per_op(n, || on_worker(actor_tell(n, Capacity::Bounded(cap)))),
            "ns/msg",
        ));
    }
    rows.push(row(
        "retinue tell, Unbounded",
        per_op(n, || on_worker(actor_tell(n, Capacity::Unbounded))),
        "ns/msg",
    ));
    report("tell throughput by mailbox capacity", &rows);
}

fn ask_latency() {
    let n = scaled(100_000) as usize;
    let raw = on_worker(async move {
        let (tx, rx) = async_channel::bounded::<(u64, async_channel::Sender<u64>)>(256);
        let server = rt::spawn(async move {
            while let Ok((v, reply)) = rx.recv().await {
                let _ = reply.send(v + 1).await;
            }
        });
        let mut samples = Vec::with_capacity(n);
        for i in 0..n as u64 {
            let start = Instant::now();
            let (reply_tx, reply_rx) = async_channel::bounded(1);
            tx.send((i, reply_tx)).await.unwrap();
            let got = reply_rx.recv().await.unwrap();
            samples.push(start.elapsed().as_nanos() as f64);
            assert_eq!(got, i + 1);
        }
        drop(tx);
        server.await.unwrap();
        samples
    });
    let actor = on_worker(actor_asks(n));
    let (mut raw, mut actor) = (raw, actor);
    report(
        &format!("ask round trip, sequential, {n} asks"),
        &[
            row(
                "raw request + fresh bounded(1) reply, p50",
                percentile(&mut raw, 50.0),
                "ns",
            ),
            row("retinue ask, p50", percentile(&mut actor, 50.0), "ns"),
            row(
                "raw request + fresh bounded(1) reply, p99",
                percentile(&mut raw, 99.0),
                "ns",
            ),
            row("retinue ask, p99", percentile(&mut actor, 99.0), "ns"),
        ],
    );
}

/// Counts live heap bytes, so memory per actor is measured exactly rather
/// than read off RSS (which the allocator's reuse of freed pages blurs).
struct Counting;

static LIVE_BYTES: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn heap_bytes() -> f64 {
    LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed) as f64
}

struct Idle;
impl Actor for Idle {}

fn spawn_cost() {
    let n = scaled(100_000) as usize;
    let mut per_spawn = Vec::new();
    let mut per_task = Vec::new();
    let mut per_actor_mem = Vec::new();
    let mut per_task_mem = Vec::new();
    for _ in 0..harness::rounds().min(5) {
        // Baseline: a bare task holding an unbounded async-channel receiver.
        let before = heap_bytes();
        let start = Instant::now();
        let senders: Vec<_> = (0..n)
            .map(|_| {
                let (tx, rx) = async_channel::unbounded::<u64>();
                drop(rt::spawn(async move { while rx.recv().await.is_ok() {} }));
                tx
            })
            .collect();
        per_task.push(start.elapsed().as_nanos() as f64 / n as f64);
        rt::block_on(rt::sleep(std::time::Duration::from_millis(200)));
        per_task_mem.push((heap_bytes() - before) / n as f64);
        drop(senders);
        rt::block_on(async {
            while rt::live_tasks() > 0 {
                rt::yield_now().await
            }
        });

        let before = heap_bytes();
        let start = Instant::now();
        let actors: Vec<_> = (0..n).map(|_| retinue::spawn(Idle)).collect();
        per_spawn.push(start.elapsed().as_nanos() as f64 / n as f64);
        // Let every actor run `started` and park on its mailbox.
        rt::block_on(rt::sleep(std::time::Duration::from_millis(200)));
        per_actor_mem.push((heap_bytes() - before) / n as f64);
        drop(actors);
        rt::block_on(async {
            while rt::live_tasks() > 0 {
                rt::yield_now().await
            }
        });
    }
    report(
        &format!("spawn {n} idle actors"),
        &[
            row(
                "task + unbounded async-channel, time",
                harness::median(&mut per_task),
                "ns",
            ),
            row(
                "retinue::spawn, time",
                harness::median(&mut per_spawn),
                "ns",
            ),
        ],
    );
    report(
        "heap per idle actor (live heap bytes / n)",
        &[
            row(
                "task + unbounded async-channel",
                harness::median(&mut per_task_mem),
                "B",
            ),
            row(
                "retinue actor, default mailbox",
                harness::median(&mut per_actor_mem),
                "B",
            ),
        ],
    );
}

fn main() {
    let threads = std::env::var("ASYNC_STD_THREAD_COUNT").unwrap_or_else(|_| "default".into());
    println!("retinue core bench (async-std worker threads: {threads})");
    tell_throughput();
    ask_latency();
    spawn_cost();
    capacity_sweep();
}
