//! [`Inbox`]: the receiving end of a mailbox, and the loop that runs an
//! actor instance on it.
//!
//! Splitting "mailbox + address" from "actor instance" is what lets a
//! supervisor restart an actor behind the same address: it keeps the
//! `Inbox`, builds a fresh actor and runs it on the same mailbox, and the
//! messages that were waiting are handled by the new instance.
//!
//! Invariants:
//! - One instance runs at a time (`start` borrows the inbox mutably).
//! - Every panic in `started`, a handler or `stopped` is caught; the first
//!   two end the instance with [`ExitReason::Panicked`].
//! - The mailbox closes only through [`Inbox::close`] or when the inbox is
//!   dropped (then with [`ExitReason::Killed`]): an instance ending does not
//!   close it.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_lite::FutureExt;
use tracing::{Instrument, Span};

use crate::actor::Actor;
use crate::addr::{ActorId, Addr};
use crate::context::Context;
use crate::crash::{self, panicked};
use crate::current::Scoped;
use crate::envelope::{Envelope, InlineEnvelope};
use crate::exit::ExitReason;
use crate::future_slot::{FutureSlot, Placed};
use crate::lane::Batch;
use crate::mailbox::{Capacity, Control, Handover, Mailbox, Received, SharedMailbox};
use crate::trace;

/// The receiving end of an actor's mailbox. Whoever holds it runs the
/// actor; [`spawn`](crate::spawn) and supervisors are built on it.
///
/// ```
/// use retinue::{Actor, Context, Handler, Inbox, Message, ExitReason};
///
/// struct Flaky;
/// impl Actor for Flaky {}
/// struct Work(u32);
/// impl Message for Work { type Reply = u32; }
/// impl Handler<Work> for Flaky {
///     async fn handle(&mut self, msg: Work, _: &mut Context<Self>) -> u32 {
///         if msg.0 == 0 { panic!("zero") }
///         msg.0
///     }
/// }
///
/// # retinue::rt::block_on(async {
/// let mut inbox = Inbox::<Flaky>::new();
/// let addr = inbox.addr();
/// let crash = retinue::rt::spawn({ let a = addr.clone(); async move { a.ask(Work(0)).await } });
/// let queued = retinue::rt::spawn({ let a = addr.clone(); async move { a.ask(Work(7)).await } });
/// while addr.mailbox_len() < 2 { retinue::rt::yield_now().await }
///
/// // The first instance panics on the first message...
/// let reason = inbox.run(Flaky).await;
/// assert!(matches!(reason, ExitReason::Panicked(_)));
/// assert!(crash.await.unwrap().is_err());
/// // ...and a fresh one, on the same mailbox, answers the queued one.
/// retinue::rt::spawn(async move { inbox.run(Flaky).await });
/// assert_eq!(queued.await.unwrap(), Ok(7));
/// # });
/// ```
pub struct Inbox<A: Actor> {
    mailbox: Arc<Mailbox<A>>,
    /// Messages taken from the mailbox and not yet handled: they belong to
    /// the mailbox, not to an instance, so a restart keeps them.
    taken: Batch<A>,
    closed: bool,
    /// The supervised path (`workers/fetcher`), for spans and metrics.
    path: Option<Arc<str>>,
    /// A mailbox shared with other actors, served when this one is empty.
    shared: Option<Arc<Handover<InlineEnvelope<A>>>>,
}

/// An instance that has started successfully; [`run`](Running::run) it.
pub struct Running<'a, A: Actor> {
    inbox: &'a mut Inbox<A>,
    actor: A,
    ctx: Context<A>,
    /// Where each handler's future lives while it runs.
    slot: FutureSlot,
    /// This instance's `actor` span (see the crate docs on tracing).
    span: Span,
}

