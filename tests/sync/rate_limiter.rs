//! RateLimiter: unit tests, a property test of the rate bound and a
//! model-based property test. Time comes from a `ManualClock`, so every
//! assertion about time is exact: a grant that needs a refill comes when
//! the clock has earned it, not a nanosecond before, and a token bucket
//! never grants more than `burst + rate * elapsed / period` tokens. One
//! smoke test runs on real time, with a bound that cannot flake.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{
    BreakerConfig, CircuitBreaker, Clock, ManualClock, RateLimiter, RateLimiterError,
    RateLimiterOptions,
};

/// Only a guard against hangs: no assertion depends on it.
const LONG: Duration = Duration::from_secs(10);
const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn limiter(clock: &ManualClock, rate: u32, period: Duration, burst: u32) -> RateLimiter {
    let opts = RateLimiterOptions {
        rate,
        period,
        burst: Some(burst),
    };
    RateLimiter::with_clock(opts, clock.clone()).unwrap()
}

async fn until_waiters(l: &RateLimiter, n: usize) {
    rt::timeout(LONG, async {
        while l.status().await.unwrap().waiters != n {
            rt::yield_now().await;
        }
    })
    .await
    .expect("waiter count never reached");
}

/// Checks the limiter holds exactly `available` tokens and `waiters`
/// waiters. A status query reports the bucket once the due waiters are
/// served, so this also proves nothing more was grantable.
async fn assert_status(l: &RateLimiter, available: u32, waiters: usize) {
    let s = l.status().await.unwrap();
    assert_eq!((s.available, s.waiters), (available, waiters), "{s:?}");
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
        let clock = ManualClock::new();
        let l = limiter(&clock, 1, HOUR, 3);
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

        // The timeout runs on the limiter's clock: it fires when the clock
        // reaches it, and the timed-out waiter leaves the queue.
        let mut timed = Box::pin(l.acquire_timeout(1, ms(10)));
        assert!(poll_once(&mut timed).await.is_none());
        until_waiters(&l, 1).await;
        clock.advance(ms(9));
        assert!(poll_once(&mut timed).await.is_none());
        clock.advance(ms(1));
        assert_eq!(
            rt::timeout(LONG, &mut timed).await,
            Ok(Err(RateLimiterError::Timeout))
        );
        until_waiters(&l, 0).await;
    });
}

#[test]
fn acquire_waits_for_exactly_one_refill() {
    rt::block_on(async {
        let clock = ManualClock::new();
        let l = limiter(&clock, 1, SEC, 1);
        l.acquire(1).await.unwrap(); // the full bucket's one token
        let mut next = Box::pin(l.acquire(1));
        assert!(poll_once(&mut next).await.is_none());
        until_waiters(&l, 1).await;
        clock.advance(ms(999));
        assert_status(&l, 0, 1).await;
        assert!(poll_once(&mut next).await.is_none());
        clock.advance(ms(1));
        assert_eq!(rt::timeout(LONG, &mut next).await, Ok(Ok(())));
        assert_status(&l, 0, 0).await;
        // The refill timer was set for exactly the missing second.
        assert_eq!(clock.sleep_log().first(), Some(&SEC));
    });
}

#[test]
fn fractional_rates_are_exact() {
    rt::block_on(async {
        // 3 tokens per second: one token takes 333_333_333.3 ns, so it is
        // earned at 333_333_334 ns, and not before.
        let clock = ManualClock::new();
        let l = limiter(&clock, 3, SEC, 1);
        l.acquire(1).await.unwrap();
        let mut next = Box::pin(l.acquire(1));
        assert!(poll_once(&mut next).await.is_none());
        until_waiters(&l, 1).await;
        let third = Duration::from_nanos(333_333_334);
        assert_eq!(clock.sleep_log().first(), Some(&third));
        clock.advance(third - Duration::from_nanos(1));
        assert_status(&l, 0, 1).await;
        clock.advance(Duration::from_nanos(1));
        assert_eq!(rt::timeout(LONG, &mut next).await, Ok(Ok(())));
        // It refills to its burst of one, and no further.
        clock.advance(SEC);
        assert_status(&l, 1, 0).await;
    });
}

