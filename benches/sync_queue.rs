//! Queue and Semaphore benchmarks against raw baselines in the same run.
//!
//! - Queue: one producer task puts N u64 items, one consumer task gets them
//!   (put + get per item, and in batches of 64), vs a raw async-channel of
//!   the same capacity. Target: <= 3x the channel.
//! - Semaphore: acquire(1) + drop in a loop, uncontended and with 4
//!   contending tasks over 2 permits, vs async-lock's Semaphore. Reported.
//!
//! Run: `cargo bench --bench sync_queue` (and with ASYNC_STD_THREAD_COUNT=1);
//! `BENCH_QUICK=1` for a smoke run.

#[path = "harness/mod.rs"]
mod harness;

use std::time::Instant;

use harness::{per_op, report, row, scaled};
use retinue::rt;
use retinue::sync::{Queue, Semaphore};

const CAP: usize = 1024;

fn channel_round(n: u64) -> std::time::Duration {
    rt::block_on(async move {
        let (tx, rx) = async_channel::bounded::<u64>(CAP);
        let start = Instant::now();
        let producer = rt::spawn(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        let consumer = rt::spawn(async move {
            let mut sum = 0u64;
            for _ in 0..n {
                sum += rx.recv().await.unwrap();
            }
            sum
        });
        producer.await.unwrap();
        std::hint::black_box(consumer.await.unwrap());
        start.elapsed()
    })
}

fn queue_round(n: u64) -> std::time::Duration {
    rt::block_on(async move {
        let q: Queue<u64> = Queue::fifo(CAP);
        let start = Instant::now();
        let producer = {
            let q = q.clone();
            rt::spawn(async move {
                for i in 0..n {
                    q.put(i).await.unwrap();
                }
            })
        };
        let consumer = rt::spawn(async move {
            let mut sum = 0u64;
            for _ in 0..n {
                sum += q.get().await.unwrap();
            }
            sum
        });
        producer.await.unwrap();
        std::hint::black_box(consumer.await.unwrap());
        start.elapsed()
    })
}

const BATCH: u64 = 64;

fn queue_batch_round(n: u64) -> std::time::Duration {
    rt::block_on(async move {
        let q: Queue<u64> = Queue::fifo(CAP);
        let start = Instant::now();
        let producer = {
            let q = q.clone();
            rt::spawn(async move {
                let mut i = 0;
                while i < n {
                    let end = (i + BATCH).min(n);
                    q.put_many((i..end).collect()).await.unwrap();
                    i = end;
                }
            })
        };
        let consumer = rt::spawn(async move {
            let (mut sum, mut got) = (0u64, 0u64);
            while got < n {
                let items = q.get_many(BATCH as usize).await.unwrap();
                got += items.len() as u64;
                sum += items.into_iter().sum::<u64>();
            }
            sum
        });
        producer.await.unwrap();
        std::hint::black_box(consumer.await.unwrap());
        start.elapsed()
    })
}

fn lock_sem_round(n: u64, tasks: u64, permits: usize) -> std::time::Duration {
    rt::block_on(async move {
        let sem = std::sync::Arc::new(async_lock::Semaphore::new(permits));
        let start = Instant::now();
        let hs: Vec<_> = (0..tasks)
            .map(|_| {
                let sem = sem.clone();
                rt::spawn(async move {
                    for _ in 0..n / tasks {
                        let g = sem.acquire().await;
                        rt::yield_now().await;
                        drop(g);
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        start.elapsed()
    })
}

fn retinue_sem_round(n: u64, tasks: u64, permits: usize) -> std::time::Duration {
    rt::block_on(async move {
        let sem = Semaphore::new(permits);
        let start = Instant::now();
        let hs: Vec<_> = (0..tasks)
            .map(|_| {
                let sem = sem.clone();
                rt::spawn(async move {
                    for _ in 0..n / tasks {
                        let g = sem.acquire(1).await.unwrap();
                        rt::yield_now().await;
                        drop(g);
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        start.elapsed()
    })
}

fn main() {
    let threads = std::env::var("ASYNC_STD_THREAD_COUNT").unwrap_or_else(|_| "default".into());
    let n = scaled(100_000);
    report(
        &format!("queue put+get, 1 producer / 1 consumer, capacity {CAP} (threads: {threads})"),
        &[
            row(
                "async-channel bounded",
                per_op(n, || channel_round(n)),
                "ns/item",
            ),
            row(
                "retinue Queue::fifo put/get",
                per_op(n, || queue_round(n)),
                "ns/item",
            ),
            row(
                format!("retinue Queue::fifo put_many/get_many({BATCH})"),
                per_op(n, || queue_batch_round(n)),
                "ns/item",
            ),
        ],
    );
    let n = scaled(40_000);
    report(
        &format!("semaphore acquire+release, 1 task (threads: {threads})"),
        &[
            row(
                "async-lock Semaphore",
                per_op(n, || lock_sem_round(n, 1, 1)),
                "ns/op",
            ),
            row(
                "retinue Semaphore",
                per_op(n, || retinue_sem_round(n, 1, 1)),
                "ns/op",
            ),
        ],
    );
    report(
        &format!("semaphore acquire+release, 4 tasks / 2 permits (threads: {threads})"),
        &[
            row(
                "async-lock Semaphore",
                per_op(n, || lock_sem_round(n, 4, 2)),
                "ns/op",
            ),
            row(
                "retinue Semaphore",
                per_op(n, || retinue_sem_round(n, 4, 2)),
                "ns/op",
            ),
        ],
    );
}