impl<A: Actor> Inbox<A> {
    /// A new mailbox with the actor's default capacity ([`Actor::CAPACITY`]).
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// let inbox = Inbox::<Echo>::new();
    /// assert_eq!(inbox.addr().capacity(), Echo::CAPACITY);
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(A::CAPACITY)
    }

    /// A new mailbox with the given capacity.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// use retinue::Capacity;
    /// let inbox = Inbox::<Echo>::with_capacity(Capacity::Unbounded);
    /// assert_eq!(inbox.addr().capacity(), Capacity::Unbounded);
    /// ```
    pub fn with_capacity(capacity: Capacity) -> Self {
        Inbox {
            mailbox: Arc::new(Mailbox::new(capacity)),
            taken: Batch::empty(),
            closed: false,
            path: None,
            shared: None,
        }
    }

    /// Names this mailbox's place in a supervision tree, such as
    /// `"workers/fetcher"`: the `path` field of its actors' spans and the
    /// `path` label of their metrics. Supervisors set it for their children
    /// (the parent's path, `/`, the child's id); set it yourself when you
    /// run instances on an inbox of your own. Applies to instances started
    /// after the call.
    ///
    /// ```
    /// use retinue::{Actor, Inbox};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// let mut inbox = Inbox::<Worker>::new();
    /// assert_eq!(inbox.path(), None);
    /// inbox.set_path("pool/worker-1");
    /// assert_eq!(inbox.path(), Some("pool/worker-1"));
    /// ```
    pub fn set_path(&mut self, path: impl Into<Arc<str>>) {
        self.path = Some(path.into());
    }

    /// The supervised path set with [`set_path`](Self::set_path).
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Also serves `shared`: whenever this mailbox (its control lane
    /// first) has nothing, the instance takes the next message of the
    /// shared one, one at a time, only when it is about to handle it.
    /// Applies to every instance run here, restarted ones included. An
    /// instance whose own addresses are all gone keeps serving until the
    /// shared mailbox's handles are gone too.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// use retinue::{Capacity, SharedMailbox};
    /// let shared = SharedMailbox::<Echo>::new(Capacity::DEFAULT);
    /// let mut inbox = Inbox::<Echo>::new();
    /// inbox.share(&shared);
    /// retinue::rt::spawn(async move { inbox.run(Echo).await });
    /// assert_eq!(shared.ask(Say(3)).await, Ok(3));
    /// # });
    /// ```
    pub fn share(&mut self, shared: &SharedMailbox<A>) {
        self.shared = Some(shared.queue());
    }

    /// A strong address of this mailbox.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let mut inbox = Inbox::<Echo>::new();
    /// let echo = inbox.addr(); // valid before any instance runs
    /// retinue::rt::spawn(async move { inbox.run(Echo).await });
    /// assert_eq!(echo.ask(Say(1)).await, Ok(1));
    /// # });
    /// ```
    pub fn addr(&self) -> Addr<A> {
        Addr::from_mailbox(self.mailbox.clone())
    }

    /// The identity every instance run here shares.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// let inbox = Inbox::<Echo>::new();
    /// assert_eq!(inbox.id(), inbox.addr().id());
    /// ```
    pub fn id(&self) -> ActorId {
        self.mailbox.id()
    }

    /// How many ordinary messages are waiting.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// let inbox = Inbox::<Echo>::new();
    /// inbox.addr().try_tell(Say(1)).unwrap();
    /// assert_eq!(inbox.len(), 1);
    /// assert!(!inbox.is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.mailbox.len()
    }

    /// Whether no ordinary message is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many instances have been started here.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// use retinue::ExitReason;
    /// let mut inbox = Inbox::<Echo>::new();
    /// assert_eq!(inbox.instances(), 0);
    /// inbox.addr().stop();
    /// assert_eq!(inbox.run(Echo).await, ExitReason::Stopped);
    /// assert_eq!(inbox.instances(), 1);
    /// # });
    /// ```
    pub fn instances(&self) -> u64 {
        self.mailbox.instances()
    }

    /// Runs `started` on a new instance. On success the instance is ready
    /// to [`run`](Running::run); on failure (an error or a panic) the
    /// instance is gone, `stopped` is not called, and the mailbox with its
    /// queued messages is untouched.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let mut inbox = Inbox::<Echo>::new();
    /// let echo = inbox.addr();
    /// let running = inbox.start(Echo).await.unwrap(); // `started` has run
    /// echo.stop();
    /// assert_eq!(running.run().await, retinue::ExitReason::Stopped);
    /// # });
    /// ```
    pub async fn start(&mut self, mut actor: A) -> Result<Running<'_, A>, ExitReason> {
        crash::install_hook();
        let instance = self.mailbox.next_instance();
        let id = self.id();
        let span = trace::actor_span::<A>(id, self.path(), instance);
        let mut ctx = Context::new(self.mailbox.clone(), instance, self.path.clone());
        #[cfg(feature = "metrics")]
        self.mailbox.meter_asks(self.path());
        ctx.meter.started(instance);
        let started = Scoped::new(id, AssertUnwindSafe(actor.started(&mut ctx)).catch_unwind())
            .instrument(span.clone())
            .await;
        let failed = match started {
            Ok(Ok(())) => {
                return Ok(Running {
                    inbox: self,
                    actor,
                    ctx,
                    slot: FutureSlot::new(),
                    span,
                });
            }
            Ok(Err(err)) => ExitReason::failed(err),
            Err(payload) => span.in_scope(|| panicked::<A>(id, "started", &*payload)),
        };
        ctx.meter.exited(&failed);
        Err(failed)
    }

    /// Starts and runs one instance to its end, and returns why it ended.
    /// The mailbox stays open: call again to restart, or [`close`](Self::close).
    #[allow(clippy::manual_async_fn)] // deliberately not an `async fn`: see below
    pub fn run(&mut self, actor: A) -> impl Future<Output = ExitReason> + Send + '_ {
        // Not an `async fn`, so that `actor` is not kept twice (see
        // `Running::run`); and shaped so that neither the start future
        // nor the started instance outlives the statement that consumes
        // it: whatever is still in scope at the last `await` stays in
        // every idle actor's memory.
        async move {
            let run = match self.start(actor).await {
                Ok(running) => running.run(),
                Err(reason) => return reason,
            };
            run.await
        }
    }

    /// Ends the mailbox for good: later sends fail, queued messages are
    /// dropped (their askers get an error), and `reason` goes to
    /// `wait_stopped` callers, watchers and links.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Inbox, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// use retinue::{AskError, ExitReason};
    /// let inbox = Inbox::<Echo>::new();
    /// let echo = inbox.addr();
    /// inbox.close(ExitReason::Shutdown);
    /// assert_eq!(echo.ask(Say(1)).await, Err(AskError::Closed));
    /// assert_eq!(echo.wait_stopped().await, ExitReason::Shutdown);
    /// # });
    /// ```
    pub fn close(mut self, reason: ExitReason) {
        self.closed = true;
        let taken = std::mem::replace(&mut self.taken, Batch::empty());
        self.mailbox.close(reason, taken);
    }
}

