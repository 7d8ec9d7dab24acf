//! Circuit breaker behaviour, driven by a manual clock (no real waits).

use crate::common;

use common::breaker::{consecutive, fail, ms, ok};
use common::cancel::run;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use retinue::rt;
use retinue::sync::{
    BreakerConfig, CallError, CircuitBreaker, Clock, ManualClock, OpenBackoff, Outcome, SlowCalls,
    State, TripPolicy, Window,
};

/// Trips at a 50 % failure rate over the last four calls, once four calls
/// have been seen.
fn half_of_last_four() -> BreakerConfig {
    BreakerConfig {
        trip: TripPolicy::FailureRate { rate: 0.5 },
        window: Window::Count(4),
        minimum_calls: 4,
        ..BreakerConfig::default()
    }
}

fn is_rejected<T, E>(r: &Result<T, CallError<E>>) -> bool {
    matches!(r, Err(CallError::Rejected(_)))
}

/// A call that blocks until released; tells when it has started running.
struct Pending {
    started: async_channel::Receiver<()>,
    release: async_channel::Sender<Result<u32, &'static str>>,
    task: rt::JoinHandle<Result<u32, CallError<&'static str>>>,
}

fn pending_call(b: &CircuitBreaker) -> Pending {
    let (started_tx, started) = async_channel::unbounded();
    let (release, release_rx) = async_channel::unbounded();
    let b = b.clone();
    let task = rt::spawn(async move {
        b.call(|| async move {
            let _ = started_tx.send(()).await;
            release_rx.recv().await.unwrap_or(Err("released by drop"))
        })
        .await
    });
    Pending {
        started,
        release,
        task,
    }
}

#[test]
fn consecutive_failures_trip_and_a_success_resets_the_count() {
    run(async {
        let b = CircuitBreaker::spawn_with_clock(consecutive(3), ManualClock::new()).unwrap();
        fail(&b).await.unwrap_err();
        fail(&b).await.unwrap_err();
        assert_eq!(ok(&b).await, Ok(1)); // resets
        fail(&b).await.unwrap_err();
        fail(&b).await.unwrap_err();
        assert_eq!(b.state(), State::Closed);
        assert_eq!(fail(&b).await, Err(CallError::Inner("boom")));
        assert_eq!(b.state(), State::Open);
        let ran = Arc::new(AtomicBool::new(false));
        let r = b
            .call(|| {
                let ran = ran.clone();
                async move {
                    ran.store(true, Ordering::SeqCst);
                    Ok::<_, &str>(1)
                }
            })
            .await;
        assert!(is_rejected(&r));
        assert!(!ran.load(Ordering::SeqCst), "a rejected call must not run");
    });
}

#[test]
fn rejected_calls_never_count_and_say_how_long_to_wait() {
    run(async {
        let clock = ManualClock::new();
        let b = CircuitBreaker::spawn_with_clock(consecutive(1), clock.clone()).unwrap();
        fail(&b).await.unwrap_err();
        clock.advance(Duration::from_secs(4));
        for _ in 0..5 {
            match ok(&b).await {
                Err(CallError::Rejected(r)) => {
                    assert_eq!(r.state, State::Open);
                    assert_eq!(r.retry_after, Some(Duration::from_secs(6)));
                }
                other => panic!("expected a rejection, got {other:?}"),
            }
        }
        let m = b.metrics().await.unwrap();
        assert_eq!((m.calls, m.failures, m.rejected), (1, 1, 5));
    });
}

#[test]
fn failure_rate_over_a_count_window_needs_minimum_calls() {
    run(async {
        let b = CircuitBreaker::spawn_with_clock(half_of_last_four(), ManualClock::new()).unwrap();
        // 3 failures of 3 calls: 100%, but under the minimum.
        for _ in 0..3 {
            fail(&b).await.unwrap_err();
        }
        assert_eq!(b.metrics().await.unwrap().failure_rate, None);
        assert_eq!(b.state(), State::Closed);
        ok(&b).await.unwrap(); // 3/4 = 75% >= 50%
        // A success is reported fire-and-forget; the metrics ask (ordinary
        // lane) is served after every control-lane report before it.
        assert_eq!(b.metrics().await.unwrap().state, State::Open);
        assert_eq!(b.state(), State::Open);
    });
}

#[test]
fn count_window_forgets_old_calls() {
    run(async {
        let b = CircuitBreaker::spawn_with_clock(half_of_last_four(), ManualClock::new()).unwrap();
        fail(&b).await.unwrap_err();
        for _ in 0..4 {
            ok(&b).await.unwrap();
        }
        // The failure fell out: 1 failure in the last 4 would need 2 more.
        fail(&b).await.unwrap_err();
        assert_eq!(b.metrics().await.unwrap().failure_rate, Some(0.25));
        fail(&b).await.unwrap_err();
        assert_eq!(b.state(), State::Open);
    });
}

