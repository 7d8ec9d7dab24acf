//! One-shot reply ports: how an answer travels back to an asker.
//!
//! A [`ReplyTo`] and its [`Reply`] share one slot. Invariants:
//! - at most one value is ever stored, and it is either taken by the
//!   `Reply` or handed back to the sender by [`ReplyTo::send`];
//! - dropping the `ReplyTo` without sending wakes the `Reply` with
//!   [`AskError::NoReply`]: an asker never hangs on a lost port;
//! - dropping the `Reply` (the asker gave up) makes
//!   [`ReplyTo::is_closed`] true, and a later `send` returns the value.
//!
//! A value that was stored but never taken (the asker gave up after the
//! send) is dropped with the slot; reply types that own a resource release
//! it in their `Drop` (see the lock guard in `sync`).
//!
//! # Example: a deferred reply
//!
//! ```
//! use retinue::ReplyTo;
//!
//! # retinue::rt::block_on(async {
//! let (port, reply) = ReplyTo::<u32>::pair();
//! retinue::rt::spawn(async move {
//!     // answer later, from anywhere
//!     let _ = port.send(7);
//! });
//! assert_eq!(reply.await, Ok(7));
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::error::AskError;

struct Slot<R> {
    state: Mutex<State<R>>,
}

struct State<R> {
    value: Option<R>,
    waker: Option<Waker>,
    port_gone: bool,
    reply_gone: bool,
}

impl<R> Slot<R> {
    fn lock(&self) -> MutexGuard<'_, State<R>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sending half of a one-shot reply. Hand it to whoever will answer.
pub struct ReplyTo<R> {
    slot: Arc<Slot<R>>,
    sent: bool,
}

/// The receiving half: a future that resolves to the answer, or to
/// [`AskError::NoReply`] when the [`ReplyTo`] is dropped unanswered.
#[must_use = "a reply does nothing unless awaited"]
pub struct Reply<R> {
    slot: Arc<Slot<R>>,
    /// The answer (or `NoReply`) was returned: the port has finished with
    /// the slot, so dropping needs no lock.
    done: bool,
}

impl<R> ReplyTo<R> {
    /// A connected port and reply.
    pub fn pair() -> (ReplyTo<R>, Reply<R>) {
        let slot = Arc::new(Slot {
            state: Mutex::new(State {
                value: None,
                waker: None,
                port_gone: false,
                reply_gone: false,
            }),
        });
        (
            ReplyTo {
                slot: slot.clone(),
                sent: false,
            },
            Reply { slot, done: false },
        )
    }

    /// Answers. Gives the value back when the asker has already gone away,
    /// so a grant that reaches nobody can be returned.
    pub fn send(mut self, value: R) -> Result<(), R> {
        let waker = {
            let mut state = self.slot.lock();
            if state.reply_gone {
                return Err(value);
            }
            state.value = Some(value);
            self.sent = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the asker has gone away (its future was dropped, or its
    /// timeout passed). Primitives skip waiters whose port is closed.
    pub fn is_closed(&self) -> bool {
        self.slot.lock().reply_gone
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if self.sent {
            return;
        }
        let waker = {
            let mut state = self.slot.lock();
            state.port_gone = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<R> Future for Reply<R> {
    type Output = Result<R, AskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut state = this.slot.lock();
        if let Some(value) = state.value.take() {
            this.done = true;
            return Poll::Ready(Ok(value));
        }
        if state.port_gone {
            this.done = true;
            return Poll::Ready(Err(AskError::NoReply));
        }
        match &state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<R> Drop for Reply<R> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Take any unreceived value out before releasing the lock, so its
        // `Drop` (which may send messages) runs without the slot locked.
        let orphan = {
            let mut state = self.slot.lock();
            state.reply_gone = true;
            state.value.take()
        };
        drop(orphan);
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<R> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply").finish_non_exhaustive()
    }
}
