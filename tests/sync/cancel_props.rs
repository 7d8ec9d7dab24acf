//! Cancellation property tests for every coordination primitive but the
//! queue (which has its own model suite): clients start waits, are polled
//! by hand, and are dropped at random points — before their request is
//! read, while parked, after the grant was stored in their reply but
//! before they read it, and while holding what they were granted. At the
//! end everything is dropped and nothing may have leaked: locks free,
//! permits back, no waiter entry left (the status `entries` fields count
//! abandoned entries too), and no double grant was ever seen.
//!
//! Quick in CI (24 cases per primitive); set `RETINUE_PROPTEST_CASES`
//! for a longer run, e.g. `RETINUE_PROPTEST_CASES=2000`.

use crate::common;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use common::wait::wait_until;
use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{
    Barrier, CircuitBreaker, Condition, Event, Lock, LockGuard, ManualClock, RateLimiter,
    RateLimiterOptions, RwLock, RwLockReadGuard, RwLockUpgradableGuard, RwLockWriteGuard,
    Semaphore, SemaphorePermit, State,
};

const CLIENTS: usize = 5;

fn cases() -> u32 {
    std::env::var("RETINUE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

#[derive(Debug, Clone)]
enum Op {
    /// Client i starts a wait (if idle) and polls it once.
    Start(usize),
    /// Client i polls its wait once more.
    Poll(usize),
    /// Client i drops what it has: a wait (cancellation) or a grant.
    Drop(usize),
    /// Let the actors run; `true` also pokes the primitive (notify, set,
    /// advance the clock, ...).
    Settle(bool),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (0..CLIENTS).prop_map(Op::Start),
        3 => (0..CLIENTS).prop_map(Op::Poll),
        2 => (0..CLIENTS).prop_map(Op::Drop),
        2 => any::<bool>().prop_map(Op::Settle),
    ];
    prop::collection::vec(op, 1..60)
}

type Wait<G> = Pin<Box<dyn Future<Output = G> + Send>>;

enum Slot<G> {
    Idle,
    Waiting(Wait<G>),
    Holding(G),
}

impl<G> Slot<G> {
    fn held(&self) -> Option<&G> {
        match self {
            Slot::Holding(g) => Some(g),
            _ => None,
        }
    }
}

/// Runs `ops` against clients whose waits `start` builds; `check` sees the
/// grants held after every step (and asserts exclusion), `poke` is the
/// primitive-specific nudge of `Settle(true)`.
async fn drive<G: Send + 'static, P: Future<Output = ()>>(
    ops: &[Op],
    mut start: impl FnMut(usize) -> Wait<G>,
    mut check: impl FnMut(&[Option<&G>]),
    mut poke: impl FnMut() -> P,
) {
    let mut slots: Vec<Slot<G>> = (0..CLIENTS).map(|_| Slot::Idle).collect();
    for op in ops {
        match *op {
            Op::Start(i) if matches!(slots[i], Slot::Idle) => {
                slots[i] = Slot::Waiting(start(i));
                poll_slot(&mut slots[i]).await;
            }
            Op::Poll(i) => poll_slot(&mut slots[i]).await,
            Op::Drop(i) => slots[i] = Slot::Idle,
            Op::Settle(nudge) => {
                if nudge {
                    poke().await;
                }
                rt::sleep(Duration::from_millis(1)).await;
            }
            _ => {}
        }
        let held: Vec<Option<&G>> = slots.iter().map(Slot::held).collect();
        check(&held);
    }
}

async fn poll_slot<G>(slot: &mut Slot<G>) {
    if let Slot::Waiting(wait) = slot {
        if let Some(granted) = poll_once(wait).await {
            *slot = Slot::Holding(granted);
        }
    }
}

fn count<G>(held: &[Option<&G>]) -> usize {
    held.iter().filter(|g| g.is_some()).count()
}