#[test]
fn time_window_forgets_calls_older_than_its_span() {
    run(async {
        let clock = ManualClock::new();
        let cfg = BreakerConfig {
            trip: TripPolicy::FailureRate { rate: 0.5 },
            window: Window::Time(Duration::from_secs(10)),
            minimum_calls: 2,
            ..BreakerConfig::default()
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        fail(&b).await.unwrap_err();
        clock.advance(Duration::from_secs(11));
        ok(&b).await.unwrap();
        ok(&b).await.unwrap();
        let m = b.metrics().await.unwrap();
        assert_eq!((m.window_calls, m.failure_rate), (2, Some(0.0)));
        fail(&b).await.unwrap_err(); // 1/3
        assert_eq!(b.state(), State::Closed);
        fail(&b).await.unwrap_err(); // 2/4 = 50%
        assert_eq!(b.state(), State::Open);
    });
}

#[test]
fn slow_calls_trip_on_their_own_rate() {
    run(async {
        let clock = ManualClock::new();
        let cfg = BreakerConfig {
            trip: TripPolicy::ConsecutiveFailures { failures: 100 },
            window: Window::Count(10),
            minimum_calls: 2,
            slow_calls: Some(SlowCalls {
                threshold: ms(500),
                rate: 1.0,
            }),
            ..BreakerConfig::default()
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        for i in 0..2 {
            let p = pending_call(&b);
            p.started.recv().await.unwrap();
            clock.advance(ms(501));
            p.release.send(Ok(i)).await.unwrap();
            assert_eq!(
                p.task.await.unwrap(),
                Ok(i),
                "slow calls still return their value"
            );
        }
        let m = b.metrics().await.unwrap();
        assert_eq!((m.slow, m.failures, m.slow_rate), (2, 0, Some(1.0)));
        assert_eq!(b.state(), State::Open);
    });
}

#[test]
fn classification_ignores_some_errors_and_fails_some_values() {
    run(async {
        let b = CircuitBreaker::spawn_with_clock(consecutive(2), ManualClock::new()).unwrap();
        let classify = |r: &Result<u32, u32>| match r {
            Ok(0) => Outcome::Failure, // an empty answer is a failure
            Ok(_) => Outcome::Success,
            Err(404) => Outcome::Ignore, // not the service's fault
            Err(409) => Outcome::Success,
            Err(_) => Outcome::Failure,
        };
        for _ in 0..5 {
            let r = b
                .call_with(classify, || async { Err::<u32, u32>(404) })
                .await;
            assert_eq!(r, Err(CallError::Inner(404)));
        }
        let m = b.metrics().await.unwrap();
        assert_eq!((m.calls, m.ignored, m.failures), (0, 5, 0));
        b.call_with(classify, || async { Ok::<u32, u32>(0) })
            .await
            .unwrap();
        b.call_with(classify, || async { Err::<u32, u32>(409) })
            .await
            .unwrap_err();
        b.call_with(classify, || async { Ok::<u32, u32>(0) })
            .await
            .unwrap();
        assert_eq!(
            b.state(),
            State::Closed,
            "409 counted as a success in between"
        );
        b.call_with(classify, || async { Ok::<u32, u32>(0) })
            .await
            .unwrap();
        assert_eq!(b.state(), State::Open, "Ok(0) classified as failure trips");
    });
}

#[test]
fn half_open_after_the_wait_admits_exactly_n_trials_and_closes() {
    run(async {
        let clock = ManualClock::new();
        let cfg = BreakerConfig {
            half_open_trials: 2,
            ..consecutive(1)
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        let mut changes = b.subscribe().await.unwrap();
        fail(&b).await.unwrap_err();
        clock.advance(ms(9_999));
        assert!(is_rejected(&ok(&b).await));
        clock.advance(ms(1));
        let t1 = pending_call(&b);
        t1.started.recv().await.unwrap();
        assert_eq!(b.state(), State::HalfOpen);
        let t2 = pending_call(&b);
        t2.started.recv().await.unwrap();
        match ok(&b).await {
            Err(CallError::Rejected(r)) => {
                assert_eq!((r.state, r.retry_after), (State::HalfOpen, None));
            }
            other => panic!("a third trial must be rejected, got {other:?}"),
        }
        t1.release.send(Ok(1)).await.unwrap();
        assert_eq!(t1.task.await.unwrap(), Ok(1));
        assert_eq!(
            b.state(),
            State::HalfOpen,
            "one of two trials is not enough"
        );
        t2.release.send(Ok(2)).await.unwrap();
        assert_eq!(t2.task.await.unwrap(), Ok(2));
        assert_eq!(b.state(), State::Closed);
        let seen: Vec<(State, State)> = std::iter::from_fn(|| changes.try_recv())
            .map(|t| (t.from, t.to))
            .collect();
        assert_eq!(
            seen,
            vec![
                (State::Closed, State::Open),
                (State::Open, State::HalfOpen),
                (State::HalfOpen, State::Closed)
            ]
        );
    });
}

#[test]
fn a_failing_trial_reopens_and_restarts_the_wait() {
    run(async {
        let clock = ManualClock::new();
        let b = CircuitBreaker::spawn_with_clock(consecutive(1), clock.clone()).unwrap();
        fail(&b).await.unwrap_err();
        clock.advance(Duration::from_secs(10));
        assert_eq!(fail(&b).await, Err(CallError::Inner("boom"))); // the trial ran
        assert_eq!(b.state(), State::Open);
        match ok(&b).await {
            Err(CallError::Rejected(r)) => assert_eq!(r.retry_after, Some(Duration::from_secs(10))),
            other => panic!("expected a rejection, got {other:?}"),
        }
    });
}

#[test]
fn open_wait_backs_off_exponentially_with_a_cap_and_resets_on_close() {
    run(async {
        let clock = ManualClock::new();
        let cfg = BreakerConfig {
            open_wait: Duration::from_secs(1),
            open_backoff: Some(OpenBackoff {
                multiplier: 2.0,
                max: Duration::from_secs(3),
                jitter: 0.0,
            }),
            ..consecutive(1)
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        let wait = |r: Result<u32, CallError<&str>>| r.unwrap_err().rejected().unwrap().retry_after;
        fail(&b).await.unwrap_err();
        assert_eq!(wait(ok(&b).await), Some(Duration::from_secs(1)));
        for expected in [2, 3, 3] {
            clock.advance(Duration::from_secs(expected));
            fail(&b).await.unwrap_err(); // failing trial
            // Waits grow 1 -> 2 -> 3 (cap) -> 3.
            assert_eq!(wait(ok(&b).await), Some(Duration::from_secs(expected)));
        }
        clock.advance(Duration::from_secs(3));
        ok(&b).await.unwrap(); // trial succeeds: closed, backoff reset
        assert_eq!(b.state(), State::Closed);
        fail(&b).await.unwrap_err();
        assert_eq!(wait(ok(&b).await), Some(Duration::from_secs(1)));
    });
}

#[test]
fn automatic_transition_moves_to_half_open_by_timer() {
    run(async {
        let clock = ManualClock::new();
        let cfg = BreakerConfig {
            automatic_transition: true,
            ..consecutive(1)
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        let mut changes = b.subscribe().await.unwrap();
        fail(&b).await.unwrap_err();
        assert_eq!(changes.recv().await.unwrap().to, State::Open);
        clock.wait_for_sleepers(1).await;
        clock.advance(Duration::from_secs(10));
        let t = changes.recv().await.unwrap();
        assert_eq!((t.from, t.to), (State::Open, State::HalfOpen));
        assert_eq!(b.state(), State::HalfOpen);
    });
}

#[test]
fn a_call_past_its_timeout_is_cancelled_and_counts_as_a_failure() {
    run(async {
        let clock = ManualClock::new();
        let cfg = BreakerConfig {
            call_timeout: Some(ms(200)),
            ..consecutive(1)
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        let (dropped_tx, dropped_rx) = async_channel::bounded::<()>(1);
        let (started_tx, started_rx) = async_channel::bounded::<()>(1);
        let caller = {
            let b = b.clone();
            rt::spawn(async move {
                b.call(|| async move {
                    let _guard = DropSignal(dropped_tx);
                    let _ = started_tx.send(()).await;
                    std::future::pending::<Result<u32, &str>>().await
                })
                .await
            })
        };
        started_rx.recv().await.unwrap();
        clock.wait_for_sleepers(1).await;
        clock.advance(ms(200));
        assert_eq!(caller.await.unwrap(), Err(CallError::Timeout(ms(200))));
        assert!(dropped_rx.recv().await.is_err(), "the guard was dropped");
        let m = b.metrics().await.unwrap();
        assert_eq!((m.calls, m.failures), (1, 1));
        assert_eq!(b.state(), State::Open);
    });
}

struct DropSignal(#[allow(dead_code)] async_channel::Sender<()>);

#[test]
fn a_cancelled_trial_gives_its_slot_back() {
    run(async {
        let clock = ManualClock::new();
        let b = CircuitBreaker::spawn_with_clock(consecutive(1), clock.clone()).unwrap();
        fail(&b).await.unwrap_err();
        clock.advance(Duration::from_secs(10));
        let trial = pending_call(&b);
        trial.started.recv().await.unwrap();
        assert!(is_rejected(&ok(&b).await), "the only slot is taken");
        trial.task.abort();
        assert!(trial.task.await.is_err());
        // The permit's Drop released the slot on the control lane.
        assert_eq!(ok(&b).await, Ok(1));
        assert_eq!(b.state(), State::Closed);
    });
}

#[test]
fn manual_control_force_open_disable_force_closed_reset() {
    run(async {
        let b = CircuitBreaker::spawn_with_clock(consecutive(1), ManualClock::new()).unwrap();
        let mut changes = b.subscribe().await.unwrap();
        b.force_open().await.unwrap();
        match ok(&b).await {
            Err(CallError::Rejected(r)) => {
                assert_eq!((r.state, r.retry_after), (State::ForcedOpen, None))
            }
            other => panic!("expected rejection, got {other:?}"),
        }
        b.disable().await.unwrap();
        for _ in 0..5 {
            fail(&b).await.unwrap_err();
        }
        assert_eq!(b.state(), State::Disabled, "disabled never trips");
        assert_eq!(b.metrics().await.unwrap().failures, 5, "but still counts");
        b.force_closed().await.unwrap();
        b.force_closed().await.unwrap(); // same state: no transition
        fail(&b).await.unwrap_err();
        assert_eq!(b.state(), State::Open, "normal tripping resumed");
        b.reset().await.unwrap();
        let m = b.metrics().await.unwrap();
        assert_eq!(
            (m.state, m.calls, m.failures, m.rejected),
            (State::Closed, 0, 0, 0)
        );
        let seen: Vec<(State, State)> = std::iter::from_fn(|| changes.try_recv())
            .map(|t| (t.from, t.to))
            .collect();
        assert_eq!(
            seen,
            vec![
                (State::Closed, State::ForcedOpen),
                (State::ForcedOpen, State::Disabled),
                (State::Disabled, State::Closed),
                (State::Closed, State::Open),
                (State::Open, State::Closed),
            ]
        );
        assert!(seen.iter().all(|(a, b)| a != b));
    });
}

#[test]
fn config_reads_human_durations_and_rejects_bad_values() {
    let cfg: BreakerConfig = serde_json::from_str(
        r#"{ "trip": { "consecutive_failures": { "failures": 3 } },
             "window": { "time": "30s" }, "open_wait": "1m 30s",
             "open_backoff": { "max": "10m", "jitter": 0.1 },
             "call_timeout": "250ms", "automatic_transition": true }"#,
    )
    .unwrap();
    assert_eq!(cfg.window, Window::Time(Duration::from_secs(30)));
    assert_eq!(cfg.open_wait, Duration::from_secs(90));
    assert_eq!(cfg.call_timeout, Some(ms(250)));
    assert_eq!(cfg.open_backoff.unwrap().multiplier, 2.0);
    cfg.validate().unwrap();

    let defaults: BreakerConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(defaults, BreakerConfig::default());

    assert!(serde_json::from_str::<BreakerConfig>(r#"{ "open_wait": "soon" }"#).is_err());
    assert!(serde_json::from_str::<BreakerConfig>(r#"{ "open_wiat": "1s" }"#).is_err());
    let bad = BreakerConfig {
        half_open_trials: 0,
        ..BreakerConfig::default()
    };
    assert!(CircuitBreaker::spawn(bad).is_err());
    let bad = BreakerConfig {
        trip: TripPolicy::FailureRate { rate: 1.5 },
        ..BreakerConfig::default()
    };
    let err = bad.validate().unwrap_err();
    assert!(err.to_string().contains("rate"), "{err}");
}

#[test]
fn concurrent_callers_keep_the_books_consistent() {
    run(async {
        let b =
            CircuitBreaker::spawn_with_clock(consecutive(1_000_000), ManualClock::new()).unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let b = b.clone();
                rt::spawn(async move {
                    for i in 0..50u32 {
                        let fails = (i + t) % 3 == 0;
                        let _ = b
                            .call(|| async move { if fails { Err("x") } else { Ok(i) } })
                            .await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let expected_failures = (0..8u32)
            .flat_map(|t| (0..50u32).map(move |i| (i + t) % 3 == 0))
            .filter(|f| *f)
            .count() as u64;
        // Reports travel on the control lane, which is served before the
        // ordinary lane this metrics ask uses: every record is in.
        let m = b.metrics().await.unwrap();
        assert_eq!((m.calls, m.failures), (400, expected_failures));
    });
}

#[test]
fn the_breaker_actor_stops_with_its_last_handle() {
    run(async {
        let clock = ManualClock::new();
        let b = CircuitBreaker::spawn_with_clock(consecutive(1), clock.clone()).unwrap();
        let mut changes = b.subscribe().await.unwrap();
        drop(b);
        assert_eq!(
            changes.recv().await,
            None,
            "subscription ends with the breaker"
        );
        let _ = clock.now();
    });
}
