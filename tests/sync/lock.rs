//! Lock: unit tests per behaviour, a model-based property test, a stress test.

use crate::common;

use common::wait::{LONG, wait_until};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{Lock, LockError, LockGuard, LockOptions};
use serde::Deserialize;

async fn queued(lock: &Lock, n: usize) {
    wait_until(&format!("{n} queued"), || async {
        lock.queue_len().await.unwrap() == n
    })
    .await;
}

#[test]
fn acquire_release_and_introspection() {
    rt::block_on(async {
        let lock = Lock::new();
        assert!(!lock.is_locked().await.unwrap());
        assert_eq!(lock.holder_token().await.unwrap(), None);
        let guard = lock.acquire().await.unwrap();
        let status = lock.status().await.unwrap();
        assert!(status.locked);
        assert_eq!(status.holder, Some(guard.token()));
        assert_eq!(status.queued, 0);
        assert_eq!(guard.is_current().await, Ok(true));
        guard.release().await.unwrap();
        assert!(!lock.is_locked().await.unwrap());
    });
}

#[test]
fn drop_releases_through_control_lane() {
    rt::block_on(async {
        let lock = Lock::new();
        let guard = lock.acquire().await.unwrap();
        drop(guard);
        // The release is on the control lane, so it is served before this ask.
        assert!(!lock.is_locked().await.unwrap());
        let _g = lock.try_acquire().await.unwrap();
    });
}

#[test]
fn not_reentrant_and_try_would_block() {
    rt::block_on(async {
        let lock = Lock::new();
        let _guard = lock.acquire().await.unwrap();
        assert_eq!(lock.try_acquire().await.unwrap_err(), LockError::WouldBlock);
        // a second acquire by the same task waits (no re-entrance)
        assert_eq!(
            lock.acquire_timeout(Duration::from_millis(20))
                .await
                .unwrap_err(),
            LockError::Timeout
        );
    });
}

#[test]
fn tokens_strictly_increase() {
    rt::block_on(async {
        let lock = Lock::new();
        let mut last = 0;
        for i in 0..50 {
            let g = if i % 2 == 0 {
                lock.acquire().await.unwrap()
            } else {
                lock.try_acquire().await.unwrap()
            };
            assert!(g.token() > last, "token {} after {}", g.token(), last);
            last = g.token();
        }
    });
}

#[test]
fn waiters_are_served_fifo_and_try_does_not_overtake() {
    rt::block_on(async {
        let lock = Lock::new();
        let first = lock.acquire().await.unwrap();
        let (tx, rx) = async_channel::unbounded();
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (l, tx) = (lock.clone(), tx.clone());
            tasks.push(rt::spawn(async move {
                let g = l.acquire().await.unwrap();
                tx.send((i, g.token())).await.unwrap();
                rt::yield_now().await;
                drop(g);
            }));
            queued(&lock, i + 1).await;
        }
        assert_eq!(lock.try_acquire().await.unwrap_err(), LockError::WouldBlock);
        drop(first);
        let mut order = Vec::new();
        let mut last = 0;
        for _ in 0..5 {
            let (i, token) = rx.recv().await.unwrap();
            assert!(token > last);
            last = token;
            order.push(i);
        }
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
        for t in tasks {
            t.await.unwrap();
        }
        assert!(!lock.is_locked().await.unwrap());
    });
}

#[test]
fn timed_out_waiter_leaves_nothing_behind() {
    rt::block_on(async {
        let lock = Lock::new();
        let holder = lock.acquire().await.unwrap();
        for _ in 0..10 {
            assert_eq!(
                lock.acquire_timeout(Duration::from_millis(1))
                    .await
                    .unwrap_err(),
                LockError::Timeout
            );
        }
        assert_eq!(lock.queue_len().await.unwrap(), 0);
        drop(holder);
        assert!(!lock.is_locked().await.unwrap());
        let _g = lock.try_acquire().await.unwrap();
    });
}

#[test]
fn grant_to_a_dropped_waiter_is_returned() {
    rt::block_on(async {
        let lock = Lock::new();
        let holder = lock.acquire().await.unwrap();
        // Park waiters by polling their futures once, then drop them: the
        // grants they would have had must come back.
        for _ in 0..50 {
            let l = lock.clone();
            let mut fut = Box::pin(async move { l.acquire().await });
            assert!(poll_once(&mut fut).await.is_none());
            drop(fut);
        }
        drop(holder);
        let again = lock.acquire_timeout(LONG).await.unwrap();
        assert_eq!(lock.queue_len().await.unwrap(), 0);
        drop(again);
        // And in the race where the grant is already stored in the reply:
        let holder = lock.acquire().await.unwrap();
        let l = lock.clone();
        let mut fut = Box::pin(async move { l.acquire().await });
        assert!(poll_once(&mut fut).await.is_none());
        queued(&lock, 1).await;
        drop(holder);
        // the waiter is granted (status answers after the handoff) ...
        assert!(lock.is_locked().await.unwrap());
        // ... but gives up without ever looking at the grant
        drop(fut);
        assert!(!lock.is_locked().await.unwrap());
    });
}

