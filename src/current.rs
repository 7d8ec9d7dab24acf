//! Which actor the current thread is running right now, so that an actor
//! asking itself gets an error instead of a deadlock.
//!
//! Invariant: the id is set only while an actor's own future is being
//! polled and restored afterwards, so tasks the actor spawns (which run on
//! their own) are not mistaken for it.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::addr::ActorId;

thread_local! {
    static CURRENT: Cell<Option<ActorId>> = const { Cell::new(None) };
}

/// The actor whose future this thread is polling, if any.
pub(crate) fn actor() -> Option<ActorId> {
    CURRENT.with(Cell::get)
}

pin_project_lite::pin_project! {
    /// Polls `inner` with `id` marked as the current actor.
    pub(crate) struct Scoped<F> {
        id: ActorId,
        #[pin]
        inner: F,
    }
}

impl<F> Scoped<F> {
    pub(crate) fn new(id: ActorId, inner: F) -> Self {
        Scoped { id, inner }
    }
}

struct Restore(Option<ActorId>);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _restore = Restore(CURRENT.with(|c| c.replace(Some(*this.id))));
        this.inner.poll(cx)
    }
}
