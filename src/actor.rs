//! The three traits a user implements: [`Actor`], [`Message`], [`Handler`].

use std::future::Future;

use crate::context::Context;
use crate::error::BoxError;
use crate::exit::ExitReason;
use crate::mailbox::Capacity;

/// An actor owns its state and is reached only through its mailbox.
///
/// Both hooks have defaults; most actors implement neither.
///
/// ```
/// use retinue::{Actor, Context, BoxError};
///
/// struct Greeter { greeted: u32 }
///
/// impl Actor for Greeter {
///     async fn started(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
///         self.greeted = 0;
///         Ok(())
///     }
/// }
/// ```
pub trait Actor: Sized + Send + 'static {
    /// The mailbox size used when this actor is spawned without an explicit
    /// capacity. See [`Capacity::DEFAULT`] for why it is what it is.
    const CAPACITY: Capacity = Capacity::DEFAULT;

    /// Runs before the first message. An error (or a panic) means the actor
    /// never handles a message; the exit reason reports it and `stopped` is
    /// not called.
    fn started(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), BoxError>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Runs after the last message, for every exit except a start failure
    /// and a hard kill ([`ExitReason::Killed`]). Owned tasks and timers are
    /// still alive while it runs and are cancelled right after.
    fn stopped(
        &mut self,
        ctx: &mut Context<Self>,
        reason: &ExitReason,
    ) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }
}

/// A value an actor can receive. `Reply` is what an `ask` returns.
///
/// ```
/// use retinue::Message;
///
/// struct Add(u64);
/// impl Message for Add { type Reply = u64; }
/// ```
pub trait Message: Send + 'static {
    /// The answer to an `ask`; use `()` for messages that are only told.
    type Reply: Send + 'static;
}

/// How actor `Self` handles message `M`. Implement it with `async fn`.
///
/// ```
/// use retinue::{Actor, Context, Handler, Message};
///
/// struct Counter(u64);
/// impl Actor for Counter {}
///
/// struct Add(u64);
/// impl Message for Add { type Reply = u64; }
///
/// impl Handler<Add> for Counter {
///     async fn handle(&mut self, msg: Add, _ctx: &mut Context<Self>) -> u64 {
///         self.0 += msg.0;
///         self.0
///     }
/// }
///
/// # retinue::rt::block_on(async {
/// let counter = retinue::spawn(Counter(0));
/// counter.tell(Add(2)).await.unwrap();
/// assert_eq!(counter.ask(Add(3)).await, Ok(5));
/// # });
/// ```
pub trait Handler<M: Message>: Actor {
    /// Handles one message. The mailbox waits while this runs: long or
    /// blocking work belongs in [`Context::spawn_task`] or
    /// [`rt::spawn_blocking`](crate::rt::spawn_blocking).
    fn handle(&mut self, msg: M, ctx: &mut Context<Self>) -> impl Future<Output = M::Reply> + Send;
}
