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

type Value = Arc<dyn Any + Send + Sync>;

/// Writes a logged value (its `Debug`), for spans.
type ShowFn = fn(&(dyn Any + Send + Sync), &mut fmt::Formatter<'_>) -> fmt::Result;

#[derive(Clone)]
struct Item {
    type_id: TypeId,
    value: Value,
    show: Option<ShowFn>,
}

fn show<T: Any + fmt::Debug>(
    value: &(dyn Any + Send + Sync),
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    match value.downcast_ref::<T>() {
        Some(value) => fmt::Debug::fmt(value, f),
        None => Ok(()),
    }
}

/// An immutable set of typed values, at most one per type.
#[derive(Clone, Default)]
pub struct Baggage {
    items: Arc<Vec<Item>>,
}

impl Baggage {
    /// Empty baggage.
    ///
    /// ```
    /// use retinue::Baggage;
    /// assert!(Baggage::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The baggage current on this thread right now, if any.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// use retinue::Baggage;
    /// assert!(Baggage::current().is_none());
    /// let seen = Baggage::new().with(1u8).scope(async { Baggage::current() }).await;
    /// assert_eq!(seen.map(|b| b.len()), Some(1));
    /// # });
    /// ```
    pub fn current() -> Option<Baggage> {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// The current value of type `T`, if the current baggage has one.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// use retinue::Baggage;
    /// let seen = Baggage::new().with("req-7").scope(async { Baggage::get::<&str>() }).await;
    /// assert_eq!(seen, Some("req-7"));
    /// # });
    /// ```
    pub fn get<T: Any + Clone + Send + Sync>() -> Option<T> {
        CURRENT.with(|c| c.borrow().as_ref().and_then(|b| b.value::<T>()))
    }

    /// The current baggage (or empty) with `value` added or replaced:
    /// handy for "the same request, one more detail".
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// use retinue::Baggage;
    /// let outer = Baggage::new().with("req-7");
    /// let inner = outer.scope(async { Baggage::current_with(42u32) }).await;
    /// assert_eq!((inner.value::<&str>(), inner.value::<u32>()), (Some("req-7"), Some(42)));
    /// # });
    /// ```
    pub fn current_with<T: Any + Send + Sync>(value: T) -> Baggage {
        Self::current().unwrap_or_default().with(value)
    }

    /// This baggage with `value` added, replacing any value of its type.
    ///
    /// ```
    /// use retinue::Baggage;
    /// let b = Baggage::new().with(1u32).with(2u32); // replaces
    /// assert_eq!((b.len(), b.value::<u32>()), (1, Some(2)));
    /// ```
    pub fn with<T: Any + Send + Sync>(self, value: T) -> Baggage {
        self.insert(value, None)
    }

    /// [`with`](Self::with), and the value shows (by its `Debug`) in the
    /// `baggage` field of the `message` span of every handler it reaches
    /// (see [the crate docs](crate#logging-and-tracing)): the way to see a
    /// request id on every log line of that request.
    ///
    /// ```
    /// use retinue::Baggage;
    ///
    /// #[derive(Debug)]
    /// struct RequestId(u64);
    ///
    /// let baggage = Baggage::new().with_logged(RequestId(7)).with("not shown");
    /// assert_eq!(baggage.logged().to_string(), "RequestId(7)");
    /// ```
    pub fn with_logged<T: Any + Send + Sync + fmt::Debug>(self, value: T) -> Baggage {
        self.insert(value, Some(show::<T>))
    }

    fn insert<T: Any + Send + Sync>(self, value: T, show: Option<ShowFn>) -> Baggage {
        let type_id = TypeId::of::<T>();
        let mut items: Vec<Item> = self
            .items
            .iter()
            .filter(|item| item.type_id != type_id)
            .cloned()
            .collect();
        items.push(Item {
            type_id,
            value: Arc::new(value),
            show,
        });
        Baggage {
            items: Arc::new(items),
        }
    }

    /// The value of type `T` in this baggage.
    ///
    /// ```
    /// use retinue::Baggage;
    /// let b = Baggage::new().with(String::from("alice"));
    /// assert_eq!(b.value::<String>().as_deref(), Some("alice"));
    /// assert_eq!(b.value::<u64>(), None);
    /// ```
    pub fn value<T: Any + Clone + Send + Sync>(&self) -> Option<T> {
        self.items
            .iter()
            .find(|item| item.type_id == TypeId::of::<T>())
            .and_then(|item| item.value.downcast_ref::<T>().cloned())
    }

    /// Whether any value was added with [`with_logged`](Self::with_logged).
    pub fn has_logged(&self) -> bool {
        self.items.iter().any(|item| item.show.is_some())
    }

    /// The logged values, as spans show them: `Debug` forms joined by `, `.
    pub fn logged(&self) -> impl fmt::Display + '_ {
        Logged(self)
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
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// use retinue::Baggage;
    /// let inside = Baggage::new().with(7u8).scope(async { Baggage::get::<u8>() }).await;
    /// assert_eq!(inside, Some(7));
    /// assert_eq!(Baggage::get::<u8>(), None, "only inside the scope");
    /// # });
    /// ```
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

struct Logged<'a>(&'a Baggage);

impl fmt::Display for Logged<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for item in self.0.items.iter() {
            if let Some(show) = item.show {
                if !first {
                    f.write_str(", ")?;
                }
                first = false;
                show(&*item.value, f)?;
            }
        }
        Ok(())
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
