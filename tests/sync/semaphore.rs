//! Semaphore: unit tests, a model-based property test and a stress test.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::AskError;
use retinue::rt;
use retinue::sync::{Semaphore, SemaphoreError, SemaphorePermit};

const LONG: Duration = Duration::from_secs(10);

/// Waits (bounded) until the semaphore reports `waiters` live waiters.
async fn until_waiters(sem: &Semaphore, waiters: usize) {
    rt::timeout(LONG, async {
        while sem.status().await.unwrap().waiters != waiters {
            rt::yield_now().await;
        }
    })
    .await
    .expect("waiter count never reached");
}

#[test]
fn acquire_release_on_drop_and_introspection() {
    rt::block_on(async {
        let sem = Semaphore::new(2);
        assert_eq!(sem.locked().await, Ok(false));
        let a = sem.acquire(1).await.unwrap();
        let b = sem.try_acquire(1).await.unwrap();
        assert_eq!(a.permits() + b.permits(), 2);
        assert_eq!(sem.available().await, Ok(0));
        assert_eq!(sem.locked().await, Ok(true));
        assert_eq!(
            sem.try_acquire(1).await.unwrap_err(),
            SemaphoreError::WouldBlock
        );
        drop(a);
        assert_eq!(sem.available().await, Ok(1));
        drop(b);
        assert_eq!(sem.available().await, Ok(2));
    });
}

#[test]
fn misuse_is_a_typed_error() {
    rt::block_on(async {
        let sem = Semaphore::bounded(2);
        assert_eq!(
            sem.acquire(0).await.unwrap_err(),
            SemaphoreError::ZeroPermits
        );
        assert_eq!(
            sem.try_acquire(0).await.unwrap_err(),
            SemaphoreError::ZeroPermits
        );
        assert_eq!(
            sem.acquire(3).await.unwrap_err(),
            SemaphoreError::TooMany {
                requested: 3,
                max: 2
            }
        );
        assert_eq!(sem.release(1).await, Err(SemaphoreError::Overflow));
        assert_eq!(sem.release(0).await, Err(SemaphoreError::ZeroPermits));
        let p = sem.acquire(2).await.unwrap();
        p.forget();
        assert_eq!(sem.available().await, Ok(0));
        assert_eq!(sem.release(2).await, Ok(()));
        assert_eq!(sem.release(1).await, Err(SemaphoreError::Overflow));
        assert_eq!(sem.available().await, Ok(2));

        // Unbounded mode: release adds permits beyond the initial count.
        let open = Semaphore::new(0);
        assert_eq!(open.locked().await, Ok(true));
        open.release(3).await.unwrap();
        assert_eq!(open.available().await, Ok(3));
    });
}

#[test]
fn fifo_big_request_at_head_blocks_smaller_ones() {
    rt::block_on(async {
        let sem = Semaphore::new(2);
        let held = sem.acquire(2).await.unwrap();
        let (tx, rx) = async_channel::unbounded();
        let big = {
            let (sem, tx) = (sem.clone(), tx.clone());
            rt::spawn(async move {
                let p = sem.acquire(2).await.unwrap();
                tx.send("big").await.unwrap();
                p
            })
        };
        until_waiters(&sem, 1).await;
        let small = {
            let (sem, tx) = (sem.clone(), tx.clone());
            rt::spawn(async move {
                let p = sem.acquire(1).await.unwrap();
                tx.send("small").await.unwrap();
                p
            })
        };
        until_waiters(&sem, 2).await;
        // A new arrival does not overtake the queue either.
        assert_eq!(
            sem.try_acquire(1).await.unwrap_err(),
            SemaphoreError::WouldBlock
        );
        drop(held);
        assert_eq!(rx.recv().await, Ok("big"));
        let big = big.await.unwrap();
        // One permit back is not enough for... the small one: it is next.
        assert!(rx.try_recv().is_err());
        drop(big);
        assert_eq!(rx.recv().await, Ok("small"));
        drop(small.await.unwrap());
        assert_eq!(sem.available().await, Ok(2));
    });
}

