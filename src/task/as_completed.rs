//! [`as_completed`]: a stream of results in completion order.
//!
//! Invariants:
//! - Each future runs as its own task; each result is yielded once, with
//!   its argument index, as soon as it is ready.
//! - With a deadline, once it passes the stream yields one
//!   [`Completion::DeadlineExceeded`] naming how many were still pending,
//!   aborts them, and ends.
//! - Dropping the stream aborts every task still running.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::{FutureExt, Stream};

use crate::rt::{self, AbortHandle};

type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One item of an [`AsCompleted`] stream.
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
    let tasks: Vec<AbortHandle> = futures
        .into_iter()
        .enumerate()
        .map(|(index, fut)| {
            let tx = tx.clone();
            rt::spawn(async move {
                let item = match AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(value) => Completion::Done { index, value },
                    Err(p) => Completion::Panicked {
                        index,
                        message: rt::panic_message(&*p),
                    },
                };
                let _ = tx.try_send(item);
            })
            .abort_handle()
        })
        .collect();
    AsCompleted {
        pending: tasks.len(),
        tasks,
        rx: Box::pin(rx),
        deadline: None,
        done: false,
    }
}

/// The stream of [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<T> {
    tasks: Vec<AbortHandle>,
    rx: Pin<Box<async_channel::Receiver<Completion<T>>>>,
    pending: usize,
    deadline: Option<(Instant, Sleep)>,
    done: bool,
}

impl<T> AsCompleted<T> {
    /// Gives the whole stream a deadline `within` from now.
    pub fn deadline(self, within: Duration) -> Self {
        match Instant::now().checked_add(within) {
            Some(at) => self.deadline_at(at),
            None => self,
        }
    }

    /// Gives the whole stream a deadline at `at`.
    pub fn deadline_at(mut self, at: Instant) -> Self {
        let wait = at.saturating_duration_since(Instant::now());
        self.deadline = Some((at, Box::pin(rt::sleep(wait))));
        self
    }

    /// How many futures have not been yielded yet.
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
        if self.done || self.pending == 0 {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = self.rx.as_mut().poll_next(cx) {
            return match item {
                Some(item) => {
                    self.pending -= 1;
                    Poll::Ready(Some(item))
                }
                None => {
                    self.done = true;
                    Poll::Ready(None)
                }
            };
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
