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
//! - A [`Deadline`] can be moved or cleared while its work runs; the
//!   running work always obeys the deadline as it is now (see
//!   [`WithDeadline`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use event_listener::{Event, EventListener};

use crate::rt;

/// The deadline of a [`timeout`] passed; the inner future was cancelled.
///
/// ```
/// use std::time::Duration;
/// use retinue::task::{timeout, TimedOut};
///
/// # retinue::rt::block_on(async {
/// let err = timeout(Duration::from_millis(5), std::future::pending::<()>()).await.unwrap_err();
/// assert_eq!(err, TimedOut { after: Duration::from_millis(5) });
/// assert_eq!(err.to_string(), "timed out after 5ms; the operation was cancelled");
/// # });
/// ```
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
///
/// ```
/// use std::time::{Duration, Instant};
/// use retinue::task::timeout_at;
///
/// # retinue::rt::block_on(async {
/// // One deadline shared by two steps.
/// let deadline = Instant::now() + Duration::from_secs(5);
/// assert_eq!(timeout_at(deadline, async { 1 }).await, Ok(1));
/// assert_eq!(timeout_at(deadline, async { 2 }).await, Ok(2));
/// // A deadline in the past cancels at the first await.
/// let past = Instant::now();
/// assert!(timeout_at(past, std::future::pending::<()>()).await.is_err());
/// # });
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future: Some(Box::pin(future)),
        deadline: Some(deadline),
        after: deadline.saturating_duration_since(Instant::now()),
        sleep: None,
    }
}

/// The future of [`timeout`] and [`timeout_at`].
///
/// ```
/// use std::time::Duration;
/// use retinue::task::timeout;
///
/// /// Notes that its future was dropped.
/// struct Cleanup(async_channel::Sender<()>);
/// impl Drop for Cleanup {
///     fn drop(&mut self) { let _ = self.0.try_send(()); }
/// }
///
/// # retinue::rt::block_on(async {
/// let (tx, rx) = async_channel::bounded(1);
/// let work = async move {
///     let _cleanup = Cleanup(tx);
///     std::future::pending::<()>().await
/// };
/// assert!(timeout(Duration::from_millis(5), work).await.is_err());
/// assert_eq!(rx.try_recv(), Ok(())); // cleaned up before the error came back
/// # });
/// ```
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

/// A deadline that can be moved or cleared while the work it bounds runs:
/// asyncio's `asyncio.timeout()` context manager with its `when()`,
/// `reschedule()` and `expired()`. Clone it into the work (or anywhere
/// else) to move it from there.
///
/// [`run`](Deadline::run) bounds a future by it: at the deadline the future
/// is dropped (cancelled) and [`TimedOut`] is returned; moving the deadline
/// takes effect at once, even while the future is parked; clearing it
/// (`reschedule(None)`) lets the future run for as long as it needs.
///
/// ```
/// use std::time::{Duration, Instant};
/// use retinue::task::Deadline;
///
/// # retinue::rt::block_on(async {
/// // Each chunk of progress earns 50 ms more (a heartbeat-style timeout).
/// let deadline = Deadline::after(Duration::from_millis(50));
/// let d = deadline.clone();
/// let done = deadline.run(async move {
///     for _ in 0..4 {
///         retinue::rt::sleep(Duration::from_millis(20)).await; // 80 ms in all
///         d.reschedule(Some(Instant::now() + Duration::from_millis(50)));
///     }
///     "finished"
/// }).await;
/// assert_eq!(done, Ok("finished"));
/// assert!(!deadline.expired());
///
/// // Moved into the past: the work is cancelled at once.
/// let deadline = Deadline::never();
/// let d = deadline.clone();
/// let cut = deadline.run(async move {
///     d.reschedule(Some(Instant::now()));
///     std::future::pending::<()>().await
/// }).await;
/// assert!(cut.is_err() && deadline.expired());
/// # });
/// ```
#[derive(Clone)]
pub struct Deadline {
    shared: Arc<DeadlineShared>,
}

struct DeadlineShared {
    state: Mutex<DeadlineState>,
    moved: Event,
}

#[derive(Clone, Copy)]
struct DeadlineState {
    when: Option<Instant>,
    /// Bumped on every move, so a runner knows its timer is stale.
    generation: u64,
    expired: bool,
}

impl Deadline {
    /// A deadline at `when`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use retinue::task::Deadline;
    ///
    /// let when = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(Deadline::at(when).when(), Some(when));
    /// ```
    pub fn at(when: Instant) -> Self {
        Self::new(Some(when))
    }

    /// A deadline `after` from now (never, if that cannot be represented).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::task::Deadline;
    ///
    /// # retinue::rt::block_on(async {
    /// let deadline = Deadline::after(Duration::from_millis(5));
    /// assert!(deadline.run(std::future::pending::<()>()).await.is_err());
    /// assert!(deadline.expired());
    /// assert_eq!(Deadline::after(Duration::MAX).when(), None); // too far to represent: never
    /// # });
    /// ```
    pub fn after(after: Duration) -> Self {
        Self::new(Instant::now().checked_add(after))
    }

    /// No deadline yet; [`reschedule`](Self::reschedule) can set one.
    ///
    /// ```
    /// use retinue::task::Deadline;
    ///
    /// # retinue::rt::block_on(async {
    /// let deadline = Deadline::never();
    /// assert_eq!(deadline.when(), None);
    /// assert_eq!(deadline.run(async { "no hurry" }).await, Ok("no hurry"));
    /// # });
    /// ```
    pub fn never() -> Self {
        Self::new(None)
    }