#[test]
fn abandoned_head_waiter_does_not_block_the_queue() {
    rt::block_on(async {
        let sem = Semaphore::new(1);
        let held = sem.acquire(1).await.unwrap();
        // The head wants more than will ever be free soon, then gives up.
        let head = {
            let sem = sem.clone();
            rt::spawn(async move { sem.acquire(5).await })
        };
        until_waiters(&sem, 1).await;
        let next = {
            let sem = sem.clone();
            rt::spawn(async move { sem.acquire(1).await })
        };
        until_waiters(&sem, 2).await;
        head.abort();
        assert!(head.await.is_err());
        drop(held);
        let got = rt::timeout(LONG, next).await.unwrap().unwrap().unwrap();
        assert_eq!(got.permits(), 1);
    });
}

#[test]
fn timeout_withdraws_the_waiter_and_loses_no_permit() {
    rt::block_on(async {
        let sem = Semaphore::new(1);
        let held = sem.acquire(1).await.unwrap();
        let err = sem
            .acquire_timeout(1, Duration::from_millis(20))
            .await
            .unwrap_err();
        assert_eq!(err, SemaphoreError::Timeout);
        until_waiters(&sem, 0).await;
        drop(held);
        assert_eq!(sem.available().await, Ok(1));
        assert!(sem.acquire_timeout(1, LONG).await.is_ok());
    });
}

#[test]
fn stopped_actor_fails_waiters_instead_of_hanging() {
    rt::block_on(async {
        let sem = Semaphore::new(0);
        let waiter = {
            let sem = sem.clone();
            rt::spawn(async move { sem.acquire(1).await })
        };
        until_waiters(&sem, 1).await;
        sem.addr().stop();
        let err = rt::timeout(LONG, waiter)
            .await
            .unwrap()
            .unwrap()
            .unwrap_err();
        assert_eq!(err, SemaphoreError::Unavailable(AskError::NoReply));
        sem.addr().wait_stopped().await;
        assert_eq!(
            sem.try_acquire(1).await.unwrap_err(),
            SemaphoreError::Unavailable(AskError::Closed)
        );
    });
}

#[test]
fn options_deserialize_with_defaults() {
    let opts: retinue::sync::SemaphoreOptions =
        serde::de::Deserialize::deserialize(serde::de::value::MapDeserializer::<
            _,
            serde::de::value::Error,
        >::new(std::iter::once(("permits", 4usize))))
        .unwrap();
    assert_eq!(opts.permits, 4);
    assert!(!opts.bounded);
}