impl<A: Actor> Default for Inbox<A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A: Actor> Drop for Inbox<A> {
    fn drop(&mut self) {
        if !self.closed {
            let taken = std::mem::replace(&mut self.taken, Batch::empty());
            self.mailbox.close(ExitReason::Killed, taken);
        }
    }
}

impl<A: Actor> fmt::Debug for Inbox<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("id", &self.id())
            .field("len", &self.len())
            .finish()
    }
}

impl<'a, A: Actor> Running<'a, A> {
    /// Serves messages until the instance ends, runs `stopped`, and
    /// returns the reason.
    pub fn run(mut self) -> impl Future<Output = ExitReason> + Send + 'a {
        // A plain function returning an `async` block, not an `async fn`:
        // an `async fn` keeps its by-value arguments twice (as arguments
        // and as locals), and `self` is most of an idle actor's memory.
        let id = self.inbox.id();
        let span = std::mem::replace(&mut self.span, Span::none());
        let run = Scoped::new(id, async move {
            let reason = self.serve().await;
            self.ctx.meter.exited(&reason);
            let stopped = AssertUnwindSafe(self.actor.stopped(&mut self.ctx, &reason))
                .catch_unwind()
                .await;
            if let Err(payload) = stopped {
                panicked::<A>(id, "stopped", &*payload);
            }
            tracing::debug!(actor = %id, %reason, "actor instance ended");
            reason
        });
        run.instrument(span)
    }

    async fn serve(&mut self) -> ExitReason {
        let mailbox = self.inbox.mailbox.clone();
        loop {
            if let Some(reason) = self.ctx.exit_requested() {
                return reason.clone();
            }
            let envelope = match self.next(&mailbox).await {
                Next::Shared(envelope) => Taken::Shared(envelope),
                Next::Own(Received::Message(envelope))
                | Next::Own(Received::Control(Control::Message(envelope))) => Taken::Own(envelope),
                Next::Own(Received::Control(Control::Exit(reason))) => return reason,
                Next::Own(Received::Control(Control::Fail { instance, reason })) => {
                    if instance == self.ctx.instance() {
                        return reason;
                    }
                    continue; // from a previous instance's task: stale
                }
                Next::Own(Received::Orphaned) => return ExitReason::Normal,
            };
            // Counted as the handler starts, so an asker that got its
            // reply always sees its message counted.
            mailbox.count_handled();
            self.ctx.meter.begin();
            let message_type = envelope.message_type();
            // SAFETY: `handler` is dropped by the end of this iteration.
            let handler =
                unsafe { envelope.handle(&mut self.actor, &mut self.ctx, &mut self.slot) };
            let handled = AssertUnwindSafe(handler).catch_unwind().await;
            if let Err(payload) = handled {
                return panicked::<A>(mailbox.id(), message_type(), &*payload);
            }
            if self.ctx.meter.end() {
                self.ctx.meter.flush(Some(mailbox.len()));
            }
        }
    }

    /// The next thing to serve: this mailbox first, then the shared one.
    async fn next(&mut self, mailbox: &Mailbox<A>) -> Next<A> {
        loop {
            // Messages waiting is the busy case: take one without building
            // the waiting future.
            let own = mailbox.try_receive(&mut self.inbox.taken);
            let Some(shared) = &self.inbox.shared else {
                if let Some(next) = own {
                    return Next::Own(next);
                }
                self.ctx.meter.flush(Some(0)); // going idle: publish
                return Next::Own(mailbox.receive(&mut self.inbox.taken).await);
            };
            let orphaned = match own {
                Some(Received::Orphaned) => true, // the shared mailbox decides
                Some(next) => return Next::Own(next),
                None => false,
            };
            if let Ok(envelope) = shared.try_take() {
                return Next::Shared(envelope);
            }
            self.ctx.meter.flush(Some(0));
            // Out of line (and boxed): every actor's idle future has room
            // for its longest wait, and only sharing actors wait on two.
            let waited = Box::pin(wait_either(
                mailbox,
                &mut self.inbox.taken,
                shared,
                orphaned,
            ));
            match waited.await {
                // Orphaned, but the shared mailbox may still have senders:
                // the next turn waits for them.
                Next::Own(Received::Orphaned) if !orphaned => continue,
                next => return next,
            }
        }
    }
}