    fn new(when: Option<Instant>) -> Self {
        Deadline {
            shared: Arc::new(DeadlineShared {
                state: Mutex::new(DeadlineState {
                    when,
                    generation: 0,
                    expired: false,
                }),
                moved: Event::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, DeadlineState> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current deadline; `None` when there is none.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use retinue::task::Deadline;
    ///
    /// let deadline = Deadline::never();
    /// let later = Instant::now() + Duration::from_secs(30);
    /// deadline.reschedule(Some(later));
    /// assert_eq!(deadline.when(), Some(later));
    /// ```
    pub fn when(&self) -> Option<Instant> {
        self.state().when
    }

    /// Moves the deadline to `when` (earlier or later, or into the past:
    /// the work is cancelled at once), or clears it with `None`. Running
    /// [`run`](Self::run)s see it immediately. Once the deadline has
    /// expired, moving it changes nothing for the work it cancelled.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use retinue::task::Deadline;
    ///
    /// # retinue::rt::block_on(async {
    /// // Cleared while the work runs: the work may take as long as it needs.
    /// let deadline = Deadline::after(Duration::from_millis(5));
    /// let d = deadline.clone();
    /// let done = deadline.run(async move {
    ///     d.reschedule(None);
    ///     retinue::rt::sleep(Duration::from_millis(20)).await;
    ///     "finished"
    /// }).await;
    /// assert_eq!(done, Ok("finished"));
    /// assert_eq!(deadline.when(), None);
    /// # });
    /// ```
    pub fn reschedule(&self, when: Option<Instant>) {
        {
            let mut state = self.state();
            state.when = when;
            state.generation += 1;
        }
        self.shared.moved.notify(usize::MAX);
    }

    /// Whether this deadline has cancelled work it bounded.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::task::Deadline;
    ///
    /// # retinue::rt::block_on(async {
    /// let deadline = Deadline::after(Duration::from_secs(5));
    /// assert_eq!(deadline.run(async { 1 }).await, Ok(1));
    /// assert!(!deadline.expired()); // the work beat it
    /// # });
    /// ```
    pub fn expired(&self) -> bool {
        self.state().expired
    }

    /// Runs `future` until it finishes or the deadline (as it is at the
    /// time) passes; then it is dropped before [`TimedOut`] is returned.
    /// Work that is already done wins over an expired deadline.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use retinue::task::Deadline;
    ///
    /// # retinue::rt::block_on(async {
    /// // Moved earlier while the work is parked: it is cut at once.
    /// let deadline = Deadline::never();
    /// let d = deadline.clone();
    /// let mover = retinue::rt::spawn(async move { d.reschedule(Some(Instant::now())) });
    /// let cut = deadline.run(retinue::rt::sleep(Duration::from_secs(60))).await;
    /// mover.await.unwrap();
    /// assert!(cut.is_err() && deadline.expired());
    /// # });
    /// ```
    pub fn run<F: Future>(&self, future: F) -> WithDeadline<F> {
        WithDeadline {
            future: Some(Box::pin(future)),
            deadline: self.clone(),
            started: Instant::now(),
            sleep: None,
            moved: None,
        }
    }
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = *self.state();
        f.debug_struct("Deadline")
            .field("when", &state.when)
            .field("expired", &state.expired)
            .finish()
    }
}

type TimerSleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The future of [`Deadline::run`].
///
/// Invariants: the timer it sleeps on is always for the deadline's current
/// generation (a move makes a new one); a move wakes it through the
/// deadline's event, so a parked future notices a deadline moved earlier;
/// on expiry the inner future is dropped before the error is returned.
///
/// ```
/// use std::time::Duration;
/// use retinue::task::Deadline;
///
/// # retinue::rt::block_on(async {
/// // Two pieces of work under one deadline.
/// let deadline = Deadline::after(Duration::from_secs(5));
/// let (a, b) = (deadline.run(async { 1 }), deadline.run(async { 2 }));
/// assert_eq!((a.await, b.await), (Ok(1), Ok(2)));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct WithDeadline<F> {
    /// `None` once cancelled.
    future: Option<Pin<Box<F>>>,
    deadline: Deadline,
    started: Instant,
    sleep: Option<(u64, TimerSleep)>,
    moved: Option<EventListener>,
}

impl<F> WithDeadline<F> {
    fn expire(&mut self, now: Instant) -> TimedOut {
        self.future = None;
        self.deadline.state().expired = true;
        TimedOut {
            after: now.saturating_duration_since(self.started),
        }
    }
}

impl<F: Future> Future for WithDeadline<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Some(future) = this.future.as_mut() else {
            let after = Instant::now().saturating_duration_since(this.started);
            return Poll::Ready(Err(TimedOut { after }));
        };
        if let Poll::Ready(value) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(value));
        }
        loop {
            // Listen before reading, so no move is missed.
            let moved = this
                .moved
                .get_or_insert_with(|| this.deadline.shared.moved.listen());
            let state = *this.deadline.state();
            if let Some(when) = state.when {
                let now = Instant::now();
                if now >= when {
                    return Poll::Ready(Err(this.expire(now)));
                }
                if this.sleep.as_ref().map(|s| s.0) != Some(state.generation) {
                    this.sleep = Some((state.generation, Box::pin(rt::sleep(when - now))));
                }
                if let Some((_, sleep)) = this.sleep.as_mut() {
                    if sleep.as_mut().poll(cx).is_ready() {
                        this.sleep = None;
                        continue; // look at the clock again
                    }
                }
            }
            if Pin::new(moved).poll(cx).is_ready() {
                this.moved = None;
                continue;
            }
            return Poll::Pending;
        }
    }
}

// No field is structurally pinned (the inner future is boxed).
impl<F> Unpin for WithDeadline<F> {}

impl<F> fmt::Debug for WithDeadline<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithDeadline")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