#[test]
fn lease_expiry_makes_the_old_guard_stale() {
    rt::block_on(async {
        let lock = Lock::with_options(LockOptions {
            lease: Some(Duration::from_millis(30)),
        });
        let old = lock.acquire().await.unwrap();
        // The next acquire is granted when the lease runs out.
        let new = lock.acquire_timeout(LONG).await.unwrap();
        assert!(new.token() > old.token());
        assert_eq!(old.is_current().await, Ok(false));
        assert_eq!(old.release().await, Err(LockError::Stale));
        // the stale release changed nothing
        assert_eq!(lock.holder_token().await.unwrap(), Some(new.token()));
        new.release().await.unwrap();
    });
}

#[test]
fn stale_drop_is_silent_and_harmless() {
    rt::block_on(async {
        let lock = Lock::with_options(LockOptions {
            lease: Some(Duration::from_millis(10)),
        });
        let old = lock.acquire().await.unwrap();
        wait_until("lease expired", || async {
            !lock.is_locked().await.unwrap()
        })
        .await;
        let new = lock.acquire().await.unwrap();
        drop(old);
        assert_eq!(lock.holder_token().await.unwrap(), Some(new.token()));
    });
}

#[test]
fn stopped_actor_gives_errors_not_hangs() {
    rt::block_on(async {
        let lock = Lock::new();
        let holder = lock.acquire().await.unwrap();
        let waiter = {
            let lock = lock.clone();
            rt::spawn(async move { lock.acquire().await })
        };
        queued(&lock, 1).await;
        lock.addr().stop();
        lock.addr().wait_stopped().await;
        let err = waiter.await.unwrap().unwrap_err();
        assert!(
            matches!(err, LockError::Interrupted | LockError::Closed),
            "{err:?}"
        );
        assert_eq!(lock.acquire().await.unwrap_err(), LockError::Closed);
        assert_eq!(lock.try_acquire().await.unwrap_err(), LockError::Closed);
        assert_eq!(holder.release().await, Err(LockError::Stale));
    });
}

#[test]
fn options_deserialize_with_defaults() {
    use serde::de::value::{Error, MapDeserializer};
    type Map<'a> = MapDeserializer<'a, std::vec::IntoIter<(&'a str, &'a str)>, Error>;
    let empty: Map<'_> = MapDeserializer::new(vec![].into_iter());
    assert_eq!(
        LockOptions::deserialize(empty).unwrap(),
        LockOptions::default()
    );
    let lease: Map<'_> = MapDeserializer::new(vec![("lease", "250ms")].into_iter());
    assert_eq!(
        LockOptions::deserialize(lease).unwrap().lease,
        Some(Duration::from_millis(250))
    );
    let bad: Map<'_> = MapDeserializer::new(vec![("lease", "soon")].into_iter());
    assert!(LockOptions::deserialize(bad).is_err());
    let unknown: Map<'_> = MapDeserializer::new(vec![("leese", "1s")].into_iter());
    assert!(LockOptions::deserialize(unknown).is_err());
}

