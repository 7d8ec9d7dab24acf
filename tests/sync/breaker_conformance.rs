//! Circuit breaker against resilience4j's rules (issue 12, defects 7-10)
//! and the capabilities its users expect: outcomes measured elsewhere,
//! per-call events, a manual half-open, and lookup of a breaker actor.

use crate::common;

use common::breaker::{consecutive, fail, ms, ok};
use common::cancel::run;

use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use retinue::rt;
use retinue::sync::{
    BreakerActor, BreakerConfig, CallError, CallKind, CircuitBreaker, Clock, ManualClock, Outcome,
    Sleep, SlowCalls, State, TripPolicy, Window,
};

// ---- defect 7: minimum_calls against the window ------------------------

#[test]
fn a_count_window_smaller_than_minimum_calls_still_trips() {
    run(async {
        // minimum_calls keeps its default (10); the window holds only 4.
        let cfg = BreakerConfig {
            trip: TripPolicy::FailureRate { rate: 0.5 },
            window: Window::Count(4),
            ..BreakerConfig::default()
        };
        assert_eq!(cfg.effective_minimum_calls(), 4);
        let b = CircuitBreaker::spawn_with_clock(cfg, ManualClock::new()).unwrap();
        fail(&b).await.unwrap_err();
        fail(&b).await.unwrap_err();
        ok(&b).await.unwrap();
        assert_eq!(
            b.state(),
            State::Closed,
            "three calls: below the window's size"
        );
        ok(&b).await.unwrap();
        // A success recorded asynchronously may trip: wait for the books.
        let m = b.metrics().await.unwrap();
        assert_eq!(m.state, State::Open, "{m:?}");
    });
}

#[test]
fn zero_minimum_calls_is_rejected_everywhere() {
    let cfg = BreakerConfig {
        minimum_calls: 0,
        ..BreakerConfig::default()
    };
    let err = cfg.validate().unwrap_err();
    assert!(err.to_string().contains("minimum_calls"), "{err}");
    assert!(CircuitBreaker::spawn(cfg.clone()).is_err());
    assert!(BreakerActor::new(cfg.clone()).is_err());
    assert!(CircuitBreaker::child_spec("b", cfg).is_err());
    // A time window keeps minimum_calls as configured.
    let timed = BreakerConfig {
        window: Window::Time(Duration::from_secs(1)),
        minimum_calls: 50,
        ..BreakerConfig::default()
    };
    assert_eq!(timed.effective_minimum_calls(), 50);
}

// ---- defect 8: force_closed on a closed breaker -----------------------

#[test]
fn force_closed_on_a_closed_breaker_starts_a_fresh_window() {
    run(async {
        let b = CircuitBreaker::spawn_with_clock(consecutive(3), ManualClock::new()).unwrap();
        let mut changes = b.subscribe().await.unwrap();
        fail(&b).await.unwrap_err();
        fail(&b).await.unwrap_err();
        b.force_closed().await.unwrap();
        let m = b.metrics().await.unwrap();
        assert_eq!((m.consecutive_failures, m.window_calls), (0, 0), "{m:?}");
        assert_eq!((m.calls, m.failures), (2, 2), "lifetime totals stay");
        fail(&b).await.unwrap_err();
        fail(&b).await.unwrap_err();
        assert_eq!(
            b.state(),
            State::Closed,
            "two failures since the fresh window"
        );
        fail(&b).await.unwrap_err();
        assert_eq!(b.state(), State::Open);
        let t = changes.try_recv().unwrap();
        assert_eq!((t.from, t.to), (State::Closed, State::Open));
        assert!(
            changes.try_recv().is_none(),
            "no Closed -> Closed transition"
        );
    });
}

// ---- defect 9: outcomes dated at the call's end -----------------------

/// A manual clock whose reads from any thread but the test's block while
/// the gate is shut: the breaker actor cannot read the time until the
/// test lets it, so a report the actor dated itself would be dated late.
#[derive(Clone)]
struct GatedClock {
    inner: ManualClock,
    gate: Arc<(Mutex<bool>, Condvar)>,
    test_thread: ThreadId,
}

impl GatedClock {
    fn new() -> Self {
        GatedClock {
            inner: ManualClock::new(),
            gate: Arc::new((Mutex::new(false), Condvar::new())),
            test_thread: std::thread::current().id(),
        }
    }

    fn shut(&self, shut: bool) {
        *self.gate.0.lock().unwrap() = shut;
        self.gate.1.notify_all();
    }
}

impl Clock for GatedClock {
    fn now(&self) -> Instant {
        if std::thread::current().id() != self.test_thread {
            let (lock, cv) = &*self.gate;
            let mut shut = lock.lock().unwrap();
            while *shut {
                shut = cv.wait(shut).unwrap();
            }
        }
        self.inner.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.inner.sleep(duration)
    }
}

