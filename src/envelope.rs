//! Type-erased messages: what a mailbox of `A` actually holds.
//!
//! One box per message; the handler's future is boxed once more so that a
//! mailbox of `A` can hold messages of every type `A` handles.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use crate::actor::{Handler, Message};
use crate::context::Context;
use crate::reply::ReplyTo;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A message of some type that actor `A` handles.
pub(crate) trait Envelope<A: crate::actor::Actor>: Send {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, ()>;

    /// The envelope as `Any`, so a sender can take its message back when
    /// the mailbox closed under it.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

pub(crate) type Boxed<A> = Box<dyn Envelope<A>>;

/// A told message: the reply, if any, is dropped.
pub(crate) struct Tell<M>(pub(crate) M);

/// An asked message and the port its reply goes to.
pub(crate) struct Ask<M: Message>(pub(crate) M, pub(crate) ReplyTo<M::Reply>);

impl<A: Handler<M>, M: Message> Envelope<A> for Tell<M> {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            actor.handle(self.0, ctx).await;
        })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl<A: Handler<M>, M: Message> Envelope<A> for Ask<M> {
    fn handle<'a>(
        self: Box<Self>,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> BoxFuture<'a, ()> {
        let Ask(msg, port) = *self;
        Box::pin(async move {
            let reply = actor.handle(msg, ctx).await;
            let _ = port.send(reply);
        })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}