#[test]
fn stress_counter_reaches_exactly_n() {
    rt::block_on(async {
        const TASKS: u64 = 16;
        const ROUNDS: u64 = 100;
        let lock = Lock::new();
        // A read-yield-write increment: loses updates unless exclusive.
        let counter = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let (lock, counter) = (lock.clone(), counter.clone());
            tasks.push(rt::spawn(async move {
                for _ in 0..ROUNDS {
                    let g = lock.acquire().await.unwrap();
                    let v = counter.load(Ordering::SeqCst);
                    rt::yield_now().await;
                    counter.store(v + 1, Ordering::SeqCst);
                    drop(g);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(counter.load(Ordering::SeqCst), TASKS * ROUNDS);
        assert!(!lock.is_locked().await.unwrap());
    });
}

// ---- model-based property test ------------------------------------------

type Pending = Pin<Box<dyn Future<Output = Result<LockGuard, LockError>> + Send>>;

#[derive(Debug, Clone)]
enum Op {
    Acquire(usize),
    Cancel(usize),
    Release(usize),
    Try(usize),
    Settle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..6usize).prop_map(Op::Acquire),
        1 => (0..6usize).prop_map(Op::Cancel),
        2 => (0..6usize).prop_map(Op::Release),
        1 => (0..6usize).prop_map(Op::Try),
        2 => Just(Op::Settle),
    ]
}

enum Client {
    Idle,
    Waiting(Pending),
    Holding(LockGuard),
}

/// The sequential model: who holds, who waits in which order.
#[derive(Default)]
struct Model {
    holder: Option<usize>,
    queue: std::collections::VecDeque<usize>,
}

impl Model {
    fn pass_on(&mut self) {
        self.holder = self.queue.pop_front();
    }
}

/// Lets the actor catch up (an ask is answered after everything this task
/// sent before it), then compares it with the model.
async fn settle_and_check(lock: &Lock, clients: &mut [Client], model: &Model, last: &mut u64) {
    let status = lock.status().await.unwrap();
    for (i, c) in clients.iter_mut().enumerate() {
        if let Client::Waiting(fut) = c {
            if let Some(result) = poll_once(fut).await {
                let guard = result.unwrap();
                assert_eq!(model.holder, Some(i), "client {i} was granted out of order");
                assert!(guard.token() > *last, "token did not increase");
                *last = guard.token();
                *c = Client::Holding(guard);
            }
        }
    }
    let holders: Vec<usize> = (0..clients.len())
        .filter(|&i| matches!(clients[i], Client::Holding(_)))
        .collect();
    assert!(holders.len() <= 1, "double grant: {holders:?}");
    assert_eq!(holders.first().copied(), model.holder);
    assert_eq!(status.locked, model.holder.is_some());
    assert_eq!(status.queued, model.queue.len());
    if let Some(Client::Holding(g)) = model.holder.map(|h| &clients[h]) {
        assert_eq!(status.holder, Some(g.token()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn lock_matches_sequential_model(ops in proptest::collection::vec(op(), 1..40)) {
        rt::block_on(async move {
            let lock = Lock::new();
            let mut clients: Vec<Client> = (0..6).map(|_| Client::Idle).collect();
            let mut model = Model::default();
            let mut last = 0u64;
            for op in ops {
                match op {
                    Op::Acquire(i) if matches!(clients[i], Client::Idle) => {
                        let l = lock.clone();
                        let mut fut: Pending = Box::pin(async move { l.acquire().await });
                        // the first poll sends the request
                        let early = poll_once(&mut fut).await;
                        clients[i] = Client::Waiting(fut);
                        if model.holder.is_none() {
                            model.holder = Some(i);
                        } else {
                            model.queue.push_back(i);
                        }
                        if let Some(result) = early {
                            let guard = result.unwrap();
                            assert_eq!(model.holder, Some(i));
                            assert!(guard.token() > last);
                            last = guard.token();
                            clients[i] = Client::Holding(guard);
                        }
                    }
                    Op::Cancel(i) if matches!(clients[i], Client::Waiting(_)) => {
                        clients[i] = Client::Idle;
                        if model.holder == Some(i) {
                            // the grant raced the cancel: it returns itself
                            model.pass_on();
                        } else {
                            model.queue.retain(|&c| c != i);
                        }
                    }
                    Op::Release(i) if matches!(clients[i], Client::Holding(_)) => {
                        clients[i] = Client::Idle;
                        model.pass_on();
                    }
                    Op::Try(i) if matches!(clients[i], Client::Idle) => {
                        settle_and_check(&lock, &mut clients, &model, &mut last).await;
                        match lock.try_acquire().await {
                            Ok(guard) => {
                                assert!(model.holder.is_none() && model.queue.is_empty());
                                assert!(guard.token() > last);
                                last = guard.token();
                                model.holder = Some(i);
                                clients[i] = Client::Holding(guard);
                            }
                            Err(e) => {
                                assert_eq!(e, LockError::WouldBlock);
                                assert!(model.holder.is_some());
                            }
                        }
                    }
                    Op::Settle => settle_and_check(&lock, &mut clients, &model, &mut last).await,
                    _ => {}
                }
            }
            settle_and_check(&lock, &mut clients, &model, &mut last).await;
            // Everything is free once all guards and waiters are gone.
            for c in &mut clients {
                *c = Client::Idle;
            }
            let status = lock.status().await.unwrap();
            assert!(!status.locked && status.queued == 0, "{status:?}");
            let g = lock.try_acquire().await.unwrap();
            assert!(g.token() > last);
        });
    }
}