/// Waits for this mailbox or the shared one, whichever has something
/// first; only for the shared one if this one is `orphaned`.
async fn wait_either<A: Actor>(
    mailbox: &Mailbox<A>,
    taken: &mut Batch<A>,
    shared: &Handover<InlineEnvelope<A>>,
    orphaned: bool,
) -> Next<A> {
    if orphaned {
        let next = shared.take().await;
        return next.map_or(Next::Own(Received::Orphaned), Next::Shared);
    }
    let from_shared = async {
        match shared.take().await {
            Some(envelope) => Next::Shared(envelope),
            // Closed: this mailbox alone from now on.
            None => std::future::pending().await,
        }
    };
    let from_own = async { Next::Own(mailbox.receive(taken).await) };
    from_own.or(from_shared).await
}

/// What an instance serves next: from its own mailbox, or a shared one.
enum Next<A> {
    Own(Received<A>),
    Shared(InlineEnvelope<A>),
}

/// A message taken to handle, from either mailbox.
enum Taken<A> {
    Own(Envelope<A>),
    Shared(InlineEnvelope<A>),
}

impl<A: Actor> Taken<A> {
    fn message_type(&self) -> fn() -> &'static str {
        match self {
            Taken::Own(envelope) => envelope.message_type(),
            Taken::Shared(envelope) => envelope.message_type(),
        }
    }

    /// # Safety
    /// As for `Envelope::handle`: the `Placed` must be dropped.
    unsafe fn handle<'a>(
        self,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
        slot: &'a mut FutureSlot,
    ) -> Placed<'a> {
        // SAFETY: passed on to our caller.
        unsafe {
            match self {
                Taken::Own(envelope) => envelope.handle(actor, ctx, slot),
                Taken::Shared(envelope) => envelope.handle(actor, ctx, slot),
            }
        }
    }
}