#[test]
fn stress_at_most_n_holders() {
    rt::block_on(async {
        const N: usize = 3;
        let sem = Semaphore::new(N);
        let inside = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..32)
            .map(|t| {
                let (sem, inside, max_seen) = (sem.clone(), inside.clone(), max_seen.clone());
                rt::spawn(async move {
                    for i in 0..50 {
                        let n = 1 + (t + i) % 2;
                        let permit = if i % 7 == 0 {
                            match sem.acquire_timeout(n, Duration::from_micros(50)).await {
                                Ok(p) => p,
                                Err(_) => continue,
                            }
                        } else {
                            sem.acquire(n).await.unwrap()
                        };
                        let now = inside.fetch_add(n, Ordering::SeqCst) + n;
                        max_seen.fetch_max(now, Ordering::SeqCst);
                        assert!(now <= N, "{now} permits held at once");
                        rt::yield_now().await;
                        inside.fetch_sub(n, Ordering::SeqCst);
                        drop(permit);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(max_seen.load(Ordering::SeqCst) >= 1);
        assert_eq!(sem.available().await, Ok(N));
        assert_eq!(sem.status().await.unwrap().waiters, 0);
    });
}

// ---- model-based property test -------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Acquire(usize),
    TryAcquire(usize),
    /// Drop the k-th pending waiter's future (cancellation).
    Cancel(usize),
    /// Drop the k-th held permit.
    Release(usize),
    /// Drop a held permit and, before the actor is seen to react, a pending
    /// waiter: the grant may be in flight to the cancelled waiter.
    ReleaseThenCancel(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1..=3usize).prop_map(Op::Acquire),
        1 => (1..=3usize).prop_map(Op::TryAcquire),
        2 => (0..4usize).prop_map(Op::Cancel),
        3 => (0..4usize).prop_map(Op::Release),
        2 => (0..4usize, 0..4usize).prop_map(|(a, b)| Op::ReleaseThenCancel(a, b)),
    ]
}

type Pending = Pin<Box<dyn Future<Output = Result<SemaphorePermit, SemaphoreError>> + Send>>;

/// The sequential model: FIFO waiters, a head that does not fit blocks.
struct Model {
    available: usize,
    queue: Vec<(u64, usize)>,
    granted: Vec<u64>,
}

impl Model {
    fn serve(&mut self) {
        while let Some(&(id, n)) = self.queue.first() {
            if n > self.available {
                break;
            }
            self.available -= n;
            self.queue.remove(0);
            self.granted.push(id);
        }
    }
}

fn run_model(initial: usize, ops: Vec<Op>) {
    rt::block_on(async move {
        let sem = Semaphore::new(initial);
        let mut model = Model {
            available: initial,
            queue: Vec::new(),
            granted: Vec::new(),
        };
        let mut pending: BTreeMap<u64, (usize, Pending)> = BTreeMap::new();
        let mut held: BTreeMap<u64, SemaphorePermit> = BTreeMap::new();
        let mut early: BTreeMap<u64, SemaphorePermit> = BTreeMap::new();
        let mut next_id = 0u64;
        for op in ops {
            match op {
                Op::Acquire(n) => {
                    let s = sem.clone();
                    let mut fut: Pending = Box::pin(async move { s.acquire(n).await });
                    // The actor may answer before the first poll returns.
                    match poll_once(&mut fut).await {
                        None => {
                            pending.insert(next_id, (n, fut));
                        }
                        Some(result) => {
                            early.insert(next_id, result.expect("grant"));
                        }
                    }
                    model.queue.push((next_id, n));
                    next_id += 1;
                }
                Op::TryAcquire(n) => {
                    let real = sem.try_acquire(n).await;
                    let fits = model.queue.is_empty() && n <= model.available;
                    assert_eq!(real.is_ok(), fits, "try_acquire({n})");
                    if let Ok(p) = real {
                        model.available -= n;
                        held.insert(next_id, p);
                        next_id += 1;
                    }
                }
                Op::Cancel(k) => {
                    if let Some(&id) = pending.keys().nth(k) {
                        pending.remove(&id);
                        model.queue.retain(|&(w, _)| w != id);
                    }
                }
                Op::Release(k) => {
                    if let Some(&id) = held.keys().nth(k) {
                        let p = held.remove(&id).unwrap();
                        model.available += p.permits();
                    }
                }
                Op::ReleaseThenCancel(a, b) => {
                    if let Some(&id) = held.keys().nth(a) {
                        let p = held.remove(&id).unwrap();
                        model.available += p.permits();
                    }
                    if let Some(&id) = pending.keys().nth(b) {
                        pending.remove(&id);
                        model.queue.retain(|&(w, _)| w != id);
                    }
                }
            }
            model.serve();
            // Synchronise: the status ask is handled after every message
            // sent so far (same sender, and urgent ones are served first).
            let status = sem.status().await.unwrap();
            for (id, permit) in std::mem::take(&mut early) {
                assert!(
                    model.granted.contains(&id),
                    "real granted {id} early, model did not"
                );
                held.insert(id, permit);
            }
            let ids: Vec<u64> = pending.keys().copied().collect();
            for id in ids {
                let (_, fut) = pending.get_mut(&id).unwrap();
                if let Some(result) = poll_once(fut).await {
                    held.insert(id, result.expect("grant"));
                    pending.remove(&id);
                    assert!(
                        model.granted.contains(&id),
                        "real granted {id}, model did not"
                    );
                }
            }
            for id in &model.granted {
                assert!(
                    !pending.contains_key(id),
                    "model granted {id}, real did not"
                );
            }
            let real = sem.status().await.unwrap();
            assert_eq!(real.available, model.available);
            assert_eq!(status.waiters, model.queue.len());
            let held_sum: usize = held.values().map(|p| p.permits()).sum();
            assert_eq!(held_sum + real.available, initial, "permits not conserved");
        }
        drop(pending);
        drop(held);
        let status = sem.status().await.unwrap();
        assert_eq!(status.available, initial, "permits not conserved");
        assert_eq!(status.waiters, 0);
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn model_fifo_permits_conserved(initial in 0..4usize, ops in prop::collection::vec(op(), 1..40)) {
        run_model(initial, ops);
    }
}
