//! Every primitive (the queue has its own suite) removes an abandoned
//! waiter at once, wherever it sits in the queue, and its status queries
//! change nothing (issue 12, defect 3).
//!
//! Each test parks N waiters behind a holder, drops them all, and checks
//! the very next status: no entry is left (`entries == 0`) though nothing
//! was released. The sweeps travel on the control lane, which the actor
//! serves before the status request sent after them, so this is exact.

use crate::common;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use common::cancel::run;
use common::wait::wait_until;
use futures_lite::future::poll_once;
use retinue::ReplyTo;
use retinue::sync::{
    Barrier, Condition, Event, Lock, ManualClock, RateLimiter, RateLimiterOptions, RwLock,
    Semaphore,
};

const N: usize = 50;

type Parked = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Polls each future once (sending its request); they must all park.
async fn park(futures: &mut [Parked]) {
    for f in futures.iter_mut() {
        assert!(poll_once(f).await.is_none(), "a wait did not park");
    }
}

fn parked<F: Future + Send + 'static>(f: F) -> Parked {
    Box::pin(async move {
        f.await;
    })
}

/// N waits built by `make` (given each one's index).
fn many<F: Future + Send + 'static>(make: impl Fn(usize) -> F) -> Vec<Parked> {
    (0..N).map(|i| parked(make(i))).collect()
}

#[test]
fn lock_removes_abandoned_waiters_at_once_and_status_is_read_only() {
    run(async {
        let lock = Lock::new();
        let held = lock.acquire().await.unwrap();
        let mut waits = many(|_| {
            let l = lock.clone();
            async move { l.acquire().await }
        });
        park(&mut waits).await;
        wait_until("all queued", || async {
            lock.status().await.unwrap().queued == N
        })
        .await;
        drop(waits);
        let s = lock.status().await.unwrap();
        assert_eq!((s.queued, s.entries), (0, 0), "{s:?}");
        assert_eq!(s.holder, Some(held.token()));

        // A protocol speaker that drops its own port sends no sweep: the
        // entry stays until the lock is served, and looking keeps it.
        let (port, reply) = ReplyTo::pair();
        lock.addr()
            .tell(retinue::sync::lock::Acquire(port))
            .await
            .unwrap();
        wait_until("raw waiter queued", || async {
            lock.status().await.unwrap().queued == 1
        })
        .await;
        drop(reply);
        for _ in 0..3 {
            let s = lock.status().await.unwrap();
            assert_eq!((s.queued, s.entries), (0, 1), "status changed state");
        }
        drop(held);
        wait_until("the lock is free", || async {
            let s = lock.status().await.unwrap();
            !s.locked && s.entries == 0
        })
        .await;
    });
}

#[test]
fn rwlock_removes_abandoned_waiters_at_once() {
    run(async {
        let rw = RwLock::new();
        let held = rw.write().await.unwrap();
        let mut waits = many(|i| {
            let rw = rw.clone();
            async move {
                // readers and writers, interleaved
                if i % 2 == 0 {
                    drop(rw.read().await);
                } else {
                    drop(rw.write().await);
                }
            }
        });
        park(&mut waits).await;
        wait_until("all queued", || async {
            rw.status().await.unwrap().queued == N
        })
        .await;
        drop(waits);
        let s = rw.status().await.unwrap();
        assert_eq!((s.queued, s.entries), (0, 0), "{s:?}");
        assert!(s.writer);
        drop(held);
    });
}

#[test]
fn semaphore_removes_abandoned_waiters_anywhere_in_the_queue() {
    run(async {
        let sem = Semaphore::new(0);
        // A live waiter at the head: the dropped ones sit behind it, where
        // serving from the head would never reach them.
        let head = {
            let sem = sem.clone();
            retinue::rt::spawn(async move { sem.acquire(1).await })
        };
        wait_until("head queued", || async {
            sem.status().await.unwrap().waiters == 1
        })
        .await;
        let mut waits = many(|_| {
            let sem = sem.clone();
            async move { sem.acquire(1).await }
        });
        park(&mut waits).await;
        wait_until("all queued", || async {
            sem.status().await.unwrap().waiters == N + 1
        })
        .await;
        drop(waits);
        let s = sem.status().await.unwrap();
        assert_eq!((s.waiters, s.entries), (1, 1), "{s:?}");
        sem.release(1).await.unwrap();
        drop(head.await.unwrap().unwrap());
        let s = sem.status().await.unwrap();
        assert_eq!((s.available, s.waiters, s.entries), (1, 0, 0));
    });
}

