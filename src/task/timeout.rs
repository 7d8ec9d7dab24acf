//! Deadlines for any future.
//!
//! Invariants:
//! - The inner future is polled before the deadline is checked, so work
//!   that is already done wins, and a zero or past deadline lets the inner
//!   future run up to its first await, where it is cancelled.
//! - On expiry the inner future is dropped (cancelled) before the error is
//!   returned: its cleanup has run by the time the caller sees the error.
//! - Each [`Timeout`] enforces only its own deadline; in nested timeouts
//!   only the one that expired reports [`TimedOut`], and the error names
//!   its own duration.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::rt;

/// The deadline of a [`timeout`] passed; the inner future was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    /// The duration this timeout allowed.
    pub after: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timed out after {:?}; the operation was cancelled",
            self.after
        )
    }
}

impl std::error::Error for TimedOut {}

/// Runs `future` for at most `after`: at the deadline it is dropped
/// (cancelled) and [`TimedOut`] is returned.
///
/// ```
/// use std::time::Duration;
/// use retinue::task::{timeout, TimedOut};
///
/// # retinue::rt::block_on(async {
/// let quick = timeout(Duration::from_secs(5), async { 7 }).await;
/// assert_eq!(quick, Ok(7));
///
/// let after = Duration::from_millis(10);
/// let slow = timeout(after, retinue::rt::sleep(Duration::from_secs(60))).await;
/// assert_eq!(slow, Err(TimedOut { after }));
/// # });
/// ```
pub fn timeout<F: Future>(after: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Some(Box::pin(future)),
        deadline: Instant::now().checked_add(after),
        after,
        sleep: None,
    }
}

/// Like [`timeout`], with an instant as the deadline. A deadline in the
/// past expires at the inner future's first await.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(Box::pin(future)),
        deadline: Some(deadline),
        after: deadline.saturating_duration_since(Instant::now()),
        sleep: None,
    }
}

/// The future of [`timeout`] and [`timeout_at`].
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    /// `None` once cancelled.
    future: Option<Pin<Box<F>>>,
    /// `None`: so far away it cannot be represented (never expires).
    deadline: Option<Instant>,
    after: Duration,
    sleep: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let after = self.after;
        let Some(future) = self.future.as_mut() else {
            return Poll::Ready(Err(TimedOut { after }));
        };
        if let Poll::Ready(value) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(value));
        }
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        let now = Instant::now();
        let expired = now >= deadline || {
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(rt::sleep(deadline - now)));
            sleep.as_mut().poll(cx).is_ready()
        };
        if expired {
            // Cancel the inner future now, so its cleanup has run by the
            // time the caller sees the error.
            self.future = None;
            Poll::Ready(Err(TimedOut { after }))
        } else {
            Poll::Pending
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}