#[test]
fn the_bucket_never_holds_more_than_burst() {
    rt::block_on(async {
        let clock = ManualClock::new();
        let l = limiter(&clock, 2, SEC, 3);
        l.acquire(3).await.unwrap();
        assert_status(&l, 0, 0).await;
        clock.advance(ms(500));
        assert_status(&l, 1, 0).await;
        clock.advance(Duration::from_secs(100));
        assert_status(&l, 3, 0).await;
        l.acquire(3).await.unwrap();
        assert_eq!(l.try_acquire(1).await, Err(RateLimiterError::WouldBlock));
    });
}

#[test]
fn fifo_big_request_at_head_is_served_first() {
    rt::block_on(async {
        let clock = ManualClock::new();
        let l = limiter(&clock, 1, SEC, 2);
        l.acquire(2).await.unwrap(); // empty the bucket
        let mut big = Box::pin(l.acquire(2));
        assert!(poll_once(&mut big).await.is_none());
        until_waiters(&l, 1).await;
        let mut small = Box::pin(l.acquire(1));
        assert!(poll_once(&mut small).await.is_none());
        until_waiters(&l, 2).await;
        // One token has refilled, enough for the small request, yet it
        // waits its turn behind the big one; try_acquire does not
        // overtake either.
        clock.advance(SEC);
        assert_eq!(l.try_acquire(1).await, Err(RateLimiterError::WouldBlock));
        assert_status(&l, 1, 2).await;
        assert!(poll_once(&mut small).await.is_none());
        clock.advance(SEC);
        assert_eq!(rt::timeout(LONG, &mut big).await, Ok(Ok(())));
        assert_status(&l, 0, 1).await;
        assert!(poll_once(&mut small).await.is_none());
        clock.advance(SEC);
        assert_eq!(rt::timeout(LONG, &mut small).await, Ok(Ok(())));
    });
}

#[test]
fn waiters_behind_a_blocked_head_share_one_timer() {
    rt::block_on(async {
        let clock = ManualClock::new();
        let l = limiter(&clock, 1, SEC, 1);
        l.acquire(1).await.unwrap();
        let mut waiting: Vec<_> = (0..5).map(|_| Box::pin(l.acquire(1))).collect();
        for w in &mut waiting {
            assert!(poll_once(w).await.is_none());
        }
        until_waiters(&l, 5).await;
        assert_status(&l, 0, 5).await;
        // Six serves (five arrivals, status queries) and one timer.
        assert_eq!(clock.sleep_log(), [SEC]);
        // Time moves as soon as a grant is seen, possibly before the actor
        // has armed the next timer: its deadline is absolute, so waiter
        // `i` is still served at exactly `i + 1` seconds.
        for (i, w) in waiting.iter_mut().enumerate() {
            clock.advance(SEC);
            assert_eq!(rt::timeout(LONG, w).await, Ok(Ok(())), "waiter {i}");
        }
        assert_status(&l, 0, 0).await;
        // One timer per head that had to wait.
        assert_eq!(clock.sleep_log().len(), 5);
    });
}

#[test]
fn abandoned_head_is_pruned() {
    rt::block_on(async {
        let clock = ManualClock::new();
        let l = limiter(&clock, 1, SEC, 3);
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
        // One second earns the token `next` needs; had the abandoned head
        // stayed, it would need three.
        clock.advance(SEC);
        assert_eq!(rt::timeout(LONG, next).await.unwrap().unwrap(), Ok(()));
    });
}

#[test]
fn acquire_timeout_succeeds_when_the_refill_comes_first() {
    rt::block_on(async {
        let clock = ManualClock::new();
        let l = limiter(&clock, 1, SEC, 1);
        l.acquire(1).await.unwrap();
        let mut timed = Box::pin(l.acquire_timeout(1, ms(1500)));
        assert!(poll_once(&mut timed).await.is_none());
        until_waiters(&l, 1).await;
        clock.advance(SEC);
        assert_eq!(rt::timeout(LONG, &mut timed).await, Ok(Ok(())));
        // The timeout's sleep was asked for on the same clock.
        assert!(clock.sleep_log().contains(&ms(1500)));
    });
}

