//! Waiting on a deferred reply, with a "sweep" notice when the wait is
//! abandoned.
//!
//! Invariants:
//! - [`Swept`] resolves exactly like the [`Reply`] it wraps.
//! - If it is dropped before resolving, the reply is dropped FIRST (so the
//!   actor's port reports `is_closed`), and only then the sweep message is
//!   sent through the control lane. The actor handling the sweep therefore
//!   always sees the abandoned waiter as closed and can prune it at once,
//!   so a dead waiter at the head of a FIFO never blocks the live ones.
//! - Epochs: every primitive instance takes a fresh number from
//!   [`next_epoch`], and guards carry it, so a release that was granted by a
//!   previous instance (before a supervisor restart) is recognised.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use crate::{Actor, Addr, AskError, Handler, Message, Reply};

/// A process-unique number for a primitive instance.
pub(crate) fn next_epoch() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A reply that sends `sweep` to `addr` (control lane) if abandoned.
pub(crate) struct Swept<R, A: Actor + Handler<S>, S: Message> {
    reply: Option<Reply<R>>,
    sweep: Option<(Addr<A>, S)>,
}

impl<R, A: Actor + Handler<S>, S: Message> Swept<R, A, S> {
    pub(crate) fn new(reply: Reply<R>, addr: Addr<A>, sweep: S) -> Self {
        Swept {
            reply: Some(reply),
            sweep: Some((addr, sweep)),
        }
    }
}

impl<R, A: Actor + Handler<S>, S: Message> Unpin for Swept<R, A, S> {}

impl<R, A: Actor + Handler<S>, S: Message> Future for Swept<R, A, S> {
    type Output = Result<R, AskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(reply) = self.reply.as_mut() else {
            return Poll::Ready(Err(AskError::NoReply));
        };
        match Pin::new(reply).poll(cx) {
            Poll::Ready(out) => {
                self.reply = None;
                self.sweep = None;
                Poll::Ready(out)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<R, A: Actor + Handler<S>, S: Message> Drop for Swept<R, A, S> {
    fn drop(&mut self) {
        drop(self.reply.take());
        if let Some((addr, sweep)) = self.sweep.take() {
            let _ = addr.tell_urgent(sweep);
        }
    }
}

/// Sends the message built by `make` (with a fresh reply port) and waits for
/// the deferred answer; if this future is dropped first, `sweep` is sent.
pub(crate) async fn ask_swept<A, M, R, S>(
    addr: &Addr<A>,
    make: impl FnOnce(crate::ReplyTo<R>) -> M,
    sweep: S,
) -> Result<R, AskError>
where
    A: Actor + Handler<M> + Handler<S>,
    M: Message,
    S: Message,
    R: Send + 'static,
{
    let (port, reply) = crate::ReplyTo::pair();
    let swept = Swept::new(reply, addr.clone(), sweep);
    addr.tell(make(port)).await.map_err(|_| AskError::Closed)?;
    swept.await
}
