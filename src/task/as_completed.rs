//! [`as_completed`]: a stream of results in completion order.
//!
//! Invariants:
//! - Each future runs as its own task; each result is yielded once, with
//!   its argument index, as soon as it is ready.
//! - With a deadline, once it passes the stream yields one
//!   [`Completion::DeadlineExceeded`] naming how many were still pending,
//!   aborts them, and ends.
//! - Dropping the stream aborts every task still running.
//! - The tasks run inside the stream's scope (see `hold.rs`): the stream
//!   ends (`None`, or the deadline item) only once every task, and
//!   everything it started, is gone; an enclosing group waits for the tasks
//!   of a dropped stream.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use event_listener::EventListener;
use futures_lite::{FutureExt, Stream};

use crate::rt::{self, AbortHandle};

use super::hold::Hold;

type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One item of an [`AsCompleted`] stream.
///
/// ```
/// use futures_lite::StreamExt;
/// use retinue::task::{as_completed, Completion};
///
/// async fn crash() -> u8 { panic!("boom") }
///
/// # retinue::rt::block_on(async {
/// let mut done = as_completed(vec![crash()]);
/// assert_eq!(done.next().await, Some(Completion::Panicked { index: 0, message: "boom".into() }));
/// assert_eq!(done.next().await, None);
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Completion<T> {
    /// The future at `index` finished with `value`.
    Done {
        /// Its argument position.
        index: usize,
        /// Its output.
        value: T,
    },
    /// The future at `index` panicked.
    Panicked {
        /// Its argument position.
        index: usize,
        /// The panic's message.
        message: String,
    },
    /// The overall deadline passed; this many futures were still running
    /// and have been cancelled. Always the last item.
    DeadlineExceeded {
        /// How many were cancelled.
        pending: usize,
    },
}

/// Runs every future as a task and yields their outputs as they finish.
///
/// ```
/// use std::time::Duration;
/// use futures_lite::StreamExt;
/// use retinue::task::{as_completed, Completion};
///
/// # retinue::rt::block_on(async {
/// let (tx, rx) = async_channel::bounded::<()>(1);
/// let slow = async move { let _ = rx.recv().await; "slow" };
/// let quick = async { "quick" };
/// let mut done = as_completed(vec![
///     Box::pin(slow) as std::pin::Pin<Box<dyn std::future::Future<Output = &str> + Send>>,
///     Box::pin(quick),
/// ]);
/// assert_eq!(done.next().await, Some(Completion::Done { index: 1, value: "quick" }));
/// tx.send(()).await.unwrap(); // now let the slow one finish
/// assert_eq!(done.next().await, Some(Completion::Done { index: 0, value: "slow" }));
/// assert_eq!(done.next().await, None);
/// # });
/// ```
pub fn as_completed<I, F>(futures: I) -> AsCompleted<F::Output>
where
    I: IntoIterator<Item = F>,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = async_channel::unbounded();
    let hold = Hold::new_scope();
    let tasks: Vec<AbortHandle> = futures
        .into_iter()
        .enumerate()
        .map(|(index, fut)| {
            let tx = tx.clone();
            rt::spawn(hold.clone().run(async move {
                let item = match AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(value) => Completion::Done { index, value },
                    Err(p) => Completion::Panicked {
                        index,
                        message: rt::panic_message(&*p),
                    },
                };
                let _ = tx.try_send(item);
            }))
            .abort_handle()
        })
        .collect();
    AsCompleted {
        pending: tasks.len(),
        tasks,
        rx: Box::pin(rx),
        deadline: None,
        done: false,
        ending: None,
        hold,
        drained: None,
    }
}

/// The stream of [`as_completed`].
///
/// ```
/// use futures_lite::StreamExt;
/// use retinue::task::{as_completed, Completion};
///
/// # retinue::rt::block_on(async {
/// // Collect the values, in whatever order they finish.
/// let mut values: Vec<u32> = as_completed((1..=3u32).map(|i| async move { i * 10 }))
///     .filter_map(|c| match c { Completion::Done { value, .. } => Some(value), _ => None })
///     .collect()
///     .await;
/// values.sort();
/// assert_eq!(values, vec![10, 20, 30]);
/// # });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<T> {
    tasks: Vec<AbortHandle>,
    rx: Pin<Box<async_channel::Receiver<Completion<T>>>>,
    pending: usize,
    deadline: Option<(Instant, Sleep)>,
    done: bool,
    /// The last item, held back until the tasks are all gone.
    ending: Option<Option<Completion<T>>>,
    hold: Hold,
    drained: Option<EventListener>,
}