#[test]
fn rate_limiter_removes_abandoned_waiters_and_status_is_read_only() {
    run(async {
        let clock = ManualClock::new();
        let opts = RateLimiterOptions {
            rate: 1,
            period: Duration::from_secs(1),
            burst: Some(1),
        };
        let limiter = RateLimiter::with_clock(opts, clock.clone()).unwrap();
        limiter.acquire(1).await.unwrap(); // the bucket is empty now
        let head = {
            let l = limiter.clone();
            retinue::rt::spawn(async move { l.acquire(1).await })
        };
        wait_until("head queued", || async {
            limiter.status().await.unwrap().waiters == 1
        })
        .await;
        let mut waits = many(|_| {
            let l = limiter.clone();
            async move { l.acquire(1).await }
        });
        park(&mut waits).await;
        wait_until("all queued", || async {
            limiter.status().await.unwrap().waiters == N + 1
        })
        .await;
        drop(waits);
        let s = limiter.status().await.unwrap();
        assert_eq!((s.available, s.waiters, s.entries), (0, 1, 1), "{s:?}");
        clock.advance(Duration::from_secs(1));
        // The head is entitled to the new token: status says so without
        // serving it (the wake-up does that).
        let s = limiter.status().await.unwrap();
        assert_eq!((s.available, s.waiters), (0, 0), "{s:?}");
        head.await.unwrap().unwrap();
        let s = limiter.status().await.unwrap();
        assert_eq!((s.available, s.waiters, s.entries), (0, 0, 0), "{s:?}");
    });
}

#[test]
fn barrier_removes_abandoned_waiters_at_once() {
    run(async {
        let barrier = Barrier::new(N + 2).unwrap();
        let mut waits = many(|_| {
            let b = barrier.clone();
            async move { b.wait().await }
        });
        park(&mut waits).await;
        wait_until("all waiting", || async {
            barrier.status().await.unwrap().waiting == N
        })
        .await;
        drop(waits);
        let s = barrier.status().await.unwrap();
        assert_eq!((s.waiting, s.entries, s.generation), (0, 0, 0), "{s:?}");
    });
}

#[test]
fn event_removes_abandoned_waiters_at_once() {
    run(async {
        let event = Event::new();
        let mut waits = many(|_| {
            let e = event.clone();
            async move { e.wait().await }
        });
        park(&mut waits).await;
        wait_until("all waiting", || async {
            event.waiting().await.unwrap() == N
        })
        .await;
        drop(waits);
        let s = event.status().await.unwrap();
        assert_eq!((s.set, s.waiting, s.entries), (false, 0, 0), "{s:?}");
    });
}

#[test]
fn condition_removes_abandoned_waiters_at_once() {
    run(async {
        let lock = Lock::new();
        let cond = Condition::new(lock.clone());
        let mut waits: Vec<Parked> = Vec::new();
        for _ in 0..N {
            let g = lock.acquire().await.unwrap();
            let c = cond.clone();
            let mut w = parked(async move { c.wait(g).await });
            // parks and releases the lock for the next one
            park(std::slice::from_mut(&mut w)).await;
            waits.push(w);
        }
        wait_until("all waiting", || async {
            cond.waiting().await.unwrap() == N
        })
        .await;
        drop(waits);
        let s = cond.status().await.unwrap();
        assert_eq!((s.waiting, s.entries), (0, 0), "{s:?}");
        assert!(!lock.is_locked().await.unwrap());
    });
}
