//! Retry: attempts, backoff, predicates, and the breaker combination.
//! Sleeps go through an auto-advancing manual clock, which logs them.

use crate::common;

use common::cancel::run;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retinue::sync::{BreakerConfig, CallError, CircuitBreaker, ManualClock, State, TripPolicy};
use retinue::task::{Backoff, Jitter, OnRejected, Retry};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn exact(initial: u64, max: u64) -> Backoff {
    Backoff::exponential(ms(initial))
        .max(ms(max))
        .jitter(Jitter::None)
}

#[test]
fn max_attempts_counts_every_call_and_there_is_no_sleep_after_the_last() {
    run(async {
        let clock = ManualClock::auto_advance();
        let calls = AtomicU32::new(0);
        let result = Retry::new()
            .max_attempts(4)
            .backoff(exact(100, 250))
            .clock(clock.clone())
            .run(|| async {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                Err::<(), _>(format!("failure #{n}"))
            })
            .await;
        assert_eq!(result, Err("failure #4".to_string()), "the last real error");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(clock.sleep_log(), vec![ms(100), ms(200), ms(250)]);
    });
}

#[test]
fn success_stops_retrying() {
    run(async {
        let clock = ManualClock::auto_advance();
        let calls = AtomicU32::new(0);
        let result = Retry::new()
            .max_attempts(10)
            .backoff(exact(10, 1000))
            .clock(clock.clone())
            .run(|| async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err("flaky")
                } else {
                    Ok("fine")
                }
            })
            .await;
        assert_eq!(result, Ok("fine"));
        assert_eq!(clock.sleep_log(), vec![ms(10), ms(20)]);
    });
}

#[test]
fn a_non_retryable_error_returns_at_once_without_sleeping() {
    run(async {
        let clock = ManualClock::auto_advance();
        let calls = AtomicU32::new(0);
        let result = Retry::new()
            .max_attempts(5)
            .retry_if(|e: &&str| *e == "transient")
            .clock(clock.clone())
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>("fatal")
            })
            .await;
        assert_eq!(result, Err("fatal"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(clock.sleep_log().is_empty());
    });
}

#[test]
fn retry_on_result_returns_the_last_value_when_attempts_run_out() {
    run(async {
        let clock = ManualClock::auto_advance();
        let calls = AtomicU32::new(0);
        let result = Retry::new()
            .max_attempts(3)
            .backoff(exact(5, 5))
            .retry_on_result(|v: &u32| *v < 10)
            .clock(clock.clone())
            .run(|| async { Ok::<_, ()>(calls.fetch_add(1, Ordering::SeqCst)) })
            .await;
        assert_eq!(result, Ok(2), "the last real value, not an error");
        assert_eq!(clock.sleep_log().len(), 2);
    });
}

#[test]
fn zero_attempts_means_one() {
    run(async {
        let calls = AtomicU32::new(0);
        let r = Retry::new()
            .max_attempts(0)
            .clock(ManualClock::auto_advance())
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(())
            })
            .await;
        assert_eq!((r, calls.load(Ordering::SeqCst)), (Err(()), 1));
    });
}

#[test]
fn jitter_stays_within_its_bounds() {
    let full = Backoff::exponential(ms(100))
        .max(ms(1000))
        .jitter(Jitter::Full);
    let equal = Backoff::exponential(ms(100))
        .max(ms(1000))
        .jitter(Jitter::Equal);
    for retry in 0..8 {
        let cap = ms(100 * 2u64.pow(retry)).min(ms(1000));
        for _ in 0..50 {
            assert!(full.delay(retry) <= cap);
            let e = equal.delay(retry);
            assert!(e >= cap / 2 && e <= cap, "{e:?} vs {cap:?}");
        }
    }
    assert_eq!(Backoff::constant(ms(7)).delay(30), ms(7));
}

#[test]
fn backoff_config_reads_human_durations() {
    let b: Backoff =
        serde_json::from_str(r#"{ "initial": "50ms", "max": "2s", "jitter": "equal" }"#).unwrap();
    assert_eq!(
        (b.initial, b.max, b.jitter, b.multiplier),
        (ms(50), ms(2000), Jitter::Equal, 2.0)
    );
}

fn tripping_breaker(clock: &ManualClock, open_wait: Duration) -> CircuitBreaker {
    CircuitBreaker::spawn_with_clock(
        BreakerConfig {
            trip: TripPolicy::ConsecutiveFailures { failures: 1 },
            open_wait,
            ..BreakerConfig::default()
        },
        clock.clone(),
    )
    .unwrap()
}

#[test]
fn a_rejected_call_waits_for_the_breaker_not_the_backoff() {
    run(async {
        let clock = ManualClock::auto_advance();
        let breaker = tripping_breaker(&clock, ms(700));
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let result = Retry::new()
            .max_attempts(3)
            .backoff(exact(10, 10))
            .on_rejected(OnRejected::Wait {
                max: Duration::from_secs(1),
            })
            .clock(clock.clone())
            .run_breaker(&breaker, move || {
                let c = c.clone();
                async move {
                    if c.fetch_add(1, Ordering::SeqCst) == 0 {
                        Err("down")
                    } else {
                        Ok("up")
                    }
                }
            })
            .await;
        // 1: runs, fails, trips (sleep 10ms backoff). 2: rejected with
        // 690ms left (sleep exactly that). 3: the half-open trial succeeds.
        assert_eq!(result, Ok("up"));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "the rejected attempt never ran"
        );
        assert_eq!(clock.sleep_log(), vec![ms(10), ms(690)]);
        assert_eq!(breaker.state(), State::Closed);
    });
}

#[test]
fn a_rejected_call_gives_up_when_configured_or_when_the_wait_is_too_long() {
    run(async {
        for policy in [OnRejected::GiveUp, OnRejected::Wait { max: ms(100) }] {
            let clock = ManualClock::auto_advance();
            let breaker = tripping_breaker(&clock, Duration::from_secs(60));
            breaker.force_open().await.unwrap();
            let result = Retry::new()
                .max_attempts(5)
                .on_rejected(policy)
                .clock(clock.clone())
                .run_breaker(&breaker, || async { Ok::<_, ()>(1) })
                .await;
            assert!(matches!(result, Err(CallError::Rejected(_))), "{policy:?}");
            assert!(clock.sleep_log().is_empty(), "{policy:?}: gave up at once");
        }
    });
}

#[test]
fn errors_through_the_breaker_are_retried_and_the_inner_error_is_kept() {
    run(async {
        let clock = ManualClock::auto_advance();
        let breaker =
            CircuitBreaker::spawn_with_clock(BreakerConfig::default(), clock.clone()).unwrap();
        let result = Retry::new()
            .max_attempts(3)
            .backoff(exact(1, 1))
            .retry_if(|e: &&str| *e != "fatal")
            .clock(clock.clone())
            .run_breaker(&breaker, || async { Err::<(), _>("still down") })
            .await;
        assert_eq!(result, Err(CallError::Inner("still down")));
        assert_eq!(clock.sleep_log().len(), 2);
        let m = breaker.metrics().await.unwrap();
        assert_eq!(m.failures, 3);
    });
}
