//! Timeouts: cancellation, nesting, zero and past deadlines.

use crate::common;

use common::cancel::{dropped, guard, run};

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use retinue::rt;
use retinue::task::{TimedOut, timeout, timeout_at};

const LONG: Duration = Duration::from_secs(10);
const SHORT: Duration = Duration::from_millis(20);

#[test]
fn a_quick_future_wins() {
    run(async {
        assert_eq!(timeout(LONG, async { 5 }).await, Ok(5));
    });
}

#[test]
fn expiry_cancels_the_inner_future_before_reporting() {
    run(async {
        let (g, rx) = guard();
        let result = timeout(SHORT, async move {
            let _g = g;
            std::future::pending::<()>().await;
        })
        .await;
        assert_eq!(result, Err(TimedOut { after: SHORT }));
        assert!(dropped(&rx), "cleanup ran before the error was returned");
        assert!(result.unwrap_err().to_string().contains("cancelled"));
    });
}

#[test]
fn nested_inner_expiry_is_reported_by_the_inner_timeout_only() {
    run(async {
        let result = timeout(LONG, timeout(SHORT, std::future::pending::<()>())).await;
        assert_eq!(result, Ok(Err(TimedOut { after: SHORT })));
    });
}

#[test]
fn nested_outer_expiry_cancels_the_inner_and_only_the_outer_reports() {
    run(async {
        let (g, rx) = guard();
        let inner = timeout(LONG, async move {
            let _g = g;
            std::future::pending::<()>().await;
        });
        let result = timeout(SHORT, inner).await;
        assert_eq!(result, Err(TimedOut { after: SHORT }));
        assert!(dropped(&rx));
    });
}

#[test]
fn a_zero_deadline_expires_at_the_first_await() {
    run(async {
        assert_eq!(
            timeout(Duration::ZERO, async { 1 }).await,
            Ok(1),
            "ready work wins"
        );
        let steps = Arc::new(AtomicU32::new(0));
        let s = steps.clone();
        let result = timeout(Duration::ZERO, async move {
            s.store(1, Ordering::SeqCst); // runs: no await yet
            rt::yield_now().await;
            s.store(2, Ordering::SeqCst); // never runs
        })
        .await;
        assert_eq!(
            result,
            Err(TimedOut {
                after: Duration::ZERO
            })
        );
        assert_eq!(steps.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_past_deadline_expires_like_zero() {
    run(async {
        let past = Instant::now() - Duration::from_secs(1);
        let result = timeout_at(past, rt::yield_now()).await;
        assert_eq!(
            result,
            Err(TimedOut {
                after: Duration::ZERO
            })
        );
        let later = Instant::now() + LONG;
        assert_eq!(timeout_at(later, async { 3 }).await, Ok(3));
    });
}

#[test]
fn a_huge_timeout_never_fires() {
    run(async {
        let r = timeout(Duration::MAX, async {
            rt::sleep(Duration::from_millis(1)).await;
            9
        })
        .await;
        assert_eq!(r, Ok(9));
    });
}

// ---- Deadline: a timeout that can be moved while it runs ----------------
//
// asyncio's `asyncio.timeout()` (Lib/asyncio/timeouts.py, tested in
// test_timeouts.py): `reschedule(when)` moves the deadline of a running
// block, earlier or later; `reschedule(None)` removes it; `when()` and
// `expired()` report it; a deadline in the past cancels at the next await
// (`test_timeout_in_the_past_*`, `test_reschedule`, `test_repr_expired`).

mod deadline {
    use super::common::cancel::{dropped, guard, run};

    use std::time::{Duration, Instant};

    use retinue::rt;
    use retinue::task::Deadline;

    #[test]
    fn moving_the_deadline_earlier_cancels_parked_work_at_once() {
        run(async {
            let deadline = Deadline::never();
            let (g, rx) = guard();
            let work = rt::spawn(deadline.run(async move {
                let _g = g;
                std::future::pending::<()>().await
            }));
            rt::sleep(Duration::from_millis(5)).await; // let it park
            assert!(!deadline.expired());
            deadline.reschedule(Some(Instant::now()));
            assert!(work.await.unwrap().is_err());
            assert!(deadline.expired());
            assert!(
                dropped(&rx),
                "the work was dropped before the error came back"
            );
        });
    }

    #[test]
    fn clearing_the_deadline_lets_the_work_finish() {
        run(async {
            let deadline = Deadline::after(Duration::from_millis(30));
            let original = deadline.when().unwrap();
            let (gate_tx, gate_rx) = async_channel::bounded::<()>(1);
            let work = rt::spawn(deadline.run(async move { gate_rx.recv().await.is_ok() }));
            deadline.reschedule(None);
            assert_eq!(deadline.when(), None);
            rt::sleep(
                original.saturating_duration_since(Instant::now()) + Duration::from_millis(30),
            )
            .await;
            gate_tx.send(()).await.unwrap();
            assert_eq!(work.await.unwrap(), Ok(true));
            assert!(!deadline.expired());
        });
    }

    #[test]
    fn moving_the_deadline_later_extends_running_work() {
        run(async {
            let deadline = Deadline::after(Duration::from_millis(30));
            let original = deadline.when().unwrap();
            let (gate_tx, gate_rx) = async_channel::bounded::<()>(1);
            let work = rt::spawn(deadline.run(async move { gate_rx.recv().await.is_ok() }));
            rt::sleep(Duration::from_millis(5)).await; // its first timer is armed
            let later = Instant::now() + Duration::from_secs(10);
            deadline.reschedule(Some(later));
            assert_eq!(deadline.when(), Some(later));
            rt::sleep(
                original.saturating_duration_since(Instant::now()) + Duration::from_millis(30),
            )
            .await;
            gate_tx.send(()).await.unwrap();
            assert_eq!(work.await.unwrap(), Ok(true));
        });
    }

    #[test]
    fn the_work_can_move_its_own_deadline() {
        run(async {
            let deadline = Deadline::after(Duration::from_secs(10));
            let d = deadline.clone();
            let result = deadline
                .run(async move {
                    d.reschedule(Some(Instant::now() - Duration::from_millis(1)));
                    rt::sleep(Duration::from_secs(10)).await; // cancelled here
                    "unreachable"
                })
                .await;
            assert!(result.is_err());
        });
    }

    #[test]
    fn finished_work_wins_over_a_past_deadline() {
        run(async {
            let deadline = Deadline::at(Instant::now() - Duration::from_secs(1));
            assert_eq!(deadline.run(async { 7 }).await, Ok(7));
            assert!(!deadline.expired());
        });
    }

    #[test]
    fn dropping_the_bounded_future_drops_the_work() {
        run(async {
            let deadline = Deadline::after(Duration::from_secs(10));
            let (g, rx) = guard();
            let bounded = deadline.run(async move {
                let _g = g;
                std::future::pending::<()>().await
            });
            let cut = rt::timeout(Duration::from_millis(5), bounded).await;
            assert!(cut.is_err());
            assert!(dropped(&rx));
            assert!(!deadline.expired(), "dropped from outside, not expired");
        });
    }

    #[test]
    fn one_deadline_bounds_every_run_it_is_given() {
        run(async {
            let deadline = Deadline::never();
            let runs: Vec<_> = (0..3)
                .map(|_| rt::spawn(deadline.run(std::future::pending::<()>())))
                .collect();
            rt::sleep(Duration::from_millis(5)).await;
            deadline.reschedule(Some(Instant::now()));
            for r in runs {
                assert!(r.await.unwrap().is_err());
            }
        });
    }
}