#[test]
fn a_success_is_dated_when_its_call_ended_not_when_the_actor_reads_it() {
    run(async {
        let clock = GatedClock::new();
        let cfg = BreakerConfig {
            window: Window::Time(Duration::from_secs(10)),
            minimum_calls: 1,
            ..BreakerConfig::default()
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        b.metrics().await.unwrap(); // the actor is up
        clock.shut(true);
        ok(&b).await.unwrap(); // ends at t = 0; its report is in flight
        clock.inner.advance(Duration::from_secs(10));
        clock.shut(false);
        // Dated at t = 0, the call has left the 10 s window by now.
        let m = b.metrics().await.unwrap();
        assert_eq!((m.calls, m.window_calls), (1, 0), "{m:?}");
    });
}

// ---- defect 10: half-open metrics --------------------------------------

#[test]
fn half_open_metrics_show_the_trials_not_the_window_that_tripped() {
    run(async {
        let cfg = BreakerConfig {
            trip: TripPolicy::FailureRate { rate: 0.5 },
            window: Window::Count(4),
            minimum_calls: 4,
            half_open_trials: 2,
            open_wait: Duration::from_secs(1),
            ..BreakerConfig::default()
        };
        let clock = ManualClock::new();
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        for _ in 0..4 {
            fail(&b).await.unwrap_err();
        }
        let open = b.metrics().await.unwrap();
        assert_eq!(open.state, State::Open);
        assert_eq!((open.window_calls, open.failure_rate), (4, Some(1.0)));
        clock.advance(Duration::from_secs(1));
        ok(&b).await.unwrap(); // the first trial
        let m = b.metrics().await.unwrap();
        assert_eq!(m.state, State::HalfOpen);
        assert_eq!((m.window_calls, m.failure_rate), (1, None), "{m:?}");
        ok(&b).await.unwrap();
        let m = b.metrics().await.unwrap();
        assert_eq!(m.state, State::Closed);
        assert_eq!((m.window_calls, m.consecutive_failures), (0, 0));
    });
}

// ---- capabilities -------------------------------------------------------

#[test]
fn outcomes_measured_elsewhere_trip_count_slow_and_close_half_open() {
    run(async {
        let cfg = BreakerConfig {
            slow_calls: Some(SlowCalls {
                threshold: ms(100),
                rate: 1.0,
            }),
            minimum_calls: 100, // no rate-based trip in this test
            ..consecutive(2)
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, ManualClock::new()).unwrap();
        b.record_success(ms(150)).await.unwrap();
        let m = b.metrics().await.unwrap();
        assert_eq!((m.calls, m.failures, m.slow), (1, 0, 1));
        b.record_failure(ms(5)).await.unwrap();
        b.record_failure(ms(5)).await.unwrap();
        assert_eq!(
            b.state(),
            State::Open,
            "in force when record_failure returns"
        );
        // Open: counted in the totals only.
        b.record_success(ms(5)).await.unwrap();
        assert_eq!(b.state(), State::Open);
        assert_eq!(b.metrics().await.unwrap().calls, 4);
        // Half-open: an outcome measured elsewhere takes the trial slot.
        b.transition_to_half_open().await.unwrap();
        b.record_success(ms(5)).await.unwrap();
        assert_eq!(b.state(), State::Closed);
    });
}

#[test]
fn call_events_tell_each_outcome_with_its_elapsed_time() {
    run(async {
        let clock = ManualClock::new();
        let cfg = BreakerConfig {
            call_timeout: Some(ms(200)),
            ..consecutive(3)
        };
        let b = CircuitBreaker::spawn_with_clock(cfg, clock.clone()).unwrap();
        let mut calls = b.subscribe_calls().await.unwrap();
        let mut changes = b.subscribe().await.unwrap();
        let slow_ok = {
            let (b, clock) = (b.clone(), clock.clone());
            rt::spawn(async move {
                b.call(|| async move {
                    clock.advance(ms(40));
                    Ok::<u32, &str>(1)
                })
                .await
            })
        };
        assert_eq!(slow_ok.await.unwrap(), Ok(1));
        fail(&b).await.unwrap_err();
        let ignore = |_: &Result<u32, &str>| Outcome::Ignore;
        b.call_with(ignore, || async { Err("404") })
            .await
            .unwrap_err();
        let timed_out = {
            let b = b.clone();
            rt::spawn(async move { b.call(std::future::pending::<Result<u32, &str>>).await })
        };
        clock.wait_for_sleepers(1).await;
        clock.advance(ms(200));
        assert_eq!(timed_out.await.unwrap(), Err(CallError::Timeout(ms(200))));
        fail(&b).await.unwrap_err(); // the third failure in a row trips
        assert!(matches!(ok(&b).await, Err(CallError::Rejected(_))));

        let mut seen = Vec::new();
        for _ in 0..6 {
            let e = rt::timeout(common::wait::LONG, calls.recv())
                .await
                .unwrap()
                .unwrap();
            seen.push((e.kind, e.elapsed));
        }
        assert_eq!(
            seen,
            vec![
                (CallKind::Success, Some(ms(40))),
                (CallKind::Failure, Some(ms(0))),
                (CallKind::Ignored, Some(ms(0))),
                (CallKind::Timeout, Some(ms(200))),
                (CallKind::Failure, Some(ms(0))),
                (CallKind::Rejected, None),
            ]
        );
        assert!(calls.try_recv().is_none());
        // The transition stream is separate and unchanged.
        let t = changes.recv().await.unwrap();
        assert_eq!((t.from, t.to), (State::Closed, State::Open));
    });
}

#[test]
fn a_supervised_breaker_actor_can_be_looked_up_and_wrapped() {
    run(async {
        use retinue::supervisor::{Strategy, Supervisor};
        let (spec, breaker) = CircuitBreaker::child_spec("payments", consecutive(1)).unwrap();
        let addr = spec.addr::<BreakerActor>().unwrap();
        let root = Supervisor::new(Strategy::OneForOne)
            .child(spec)
            .spawn()
            .await
            .unwrap();
        let again = CircuitBreaker::from_addr(addr).await.unwrap();
        fail(&again).await.unwrap_err();
        // one breaker: the first handle's fast path sees the trip at once
        assert_eq!(breaker.state(), State::Open);
        assert!(matches!(ok(&breaker).await, Err(CallError::Rejected(_))));
        root.shutdown().await;
    });
}