impl<T> AsCompleted<T> {
    /// Gives the whole stream a deadline `within` from now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::StreamExt;
    /// use retinue::task::{as_completed, Completion};
    ///
    /// # retinue::rt::block_on(async {
    /// let never = std::future::pending::<&str>();
    /// let mut done = as_completed(vec![
    ///     Box::pin(async { "fast" }) as std::pin::Pin<Box<dyn std::future::Future<Output = &str> + Send>>,
    ///     Box::pin(never),
    /// ])
    /// .deadline(Duration::from_millis(20));
    /// assert_eq!(done.next().await, Some(Completion::Done { index: 0, value: "fast" }));
    /// // The other one is cancelled when the deadline passes.
    /// assert_eq!(done.next().await, Some(Completion::DeadlineExceeded { pending: 1 }));
    /// assert_eq!(done.next().await, None);
    /// # });
    /// ```
    pub fn deadline(self, within: Duration) -> Self {
        match Instant::now().checked_add(within) {
            Some(at) => self.deadline_at(at),
            None => self,
        }
    }

    /// Gives the whole stream a deadline at `at`.
    ///
    /// ```
    /// use std::time::Instant;
    /// use futures_lite::StreamExt;
    /// use retinue::task::{as_completed, Completion};
    ///
    /// # retinue::rt::block_on(async {
    /// // A deadline already past: nothing still pending survives it.
    /// let mut done = as_completed(vec![std::future::pending::<()>()]).deadline_at(Instant::now());
    /// assert_eq!(done.next().await, Some(Completion::DeadlineExceeded { pending: 1 }));
    /// # });
    /// ```
    pub fn deadline_at(mut self, at: Instant) -> Self {
        let wait = at.saturating_duration_since(Instant::now());
        self.deadline = Some((at, Box::pin(rt::sleep(wait))));
        self
    }

    /// How many futures have not been yielded yet.
    ///
    /// ```
    /// use futures_lite::StreamExt;
    /// use retinue::task::as_completed;
    ///
    /// # retinue::rt::block_on(async {
    /// let mut done = as_completed((0..3).map(|i| async move { i }));
    /// assert_eq!(done.pending(), 3);
    /// done.next().await;
    /// assert_eq!(done.pending(), 2);
    /// # });
    /// ```
    pub fn pending(&self) -> usize {
        self.pending
    }

    fn abort_all(&mut self) {
        self.tasks.iter().for_each(AbortHandle::abort);
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = Completion<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ending.is_none() {
            match self.poll_item(cx) {
                Poll::Ready(Some(item)) if !self.done => return Poll::Ready(Some(item)),
                Poll::Ready(last) => self.ending = Some(last),
                Poll::Pending => return Poll::Pending,
            }
        }
        // The end of the stream: leave it only once every task is gone.
        let this = &mut *self;
        if this.hold.poll_drained(&mut this.drained, cx).is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(this.ending.as_mut().and_then(Option::take))
    }
}

impl<T> AsCompleted<T> {
    /// The next item; sets `done` when it is the last one (the deadline
    /// item) or the stream has ended (`None`).
    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Completion<T>>> {
        if self.done || self.pending == 0 {
            self.done = true;
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = self.rx.as_mut().poll_next(cx) {
            if item.is_none() {
                self.done = true;
            }
            self.pending -= usize::from(item.is_some());
            return Poll::Ready(item);
        }
        let expired = match self.deadline.as_mut() {
            Some((at, sleep)) => Instant::now() >= *at || sleep.as_mut().poll(cx).is_ready(),
            None => false,
        };
        if expired {
            self.abort_all();
            self.done = true;
            let pending = self.pending;
            return Poll::Ready(Some(Completion::DeadlineExceeded { pending }));
        }
        Poll::Pending
    }
}

// No field is structurally pinned (the values are only moved out).
impl<T> Unpin for AsCompleted<T> {}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}
