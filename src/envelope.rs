//! Type-erased messages: what a mailbox of `A` actually holds.
//!
//! One box per message; the handler's future is boxed once more so that a
//! mailbox of `A` can hold messages of every type `A` handles.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use crate::actor::{Handler, Message};
use crate::baggage::{self, Baggage};
use crate::context::Context;
use crate::reply::ReplyTo;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A message of some type that actor `A` handles.
pub(crate) trait Envelope<A: crate::actor::Actor>: Send {
    fn handle<'a>(self: Box<Self>, actor: &'a mut A, ctx: &'a mut Context<A>) -> BoxFuture<'a, ()>;

    /// The envelope as `Any`, so a sender can take its message back when
    /// the mailbox closed under it.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

pub(crate) type Boxed<A> = Box<dyn Envelope<A>>;

/// A told message: the reply, if any, is dropped. Carries the sender's
/// baggage.
pub(crate) struct Tell<M>(pub(crate) M, pub(crate) Option<Baggage>);

/// An asked message, the port its reply goes to, and the sender's baggage.
pub(crate) struct Ask<M: Message>(
    pub(crate) M,
    pub(crate) ReplyTo<M::Reply>,
    pub(crate) Option<Baggage>,
);

impl<M> Tell<M> {
    /// A tell carrying the current baggage.
    pub(crate) fn new(msg: M) -> Self {
        Tell(msg, Baggage::current())
    }
}

impl<A: Handler<M>, M: Message> Envelope<A> for Tell<M> {
    fn handle<'a>(self: Box<Self>, actor: &'a mut A, ctx: &'a mut Context<A>) -> BoxFuture<'a, ()> {
        let Tell(msg, baggage) = *self;
        Box::pin(baggage::WithBaggage::maybe(baggage, async move {
            actor.handle(msg, ctx).await;
        }))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl<A: Handler<M>, M: Message> Envelope<A> for Ask<M> {
    fn handle<'a>(self: Box<Self>, actor: &'a mut A, ctx: &'a mut Context<A>) -> BoxFuture<'a, ()> {
        let Ask(msg, port, baggage) = *self;
        Box::pin(baggage::WithBaggage::maybe(baggage, async move {
            let reply = actor.handle(msg, ctx).await;
            let _ = port.send(reply);
        }))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}