#[test]
fn one_clock_drives_a_breaker_and_a_limiter() {
    rt::block_on(async {
        let clock = ManualClock::new();
        let breaker =
            CircuitBreaker::spawn_with_clock(BreakerConfig::default(), clock.clone()).unwrap();
        // The breaker's clock, shared as an `Arc<dyn Clock>`.
        let shared: Arc<dyn Clock> = breaker.clock().clone();
        let opts = RateLimiterOptions {
            rate: 1,
            period: SEC,
            burst: None,
        };
        let l = RateLimiter::with_clock(opts, shared).unwrap();
        l.acquire(1).await.unwrap();
        assert_status(&l, 0, 0).await;
        clock.advance(SEC);
        assert_status(&l, 1, 0).await;
        assert_eq!(l.clock().now(), clock.now());
    });
}

#[test]
fn real_time_smoke_test() {
    // On the system clock a grant that needs a refill cannot come before
    // the refill: a lower bound that holds however slow the machine is.
    rt::block_on(async {
        let period = ms(30);
        let start = Instant::now();
        let l = RateLimiter::new(1, period).unwrap();
        l.acquire(1).await.unwrap();
        rt::timeout(LONG, l.acquire(1)).await.unwrap().unwrap();
        assert!(start.elapsed() >= period, "{:?}", start.elapsed());
        // A real-time deadline, on a limiter that cannot refill in time.
        let slow = RateLimiter::new(1, HOUR).unwrap();
        slow.acquire(1).await.unwrap();
        assert_eq!(
            rt::timeout(LONG, slow.acquire_timeout(1, ms(1))).await,
            Ok(Err(RateLimiterError::Timeout))
        );
    });
}

#[test]
fn options_deserialize_human_durations() {
    use serde::de::value::{Error, MapDeserializer};
    let opts: RateLimiterOptions = serde::Deserialize::deserialize(
        MapDeserializer::<_, Error>::new([("period", "250ms")].into_iter()),
    )
    .unwrap();
    assert_eq!(opts.period, ms(250));
    assert_eq!(opts.rate, 10);
    let bad: Result<RateLimiterOptions, _> =
        serde::Deserialize::deserialize(MapDeserializer::<_, Error>::new(
            [("period", "5 parsecs")].into_iter(),
        ));
    assert!(bad.is_err());
}

/// Counts a finished client, also when it panicked.
struct Finished(Arc<AtomicU32>);
impl Drop for Finished {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs `tasks` concurrent clients taking `per_task` single tokens each
/// while time moves in `step`s (only when someone sleeps on the clock),
/// and checks every grant against the bound at the instant it was seen.
async fn check_rate_bound(
    rate: u32,
    period: Duration,
    burst: u32,
    tasks: u32,
    per_task: u32,
    step: Duration,
) {
    let clock = ManualClock::new();
    let start = clock.now();
    let l = limiter(&clock, rate, period, burst);
    let unit = period.as_nanos();
    let granted = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicU32::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let (l, clock, granted) = (l.clone(), clock.clone(), granted.clone());
            let done = Finished(finished.clone());
            rt::spawn(async move {
                let _done = done;
                let mut must_succeed = 0u64;
                for i in 0..per_task {
                    let r = match (t + i) % 4 {
                        0 => l.try_acquire(1).await,
                        1 => l.acquire_timeout(1, step).await,
                        _ => {
                            must_succeed += 1;
                            l.acquire(1).await
                        }
                    };
                    if r.is_ok() {
                        let total = granted.fetch_add(1, Ordering::SeqCst) + 1;
                        let elapsed = (clock.now() - start).as_nanos();
                        let allowed = u128::from(burst) * unit + elapsed * u128::from(rate);
                        assert!(
                            u128::from(total) * unit <= allowed,
                            "{total} grants after {elapsed} ns (rate {rate}/{period:?}, burst {burst})"
                        );
                    }
                }
                must_succeed
            })
        })
        .collect();
    rt::timeout(LONG, async {
        while finished.load(Ordering::SeqCst) < tasks {
            if clock.sleepers() > 0 {
                clock.advance(step);
            }
            rt::yield_now().await;
        }
    })
    .await
    .expect("the clients never finished");
    let mut must_succeed = 0;
    for h in handles {
        must_succeed += h.await.unwrap();
    }
    assert!(granted.load(Ordering::SeqCst) >= must_succeed);
}

