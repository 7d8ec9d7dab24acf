//! A breaker's event streams: its transitions ([`Subscription`]) and its
//! per-call events ([`CallEvents`]), one generic [`Feed`].
//!
//! Invariant: a feed yields what the breaker sent, in order, each once, and
//! ends (`None`) when the breaker actor is gone.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::Stream;

use super::state::{CallEvent, Transition};

/// A stream of one kind of breaker event; see [`Subscription`] and
/// [`CallEvents`].
pub struct Feed<T> {
    rx: Pin<Box<async_channel::Receiver<T>>>,
}

impl<T> Feed<T> {
    pub(super) fn new(rx: async_channel::Receiver<T>) -> Self {
        Feed { rx: Box::pin(rx) }
    }

    /// The next event; `None` once the breaker is gone.
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await.ok()
    }

    /// An event that already happened, without waiting.
    pub fn try_recv(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Stream for Feed<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for Feed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

/// A stream of a breaker's [`Transition`]s; ends when the breaker stops.
///
/// ```
/// use futures_lite::StreamExt;
/// use retinue::sync::{BreakerConfig, CircuitBreaker, State};
/// # retinue::rt::block_on(async {
/// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
/// let mut changes = breaker.subscribe().await.unwrap();
/// breaker.force_open().await.unwrap();
/// let t = changes.next().await.unwrap(); // a Stream, too
/// assert_eq!((t.from, t.to), (State::Closed, State::ForcedOpen));
/// # });
/// ```
pub type Subscription = Feed<Transition>;

/// A stream of a breaker's [`CallEvent`]s; ends when the breaker stops.
///
/// ```
/// use futures_lite::StreamExt;
/// use retinue::sync::{BreakerConfig, CallKind, CircuitBreaker};
/// # retinue::rt::block_on(async {
/// let breaker = CircuitBreaker::spawn(BreakerConfig::default()).unwrap();
/// let mut calls = breaker.subscribe_calls().await.unwrap();
/// let _ = breaker.call(|| async { Ok::<_, ()>(()) }).await;
/// assert_eq!(calls.next().await.unwrap().kind, CallKind::Success);
/// assert!(calls.try_recv().is_none());
/// # });
/// ```
pub type CallEvents = Feed<CallEvent>;