async fn nothing() {}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn lock_leaks_nothing_under_random_cancellation(ops in ops()) {
        common::cancel::run(async {
            let lock = Lock::new();
            let l = lock.clone();
            drive(
                &ops,
                |_| {
                    let l = l.clone();
                    Box::pin(async move { l.acquire().await.unwrap() })
                },
                |held: &[Option<&LockGuard>]| assert!(count(held) <= 1, "two holders"),
                nothing,
            )
            .await;
            wait_until("the lock is free with no entries", || async {
                let s = lock.status().await.unwrap();
                !s.locked && s.queued == 0 && s.entries == 0
            })
            .await;
        });
    }

    #[test]
    fn rwlock_leaks_nothing_under_random_cancellation(ops in ops()) {
        common::cancel::run(async {
            let rw = RwLock::new();
            let r = rw.clone();
            drive(
                &ops,
                |i| {
                    let r = r.clone();
                    Box::pin(async move {
                        match i % 3 {
                            0 => Rw::W(r.write().await.unwrap()),
                            1 => Rw::U(r.upgradable_read().await.unwrap()),
                            _ => Rw::R(r.read().await.unwrap()),
                        }
                    })
                },
                |held: &[Option<&Rw>]| {
                    let writers = held.iter().flatten().filter(|g| matches!(g, Rw::W(_))).count();
                    let ups = held.iter().flatten().filter(|g| matches!(g, Rw::U(_))).count();
                    assert!(writers == 0 || count(held) == 1, "a writer is not alone");
                    assert!(ups <= 1, "two upgradable readers");
                },
                nothing,
            )
            .await;
            wait_until("the rwlock is free with no entries", || async {
                rw.status().await.unwrap() == Default::default()
            })
            .await;
        });
    }

    #[test]
    fn semaphore_gets_every_permit_back(ops in ops()) {
        common::cancel::run(async {
            const PERMITS: usize = 3;
            let sem = Semaphore::bounded(PERMITS);
            let s = sem.clone();
            drive(
                &ops,
                |i| {
                    let s = s.clone();
                    Box::pin(async move { s.acquire(1 + i % PERMITS).await.unwrap() })
                },
                |held: &[Option<&SemaphorePermit>]| {
                    let out: usize = held.iter().flatten().map(|p| p.permits()).sum();
                    assert!(out <= PERMITS, "{out} permits out of {PERMITS}");
                },
                nothing,
            )
            .await;
            wait_until("every permit is back, no entries", || async {
                let st = sem.status().await.unwrap();
                st.available == PERMITS && st.waiters == 0 && st.entries == 0
            })
            .await;
        });
    }

    #[test]
    fn rate_limiter_keeps_no_abandoned_waiter(ops in ops()) {
        common::cancel::run(async {
            let clock = ManualClock::new();
            let opts = RateLimiterOptions {
                rate: 1,
                period: Duration::from_secs(1),
                burst: Some(2),
            };
            let limiter = RateLimiter::with_clock(opts, clock.clone()).unwrap();
            let l = limiter.clone();
            drive(
                &ops,
                |i| {
                    let l = l.clone();
                    Box::pin(async move { l.acquire(1 + (i % 2) as u32).await.unwrap() })
                },
                |_: &[Option<&()>]| {},
                || {
                    clock.advance(Duration::from_secs(1));
                    nothing()
                },
            )
            .await;
            wait_until("no waiter entries", || async {
                let st = limiter.status().await.unwrap();
                st.waiters == 0 && st.entries == 0
            })
            .await;
            // The bucket still works: it refills to its burst.
            clock.advance(Duration::from_secs(2));
            wait_until("the bucket refilled", || async {
                limiter.status().await.unwrap().available == 2
            })
            .await;
        });
    }

    #[test]
    fn barrier_keeps_no_abandoned_party(ops in ops()) {
        common::cancel::run(async {
            let barrier = Barrier::new(3).unwrap();
            let b = barrier.clone();
            drive(
                &ops,
                |_| {
                    let b = b.clone();
                    Box::pin(async move { b.wait().await.unwrap() })
                },
                |_| {},
                nothing,
            )
            .await;
            wait_until("no parties waiting, no entries", || async {
                let st = barrier.status().await.unwrap();
                st.waiting == 0 && st.entries == 0 && !st.broken
            })
            .await;
        });
    }

    #[test]
    fn event_keeps_no_abandoned_waiter(ops in ops()) {
        common::cancel::run(async {
            let event = Event::new();
            let e = event.clone();
            let poker = event.clone();
            let mut set = false;
            drive(
                &ops,
                |_| {
                    let e = e.clone();
                    Box::pin(async move { e.wait().await.unwrap() })
                },
                |_| {},
                || {
                    set = !set;
                    let (poker, set) = (poker.clone(), set);
                    async move {
                        if set { poker.set().await.unwrap() } else { poker.clear().await.unwrap() }
                    }
                },
            )
            .await;
            wait_until("no waiter entries", || async {
                let st = event.status().await.unwrap();
                st.waiting == 0 && st.entries == 0
            })
            .await;
        });
    }

    #[test]
    fn condition_leaks_no_waiter_and_no_lock(ops in ops()) {
        common::cancel::run(async {
            let lock = Lock::new();
            let cond = Condition::new(lock.clone());
            let (l, c) = (lock.clone(), cond.clone());
            let (pl, pc) = (lock.clone(), cond.clone());
            drive(
                &ops,
                |_| {
                    let (l, c) = (l.clone(), c.clone());
                    Box::pin(async move {
                        let g = l.acquire().await.unwrap();
                        c.wait(g).await.unwrap()
                    })
                },
                |held: &[Option<&LockGuard>]| assert!(count(held) <= 1, "two lock holders"),
                || {
                    let (pl, pc) = (pl.clone(), pc.clone());
                    async move {
                        // notify only when the lock can be had at once (a
                        // client may hold it)
                        if let Ok(g) = pl.try_acquire().await {
                            pc.notify(&g, 1).await.unwrap();
                        }
                    }
                },
            )
            .await;
            wait_until("the lock is free, no condition entries", || async {
                let s = lock.status().await.unwrap();
                let c = cond.status().await.unwrap();
                !s.locked && s.entries == 0 && c.waiting == 0 && c.entries == 0
            })
            .await;
        });
    }

    #[test]
    fn breaker_trial_slots_come_back_under_random_cancellation(ops in ops()) {
        common::cancel::run(async {
            let cfg = retinue::sync::BreakerConfig {
                half_open_trials: 2,
                ..retinue::sync::BreakerConfig::default()
            };
            let breaker = CircuitBreaker::spawn_with_clock(cfg, ManualClock::new()).unwrap();
            breaker.transition_to_half_open().await.unwrap();
            let b = breaker.clone();
            // A "grant" here is a trial call that is running (it never
            // ends by itself); dropping the wait cancels the call.
            drive(
                &ops,
                |_| {
                    let b = b.clone();
                    Box::pin(async move {
                        let _ = b.call(std::future::pending::<Result<(), ()>>).await;
                    })
                },
                |_| {},
                nothing,
            )
            .await;
            // Every slot is free again: two trials are admitted and close
            // (a leaked slot would reject one of them).
            assert_eq!(breaker.state(), State::HalfOpen);
            for _ in 0..2 {
                breaker.call(|| async { Ok::<_, ()>(()) }).await.unwrap();
            }
            assert_eq!(breaker.state(), State::Closed);
        });
    }
}

enum Rw {
    R(#[allow(dead_code)] RwLockReadGuard),
    W(#[allow(dead_code)] RwLockWriteGuard),
    U(#[allow(dead_code)] RwLockUpgradableGuard),
}
