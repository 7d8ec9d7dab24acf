//! Lock and RwLock actors against async-lock's Mutex and RwLock, in the
//! same run.
//!
//! Rows are nanoseconds per critical section (acquire, touch a counter,
//! release), median of several rounds. The target for the Lock is at most
//! 3x async-lock's Mutex with 4 contending tasks: a release hands the lock
//! straight to the next waiter, so a critical section costs one ask (the
//! acquire) plus one control-lane tell (the release).
//!
//! `cargo bench --bench sync_lock` (add `ASYNC_STD_THREAD_COUNT=1` for the
//! less noisy single-thread numbers; `BENCH_QUICK=1` only proves it runs).

#[path = "harness/mod.rs"]
mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use harness::{per_op, report, row, scaled};
use retinue::rt;
use retinue::sync::{Lock, RwLock};

const TASKS: u64 = 4;

/// Runs `TASKS` tasks that each call `section` `per_task` times; returns
/// the elapsed time.
fn contend<F, Fut>(per_task: u64, section: F) -> std::time::Duration
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    rt::block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let section = section.clone();
                rt::spawn(async move {
                    for _ in 0..per_task {
                        section().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        start.elapsed()
    })
}

fn main() {
    let per_task = scaled(20_000);
    let ops = per_task * TASKS;

    // ---- Lock vs async_lock::Mutex, 4 contending tasks -------------------
    let mutex = Arc::new(async_lock::Mutex::new(0u64));
    let baseline = per_op(ops, || {
        let m = mutex.clone();
        contend(per_task, move || {
            let m = m.clone();
            async move {
                *m.lock().await += 1;
            }
        })
    });

    let lock = Lock::new();
    let counter = Arc::new(AtomicU64::new(0));
    let actor = per_op(ops, || {
        let (l, c) = (lock.clone(), counter.clone());
        contend(per_task, move || {
            let (l, c) = (l.clone(), c.clone());
            async move {
                let g = l.acquire().await.unwrap();
                c.fetch_add(1, Ordering::Relaxed);
                drop(g);
            }
        })
    });

    // Holding the lock across a yield forces real contention even on one
    // thread: every release then hands the lock to a parked waiter.
    let baseline_yield = per_op(ops, || {
        let m = mutex.clone();
        contend(per_task, move || {
            let m = m.clone();
            async move {
                let mut g = m.lock().await;
                rt::yield_now().await;
                *g += 1;
            }
        })
    });
    let actor_yield = per_op(ops, || {
        let (l, c) = (lock.clone(), counter.clone());
        contend(per_task, move || {
            let (l, c) = (l.clone(), c.clone());
            async move {
                let g = l.acquire().await.unwrap();
                rt::yield_now().await;
                c.fetch_add(1, Ordering::Relaxed);
                drop(g);
            }
        })
    });

    // uncontended: one task (spawned, like the others)
    let single = per_op(per_task, || {
        let (l, c) = (lock.clone(), counter.clone());
        rt::block_on(rt::spawn(async move {
            let start = Instant::now();
            for _ in 0..per_task {
                let g = l.acquire().await.unwrap();
                c.fetch_add(1, Ordering::Relaxed);
                drop(g);
            }
            start.elapsed()
        }))
        .unwrap()
    });

    report(
        "Lock: acquire / increment / release, 4 contending tasks (ns per critical section)",
        &[
            row("async_lock::Mutex (baseline)", baseline, "ns"),
            row("retinue::sync::Lock", actor, "ns"),
            row("retinue::sync::Lock, one task (uncontended)", single, "ns"),
        ],
    );
    report(
        "Lock held across a yield_now, 4 tasks (every release is a handoff)",
        &[
            row("async_lock::Mutex + yield (baseline)", baseline_yield, "ns"),
            row("retinue::sync::Lock + yield", actor_yield, "ns"),
        ],
    );

    // ---- RwLock vs async_lock::RwLock ------------------------------------
    let arw = Arc::new(async_lock::RwLock::new(0u64));
    let a_write = per_op(ops, || {
        let m = arw.clone();
        contend(per_task, move || {
            let m = m.clone();
            async move {
                *m.write().await += 1;
            }
        })
    });
    let a_read = per_op(ops, || {
        let m = arw.clone();
        contend(per_task, move || {
            let m = m.clone();
            async move {
                std::hint::black_box(*m.read().await);
            }
        })
    });

    let rw = RwLock::new();
    let r_write = per_op(ops, || {
        let (l, c) = (rw.clone(), counter.clone());
        contend(per_task, move || {
            let (l, c) = (l.clone(), c.clone());
            async move {
                let g = l.write().await.unwrap();
                c.fetch_add(1, Ordering::Relaxed);
                drop(g);
            }
        })
    });
    let r_read = per_op(ops, || {
        let (l, c) = (rw.clone(), counter.clone());
        contend(per_task, move || {
            let (l, c) = (l.clone(), c.clone());
            async move {
                let g = l.read().await.unwrap();
                std::hint::black_box(c.load(Ordering::Relaxed));
                drop(g);
            }
        })
    });

    report(
        "RwLock: write sections, 4 contending tasks (ns per section)",
        &[
            row("async_lock::RwLock write (baseline)", a_write, "ns"),
            row("retinue::sync::RwLock write", r_write, "ns"),
        ],
    );
    report(
        "RwLock: read sections, 4 concurrent tasks (ns per section)",
        &[
            row("async_lock::RwLock read (baseline)", a_read, "ns"),
            row("retinue::sync::RwLock read", r_read, "ns"),
        ],
    );
}
