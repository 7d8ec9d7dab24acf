//! [`Hold`]: how a scope (a group, a gather, an as_completed stream) knows
//! that every one of its descendants, at any depth, has finished its
//! cleanup.
//!
//! Invariants:
//! - A scope's tracker counts the live holds on it. The scope's owner has
//!   one; every task the scope spawns carries one and drops it only after
//!   its own future (and everything that future owned) has been dropped.
//! - While a scope's task (or a scope's body) is being polled, its tracker
//!   is the thread's *current* scope. A scope created during that poll
//!   takes a hold on the current scope as its parent, and gives it back
//!   only when its own count reaches zero. So an ancestor stays "busy"
//!   until every descendant, however deep, is gone — even when a cancelled
//!   inner scope's owner was dropped long before its children.
//! - From "only the owner's hold is left" the count can grow again only
//!   through the owner (spawning), never through a descendant.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use event_listener::{Event, EventListener};

struct Tracker {
    holds: AtomicUsize,
    parent: Mutex<Option<Hold>>,
    changed: Event,
}

/// One counted reference to a scope; see the module docs.
pub(super) struct Hold(Arc<Tracker>);

/// An uncounted reference to a scope, for handing out holds while the
/// owner's hold is known to be live (a group that is still open).
#[derive(Clone)]
pub(super) struct ScopeRef(Arc<Tracker>);

impl ScopeRef {
    /// A new hold on the scope. Call only while another hold is live.
    pub(super) fn hold(&self) -> Hold {
        Hold::count(self.0.clone())
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Tracker>>> = const { RefCell::new(None) };
}

impl Hold {
    /// A new scope, held once (by its owner), a child of the scope whose
    /// task is being polled on this thread, if any.
    pub(super) fn new_scope() -> Hold {
        let parent = CURRENT.with(|c| c.borrow().clone()).map(Hold::count);
        Hold(Arc::new(Tracker {
            holds: AtomicUsize::new(1),
            parent: Mutex::new(parent),
            changed: Event::new(),
        }))
    }

    /// An uncounted reference to this scope.
    pub(super) fn scope(&self) -> ScopeRef {
        ScopeRef(self.0.clone())
    }

    fn count(tracker: Arc<Tracker>) -> Hold {
        tracker.holds.fetch_add(1, Ordering::SeqCst);
        Hold(tracker)
    }

    /// How many holds other than this one are live: the scope's tasks and,
    /// through them, its descendants.
    pub(super) fn others(&self) -> usize {
        self.0.holds.load(Ordering::SeqCst).saturating_sub(1)
    }

    /// Ready once this is the scope's last hold.
    pub(super) fn poll_drained(
        &self,
        listener: &mut Option<EventListener>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        loop {
            if self.others() == 0 {
                *listener = None;
                return Poll::Ready(());
            }
            match listener.as_mut() {
                None => *listener = Some(self.0.changed.listen()),
                Some(l) => {
                    if Pin::new(l).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    *listener = None;
                }
            }
        }
    }

    /// Waits until this is the scope's last hold.
    pub(super) async fn drained(&self) {
        let mut listener = None;
        std::future::poll_fn(|cx| self.poll_drained(&mut listener, cx)).await
    }

    /// Wraps `future` so that it runs inside this scope (as the current
    /// scope while polled) and keeps the scope busy until it is dropped.
    pub(super) fn run<F: Future>(self, future: F) -> Held<F> {
        Held { future, hold: self }
    }
}

impl Clone for Hold {
    fn clone(&self) -> Self {
        Hold::count(self.0.clone())
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if self.0.holds.fetch_sub(1, Ordering::SeqCst) == 1 {
            // The last one: the scope and all its descendants are gone.
            let parent = self
                .0
                .parent
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            drop(parent);
        }
        self.0.changed.notify(usize::MAX);
    }
}

/// Restores the thread's previous current scope, even on a panic.
struct Restore(Option<Arc<Tracker>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

pin_project_lite::pin_project! {
    /// A future running inside a scope: see [`Hold::run`]. Fields drop in
    /// order, so the hold goes only after the future.
    pub(super) struct Held<F> {
        #[pin]
        future: F,
        hold: Hold,
    }
}

impl<F: Future> Future for Held<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let previous = CURRENT.with(|c| c.borrow_mut().replace(this.hold.0.clone()));
        let _restore = Restore(previous);
        this.future.poll(cx)
    }
}
