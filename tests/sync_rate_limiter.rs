//! RateLimiter: unit tests, a property test of the rate bound and a stress
//! test. Time is measured, and only used in bounds that cannot flake: a
//! token bucket can never grant MORE than `burst + rate * elapsed / period`
//! tokens, and a grant that needs a refill cannot come before that refill.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};

const LONG: Duration = Duration::from_secs(10);
const HOUR: Duration = Duration::from_secs(3600);

async fn until_waiters(l: &RateLimiter, n: usize) {
    rt::timeout(LONG, async {
        while l.status().await.unwrap().waiters != n {
            rt::yield_now().await;
        }
    })
    .await
    .expect("waiter count never reached");
}

#[test]
fn burst_then_would_block_and_misuse_errors() {
    rt::block_on(async {
        assert_eq!(
            RateLimiter::new(0, HOUR).unwrap_err(),
            RateLimiterError::InvalidOptions
        );
        assert_eq!(
            RateLimiter::new(1, Duration::ZERO).unwrap_err(),
            RateLimiterError::InvalidOptions
        );
        let l = RateLimiter::with_options(RateLimiterOptions {
            rate: 1,
            period: HOUR,
            burst: Some(3),
        })
        .unwrap();
        assert_eq!(l.available().await, Ok(3));
        assert_eq!(l.try_acquire(0).await, Err(RateLimiterError::ZeroTokens));
        assert_eq!(
            l.acquire(4).await,
            Err(RateLimiterError::TooMany {
                requested: 4,
                burst: 3
            })
        );
        l.try_acquire(2).await.unwrap();
        l.acquire(1).await.unwrap();
        assert_eq!(l.try_acquire(1).await, Err(RateLimiterError::WouldBlock));
        assert_eq!(
            l.acquire_timeout(1, Duration::from_millis(10)).await,
            Err(RateLimiterError::Timeout)
        );
        until_waiters(&l, 0).await;
    });
}

#[test]
fn acquire_waits_for_the_refill() {
    rt::block_on(async {
        let period = Duration::from_millis(50);
        let start = Instant::now();
        let l = RateLimiter::new(1, period).unwrap();
        l.acquire(1).await.unwrap(); // the full bucket's one token
        l.acquire(1).await.unwrap(); // needs one refill
        let elapsed = start.elapsed();
        assert!(elapsed >= period - Duration::from_millis(1), "{elapsed:?}");
        assert!(elapsed < LONG);
    });
}

#[test]
fn fifo_big_request_at_head_is_served_first() {
    rt::block_on(async {
        let l = RateLimiter::with_options(RateLimiterOptions {
            rate: 1,
            period: Duration::from_millis(15),
            burst: Some(2),
        })
        .unwrap();
        l.acquire(2).await.unwrap(); // empty the bucket
        let mut big = Box::pin(l.acquire(2));
        assert!(poll_once(&mut big).await.is_none());
        until_waiters(&l, 1).await;
        let mut small = Box::pin(l.acquire(1));
        assert!(poll_once(&mut small).await.is_none());
        until_waiters(&l, 2).await;
        assert_eq!(l.try_acquire(1).await, Err(RateLimiterError::WouldBlock));
        // One token refills before two, yet the small request waits its
        // turn: by the time it is granted, the big one's grant is stored.
        assert_eq!(rt::timeout(LONG, &mut small).await, Ok(Ok(())));
        assert_eq!(poll_once(&mut big).await, Some(Ok(())));
    });
}

#[test]
fn abandoned_head_is_pruned() {
    rt::block_on(async {
        let l = RateLimiter::with_options(RateLimiterOptions {
            rate: 1,
            period: Duration::from_millis(20),
            burst: Some(3),
        })
        .unwrap();
        l.acquire(3).await.unwrap();
        let head = {
            let l = l.clone();
            rt::spawn(async move { l.acquire(3).await })
        };
        until_waiters(&l, 1).await;
        let next = {
            let l = l.clone();
            rt::spawn(async move { l.acquire(1).await })
        };
        until_waiters(&l, 2).await;
        head.abort();
        assert!(head.await.is_err());
        until_waiters(&l, 1).await;
        assert_eq!(rt::timeout(LONG, next).await.unwrap().unwrap(), Ok(()));
    });
}

#[test]
fn options_deserialize_human_durations() {
    use serde::de::value::{Error, MapDeserializer};
    let opts: RateLimiterOptions = serde::Deserialize::deserialize(
        MapDeserializer::<_, Error>::new([("period", "250ms")].into_iter()),
    )
    .unwrap();
    assert_eq!(opts.period, Duration::from_millis(250));
    assert_eq!(opts.rate, 10);
    let bad: Result<RateLimiterOptions, _> =
        serde::Deserialize::deserialize(MapDeserializer::<_, Error>::new(
            [("period", "5 parsecs")].into_iter(),
        ));
    assert!(bad.is_err());
}