#[test]
fn stress_never_exceeds_the_rate() {
    rt::block_on(check_rate_bound(1, ms(10), 5, 16, 8, ms(3)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn grants_bounded_by_burst_plus_refill(
        rate in 1..4u32,
        period_ms in 1..40u64,
        burst in 1..5u32,
        tasks in 1..6u32,
        per_task in 1..6u32,
        step_us in 100..20_000u64,
    ) {
        rt::block_on(check_rate_bound(
            rate,
            ms(period_ms),
            burst,
            tasks,
            per_task,
            Duration::from_micros(step_us),
        ));
    }
}

// ---- model-based property test (time in quarter periods) -------------------
//
// One token per second, and time moves only in quarter seconds, so the
// bucket's contents are always a whole number of quarter tokens and the
// limiter must behave exactly like this sequential model: a bucket of at
// most `burst` tokens, FIFO waiters (a head that does not fit blocks),
// `try_acquire` never overtaking, and cancelled waiters skipped.

mod model {
    use std::collections::BTreeMap;
    use std::future::Future;
    use std::pin::Pin;
    use std::time::Duration;

    use futures_lite::future::poll_once;
    use proptest::prelude::*;
    use retinue::rt;
    use retinue::sync::{ManualClock, RateLimiterError};

    const QUARTER: Duration = Duration::from_millis(250);

    #[derive(Debug, Clone)]
    pub enum Op {
        Acquire(u32),
        TryAcquire(u32),
        Cancel(usize),
        /// Move the clock this many quarter seconds.
        Advance(u32),
    }

    pub fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (1..=4u32).prop_map(Op::Acquire),
            2 => (1..=3u32).prop_map(Op::TryAcquire),
            2 => (0..4usize).prop_map(Op::Cancel),
            2 => (1..=6u32).prop_map(Op::Advance),
        ]
    }

    type Pending = Pin<Box<dyn Future<Output = Result<(), RateLimiterError>> + Send>>;

    pub fn run(burst: u32, ops: Vec<Op>) {
        rt::block_on(async move {
            let clock = ManualClock::new();
            let l = super::limiter(&clock, 1, super::SEC, burst);
            // Contents in quarter tokens.
            let mut quarters = burst * 4;
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
                        } else if queue.is_empty() && n * 4 <= quarters {
                            quarters -= n * 4;
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
                    Op::Advance(q) => {
                        clock.advance(QUARTER * q);
                        quarters = (quarters + q).min(burst * 4);
                    }
                }
                while let Some(&(id, n)) = queue.first() {
                    if n * 4 > quarters {
                        break;
                    }
                    quarters -= n * 4;
                    queue.remove(0);
                    granted.push(id);
                }
                // A status query is read-only: it reports the bucket as it
                // is once the due waiters are served.
                let status = l.status().await.unwrap();
                assert_eq!(status.available, quarters / 4);
                assert_eq!(status.waiters, queue.len());
                // The due waiters are served when their wake-up arrives;
                // the others stay parked.
                for id in pending.keys().copied().collect::<Vec<_>>() {
                    let fut = pending.get_mut(&id).unwrap();
                    let r = if granted.contains(&id) {
                        Some(
                            rt::timeout(super::LONG, fut)
                                .await
                                .expect("due grant never came"),
                        )
                    } else {
                        poll_once(fut).await
                    };
                    if let Some(r) = r {
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
