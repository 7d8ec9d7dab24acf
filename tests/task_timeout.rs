//! Timeouts: cancellation, nesting, zero and past deadlines.

mod common;

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