/// Runs `tasks` concurrent clients taking `per_task` single tokens each and
/// checks the bucket never granted more than it could have.
async fn check_rate_bound(rate: u32, period: Duration, burst: u32, tasks: u32, per_task: u32) {
    let start = Instant::now();
    let l = RateLimiter::with_options(RateLimiterOptions {
        rate,
        period,
        burst: Some(burst),
    })
    .unwrap();
    let granted = Arc::new(AtomicU32::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let (l, granted, start) = (l.clone(), granted.clone(), start);
            rt::spawn(async move {
                for i in 0..per_task {
                    let r = if (t + i) % 4 == 0 {
                        l.try_acquire(1).await
                    } else if (t + i) % 4 == 1 {
                        l.acquire_timeout(1, Duration::from_millis(1)).await
                    } else {
                        l.acquire(1).await
                    };
                    if r.is_ok() {
                        let total = granted.fetch_add(1, Ordering::SeqCst) + 1;
                        let earned =
                            start.elapsed().as_secs_f64() / period.as_secs_f64() * f64::from(rate);
                        assert!(
                            f64::from(total) <= f64::from(burst) + earned + 1e-6,
                            "{total} grants after {:?} (rate {rate}/{period:?}, burst {burst})",
                            start.elapsed()
                        );
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    assert!(granted.load(Ordering::SeqCst) > 0);
}

#[test]
fn stress_never_exceeds_the_rate() {
    rt::block_on(check_rate_bound(1, Duration::from_millis(1), 5, 16, 8));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn grants_bounded_by_burst_plus_refill(
        rate in 1..4u32,
        period_ms in 1..4u64,
        burst in 1..5u32,
        tasks in 1..6u32,
        per_task in 1..6u32,
    ) {
        rt::block_on(check_rate_bound(rate, Duration::from_millis(period_ms), burst, tasks, per_task));
    }
}

// ---- model-based property test (time frozen) -------------------------------
//
// With a rate of one token per hour, no whole token refills during a test
// case, so the limiter must behave exactly like this sequential model: a
// bucket of `burst` tokens, FIFO waiters (a head that does not fit blocks),
// `try_acquire` never overtaking, and cancelled waiters skipped.

mod model {
    use std::collections::BTreeMap;
    use std::future::Future;
    use std::pin::Pin;

    use futures_lite::future::poll_once;
    use proptest::prelude::*;
    use retinue::rt;
    use retinue::sync::{RateLimiter, RateLimiterError, RateLimiterOptions};

    use super::HOUR;

    #[derive(Debug, Clone)]
    pub enum Op {
        Acquire(u32),
        TryAcquire(u32),
        Cancel(usize),
    }

    pub fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (1..=4u32).prop_map(Op::Acquire),
            2 => (1..=3u32).prop_map(Op::TryAcquire),
            2 => (0..4usize).prop_map(Op::Cancel),
        ]
    }

    type Pending = Pin<Box<dyn Future<Output = Result<(), RateLimiterError>> + Send>>;

    pub fn run(burst: u32, ops: Vec<Op>) {
        rt::block_on(async move {
            let l = RateLimiter::with_options(RateLimiterOptions {
                rate: 1,
                period: HOUR,
                burst: Some(burst),
            })
            .unwrap();
            let mut tokens = burst;
            let mut queue: Vec<(u64, u32)> = Vec::new();
            let mut granted: Vec<u64> = Vec::new();
            let mut pending: BTreeMap<u64, Pending> = BTreeMap::new();
            let mut done: Vec<u64> = Vec::new();
            let mut next = 0u64;
            for op in ops {
                match op {
                    Op::Acquire(n) => {
                        let id = next;
                        next += 1;
                        let ll = l.clone();
                        let mut fut: Pending = Box::pin(async move { ll.acquire(n).await });
                        if n > burst {
                            let e = RateLimiterError::TooMany {
                                requested: n,
                                burst,
                            };
                            assert_eq!(fut.await, Err(e));
                            continue;
                        }
                        match poll_once(&mut fut).await {
                            Some(r) => {
                                r.unwrap();
                                done.push(id);
                            }
                            None => {
                                pending.insert(id, fut);
                            }
                        }
                        queue.push((id, n));
                    }
                    Op::TryAcquire(n) => {
                        let real = l.try_acquire(n).await;
                        let model = if n > burst {
                            Err(RateLimiterError::TooMany {
                                requested: n,
                                burst,
                            })
                        } else if queue.is_empty() && n <= tokens {
                            tokens -= n;
                            Ok(())
                        } else {
                            Err(RateLimiterError::WouldBlock)
                        };
                        assert_eq!(real, model, "try_acquire({n})");
                    }
                    Op::Cancel(k) => {
                        if let Some(&(id, _)) = queue.get(k) {
                            if pending.remove(&id).is_some() {
                                queue.retain(|&(w, _)| w != id);
                            }
                        }
                    }
                }
                while let Some(&(id, n)) = queue.first() {
                    if n > tokens {
                        break;
                    }
                    tokens -= n;
                    queue.remove(0);
                    granted.push(id);
                }
                let status = l.status().await.unwrap();
                for id in pending.keys().copied().collect::<Vec<_>>() {
                    if let Some(r) = poll_once(pending.get_mut(&id).unwrap()).await {
                        pending.remove(&id);
                        match r {
                            Ok(()) => done.push(id),
                            Err(e) => panic!("waiter {id}: {e}"),
                        }
                    }
                }
                let mut real_done = done.clone();
                real_done.sort_unstable();
                let mut model_done = granted.clone();
                model_done.sort_unstable();
                assert_eq!(real_done, model_done, "granted waiters");
                assert_eq!(status.available, tokens);
                assert_eq!(status.waiters, queue.len());
            }
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn model_fifo_bucket_with_cancellation(burst in 1..4u32, ops in prop::collection::vec(model::op(), 1..40)) {
        model::run(burst, ops);
    }
}
