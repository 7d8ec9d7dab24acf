//! [`Baggage`]: a small typed context that travels with messages, like
//! Python's context variables. Set a request id (or a `tracing::Span`) once
//! at the edge; every message sent while it is current carries it, the
//! handler sees it, and the messages that handler sends carry it on — so
//! one request can be followed through many actors in the logs.
//!
//! Invariants:
//! - The current baggage is thread-local and set only while a scoped
//!   future (or a handler of a message that carried baggage) is being
//!   polled; it is restored after every poll, so it never leaks into
//!   unrelated tasks sharing the thread.
//! - Baggage is immutable and shared (`Arc`): capturing it per message is
//!   one pointer copy, and nothing at all when there is none.
//!
//! ```
//! use retinue::{Actor, Baggage, Context, Handler, Message};
//!
//! #[derive(Clone, Debug, PartialEq)]
//! struct RequestId(u64);
//!
//! struct Backend;
//! impl Actor for Backend {}
//! struct Query;
//! impl Message for Query { type Reply = Option<RequestId>; }
//! impl Handler<Query> for Backend {
//!     async fn handle(&mut self, _: Query, _: &mut Context<Self>) -> Option<RequestId> {
//!         Baggage::get::<RequestId>() // travelled with the message
//!     }
//! }
//!
//! # retinue::rt::block_on(async {
//! let backend = retinue::spawn(Backend);
//! let seen = Baggage::new().with(RequestId(7)).scope(backend.ask(Query)).await;
//! assert_eq!(seen, Ok(Some(RequestId(7))));
//! assert_eq!(backend.ask(Query).await, Ok(None), "nothing outside the scope");
//! # });
//! ```

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

thread_local! {
    static CURRENT: RefCell<Option<Baggage>> = const { RefCell::new(None) };
}

type Item = (TypeId, Arc<dyn Any + Send + Sync>);

/// An immutable set of typed values, at most one per type.
#[derive(Clone, Default)]
pub struct Baggage {
    items: Arc<Vec<Item>>,
}

impl Baggage {
    /// Empty baggage.
    pub fn new() -> Self {
        Self::default()
    }

    /// The baggage current on this thread right now, if any.
    pub fn current() -> Option<Baggage> {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// The current value of type `T`, if the current baggage has one.
    pub fn get<T: Any + Clone + Send + Sync>() -> Option<T> {
        CURRENT.with(|c| c.borrow().as_ref().and_then(|b| b.value::<T>()))
    }

    /// The current baggage (or empty) with `value` added or replaced:
    /// handy for "the same request, one more detail".
    pub fn current_with<T: Any + Send + Sync>(value: T) -> Baggage {
        Self::current().unwrap_or_default().with(value)
    }

    /// This baggage with `value` added, replacing any value of its type.
    pub fn with<T: Any + Send + Sync>(self, value: T) -> Baggage {
        let mut items: Vec<Item> = self
            .items
            .iter()
            .filter(|(id, _)| *id != TypeId::of::<T>())
            .cloned()
            .collect();
        items.push((TypeId::of::<T>(), Arc::new(value)));
        Baggage {
            items: Arc::new(items),
        }
    }

    /// The value of type `T` in this baggage.
    pub fn value<T: Any + Clone + Send + Sync>(&self) -> Option<T> {
        self.items
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .and_then(|(_, v)| v.downcast_ref::<T>().cloned())
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds no value.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Runs `future` with this baggage current (including in everything it
    /// sends).
    pub fn scope<F: Future>(self, future: F) -> WithBaggage<F> {
        WithBaggage {
            baggage: Some(self),
            inner: future,
        }
    }
}

impl fmt::Debug for Baggage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Baggage")
            .field("values", &self.items.len())
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// A future polled with some baggage current. See [`Baggage::scope`].
    pub struct WithBaggage<F> {
        baggage: Option<Baggage>,
        #[pin]
        inner: F,
    }
}

impl<F> WithBaggage<F> {
    /// Wraps `inner` so that `baggage` (if any) is current while it is
    /// polled; with `None` the wrapper costs nothing.
    pub(crate) fn maybe(baggage: Option<Baggage>, inner: F) -> Self {
        WithBaggage { baggage, inner }
    }
}

struct Restore(Option<Baggage>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

impl<F: Future> Future for WithBaggage<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(baggage) = this.baggage.as_ref() else {
            return this.inner.poll(cx);
        };
        let previous = CURRENT.with(|c| c.replace(Some(baggage.clone())));
        let _restore = Restore(previous);
        this.inner.poll(cx)
    }
}
