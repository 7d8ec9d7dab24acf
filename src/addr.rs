//! Addresses: how anyone reaches an actor.
//!
//! Invariants:
//! - Every [`Addr`] counts as a sender; when the last one is dropped and the
//!   mailbox is empty, an unsupervised actor exits with
//!   [`ExitReason::Normal`]. [`WeakAddr`] does not count.
//! - An address names a mailbox, not an actor instance: under a supervisor
//!   it stays valid across restarts.
//! - Delivery is at most once and FIFO per sender: two messages sent one
//!   after the other from one task arrive in that order.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

pub use crate::id::{ActorId, short_type_name};

use crate::actor::{Actor, Handler, Message};
use crate::current;
use crate::envelope::{Ask, Envelope, Tell};
use crate::error::{AskError, SendError, TrySendError};
use crate::exit::ExitReason;
use crate::mailbox::{Capacity, Control, Mailbox, PushFailed};
use crate::recipient::Recipient;
use crate::reply::ReplyTo;
use crate::rt;

mod weak;
pub use weak::WeakAddr;

/// The address of an actor of type `A`. Cheap to clone; keeps the actor
/// reachable (see the module invariants).
///
/// ```
/// use retinue::{Actor, Context, Handler, Message, AskError};
///
/// struct Echo;
/// impl Actor for Echo {}
/// struct Say(&'static str);
/// impl Message for Say { type Reply = &'static str; }
/// impl Handler<Say> for Echo {
///     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> &'static str { msg.0 }
/// }
///
/// # retinue::rt::block_on(async {
/// let echo = retinue::spawn(Echo);
/// assert_eq!(echo.ask(Say("hi")).await, Ok("hi"));
/// echo.stop();
/// echo.wait_stopped().await;
/// assert_eq!(echo.ask(Say("hi")).await, Err(AskError::Closed));
/// # });
/// ```
pub struct Addr<A> {
    mailbox: Arc<Mailbox<A>>,
}

impl<A: Actor> Addr<A> {
    pub(crate) fn from_mailbox(mailbox: Arc<Mailbox<A>>) -> Self {
        mailbox.add_sender();
        Addr { mailbox }
    }

    pub(crate) fn mailbox(&self) -> &Arc<Mailbox<A>> {
        &self.mailbox
    }

    /// The actor's identity.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let a = retinue::spawn(Echo);
    /// let b = retinue::spawn(Echo);
    /// assert_ne!(a.id(), b.id());
    /// assert_eq!(a.clone().id(), a.id());
    /// # });
    /// ```
    pub fn id(&self) -> ActorId {
        self.mailbox.id()
    }

    /// Sends a message, waiting while the mailbox is full. Fails, giving the
    /// message back, only when the actor has stopped for good.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let echo = retinue::spawn(Echo);
    /// echo.tell(Say(1)).await.unwrap(); // queued; no reply
    /// echo.stop();
    /// echo.wait_stopped().await;
    /// assert_eq!(echo.tell(Say(2)).await.unwrap_err().0 .0, 2, "the message comes back");
    /// # });
    /// ```
    pub async fn tell<M: Message>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        // Room is the common case: settle it without the waiting future.
        let envelope = match self.mailbox.try_push(Envelope::new(Tell::new(msg))) {
            Ok(()) => return Ok(()),
            Err(PushFailed::Closed(envelope)) => return Err(SendError(unwrap_tell(envelope))),
            Err(PushFailed::Full(envelope)) => envelope,
        };
        self.mailbox
            .push(envelope)
            .await
            .map_err(|envelope| SendError(unwrap_tell(envelope)))
    }

    /// Sends a message if there is room right now.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// use retinue::{Capacity, Inbox, TrySendError};
    /// // A mailbox nobody runs yet: one place, then full.
    /// let inbox = Inbox::<Echo>::with_capacity(Capacity::Bounded(1));
    /// let echo = inbox.addr();
    /// echo.try_tell(Say(1)).unwrap();
    /// assert!(matches!(echo.try_tell(Say(2)), Err(TrySendError::Full(Say(2)))));
    /// # });
    /// ```
    pub fn try_tell<M: Message>(&self, msg: M) -> Result<(), TrySendError<M>>
    where
        A: Handler<M>,
    {
        self.mailbox
            .try_push(Envelope::new(Tell::new(msg)))
            .map_err(|failed| match failed {
                PushFailed::Full(e) => TrySendError::Full(unwrap_tell(e)),
                PushFailed::Closed(e) => TrySendError::Closed(unwrap_tell(e)),
            })
    }

    /// Sends a message through the control lane: it never waits, is never
    /// refused for lack of room, and is handled before any queued ordinary
    /// message. Meant for signals that must not be lost, such as a guard's
    /// release sent from `Drop`.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let echo = retinue::spawn(Echo);
    /// echo.tell_urgent(Say(1)).unwrap(); // never waits
    /// assert_eq!(echo.ask(Say(2)).await, Ok(2));
    /// # });
    /// ```
    pub fn tell_urgent<M: Message>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        self.mailbox
            .push_control(Control::Message(Envelope::new(Tell::new(msg))))
            .map_err(|control| match control {
                Control::Message(e) => SendError(unwrap_tell(e)),
                _ => unreachable!("pushed a message, got a signal back"),
            })
    }

    /// Sends a message and waits for the handler's reply.
    ///
    /// Fails at once with [`AskError::Closed`] when the actor has stopped,
    /// with [`AskError::SelfAsk`] when called from the actor's own handler,
    /// and with [`AskError::NoReply`] when the handler panics or the
    /// instance stops before answering.
    pub async fn ask<M: Message>(&self, msg: M) -> Result<M::Reply, AskError>
    where
        A: Handler<M>,
    {
        self.check_not_self()?;
        self.mailbox.count_ask(false);
        let (port, reply) = ReplyTo::pair();
        self.mailbox
            .push(Envelope::new(Ask::new(msg, port)))
            .await
            .map_err(|_| AskError::Closed)?;
        reply.await
    }

    /// [`ask`](Self::ask) with a deadline. On timeout the reply port closes,
    /// which the handler can see with [`ReplyTo::is_closed`].
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// use std::time::Duration;
    /// let echo = retinue::spawn(Echo);
    /// assert_eq!(echo.ask_timeout(Say(7), Duration::from_secs(5)).await, Ok(7));
    /// # });
    /// ```
    pub async fn ask_timeout<M: Message>(
        &self,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, AskError>
    where
        A: Handler<M>,
    {
        let answer = rt::timeout(timeout, self.ask(msg)).await;
        answer.unwrap_or_else(|_| {
            self.mailbox.count_ask(true);
            Err(AskError::Timeout)
        })
    }

    /// Asks with a message that carries its own reply port, for handlers
    /// that answer later (a deferred reply): the handler keeps the
    /// [`ReplyTo`] and sends through it from another message, a timer or a
    /// task.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message, ReplyTo};
    ///
    /// /// Pairs up callers: the first waits until a second one arrives.
    /// #[derive(Default)]
    /// struct Matchmaker { waiting: Option<(u32, ReplyTo<u32>)> }
    /// impl Actor for Matchmaker {}
    ///
    /// struct Meet(u32, ReplyTo<u32>);
    /// impl Message for Meet { type Reply = (); }
    /// impl Handler<Meet> for Matchmaker {
    ///     async fn handle(&mut self, Meet(me, port): Meet, _: &mut Context<Self>) {
    ///         match self.waiting.take() {
    ///             None => self.waiting = Some((me, port)), // answer later
    ///             Some((other, other_port)) => {
    ///                 let _ = other_port.send(me);
    ///                 let _ = port.send(other);
    ///             }
    ///         }
    ///     }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let matchmaker = retinue::spawn(Matchmaker::default());
    /// let first = {
    ///     let m = matchmaker.clone();
    ///     retinue::rt::spawn(async move { m.ask_with(|port| Meet(1, port)).await })
    /// };
    /// assert_eq!(matchmaker.ask_with(|port| Meet(2, port)).await, Ok(1));
    /// assert_eq!(first.await.unwrap(), Ok(2));
    /// # });
    /// ```
    pub async fn ask_with<M, R>(&self, make: impl FnOnce(ReplyTo<R>) -> M) -> Result<R, AskError>
    where
        A: Handler<M>,
        M: Message,
        R: Send + 'static,
    {
        self.check_not_self()?;
        self.mailbox.count_ask(false);
        let (port, reply) = ReplyTo::pair();
        self.tell(make(port)).await.map_err(|_| AskError::Closed)?;
        reply.await
    }

    fn check_not_self(&self) -> Result<(), AskError> {
        if current::actor() == Some(self.id()) {
            Err(AskError::SelfAsk)
        } else {
            Ok(())
        }
    }

    /// Asks the actor to stop after the message in hand, with
    /// [`ExitReason::Stopped`]. Queued ordinary messages are not handled by
    /// this instance. Does nothing if it has already stopped.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// use retinue::ExitReason;
    /// let echo = retinue::spawn(Echo);
    /// echo.stop();
    /// assert_eq!(echo.wait_stopped().await, ExitReason::Stopped);
    /// assert!(!echo.is_alive());
    /// # });
    /// ```
    pub fn stop(&self) {
        self.stop_with(ExitReason::Stopped);
    }

    /// Like [`stop`](Self::stop), with the exit reason of your choice
    /// (supervisors use [`ExitReason::Shutdown`]).
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// use retinue::ExitReason;
    /// let echo = retinue::spawn(Echo);
    /// echo.stop_with(ExitReason::Shutdown);
    /// assert_eq!(echo.wait_stopped().await, ExitReason::Shutdown);
    /// # });
    /// ```
    pub fn stop_with(&self, reason: ExitReason) {
        let _ = self.mailbox.push_control(Control::Exit(reason));
    }

    /// Stops instance number `instance` only (see [`Inbox::instances`](crate::Inbox::instances)):
    /// if that instance has already ended, the signal is ignored rather
    /// than stopping its replacement. Supervisors use it so that a shutdown
    /// meant for a crashed instance never reaches the restarted one.
    pub fn stop_instance(&self, instance: u64, reason: ExitReason) {
        let _ = self
            .mailbox
            .push_control(Control::Fail { instance, reason });
    }

    /// Waits until the actor has stopped for good and returns why. Returns
    /// at once if it already has.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let echo = retinue::spawn(Echo);
    /// let waiter = { let e = echo.clone(); retinue::rt::spawn(async move { e.wait_stopped().await }) };
    /// echo.stop();
    /// assert_eq!(waiter.await.unwrap(), retinue::ExitReason::Stopped);
    /// # });
    /// ```
    pub async fn wait_stopped(&self) -> ExitReason {
        self.mailbox.wait_closed().await
    }

    /// The final exit reason, if the actor has stopped for good.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let echo = retinue::spawn(Echo);
    /// assert_eq!(echo.exit_reason(), None);
    /// echo.stop();
    /// echo.wait_stopped().await;
    /// assert_eq!(echo.exit_reason(), Some(retinue::ExitReason::Stopped));
    /// # });
    /// ```
    pub fn exit_reason(&self) -> Option<ExitReason> {
        self.mailbox.exit_reason()
    }

    /// Whether the actor can still receive messages.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let echo = retinue::spawn(Echo);
    /// assert!(echo.is_alive());
    /// echo.stop();
    /// echo.wait_stopped().await;
    /// assert!(!echo.is_alive());
    /// # });
    /// ```
    pub fn is_alive(&self) -> bool {
        !self.mailbox.is_closed()
    }

    /// How many ordinary messages are waiting.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let echo = retinue::spawn(Echo);
    /// echo.ask(Say(0)).await.unwrap();
    /// assert_eq!(echo.mailbox_len(), 0, "nothing waiting once it answered");
    /// # });
    /// ```
    pub fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    /// The mailbox's capacity.
    pub fn capacity(&self) -> Capacity {
        self.mailbox.capacity()
    }

    /// How many messages this mailbox's instances have handled so far,
    /// across restarts on the same mailbox: a message counts as its handler
    /// starts (so a reply received means its message is counted; a handler
    /// that panics counts too). A statistic read with relaxed ordering, for
    /// live views and metrics.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    ///
    /// struct Echo;
    /// impl Actor for Echo {}
    /// struct Ping;
    /// impl Message for Ping { type Reply = (); }
    /// impl Handler<Ping> for Echo {
    ///     async fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let addr = retinue::spawn(Echo);
    /// addr.ask(Ping).await.unwrap();
    /// addr.ask(Ping).await.unwrap();
    /// assert_eq!(addr.handled(), 2);
    /// # });
    /// ```
    pub fn handled(&self) -> u64 {
        self.mailbox.handled()
    }

    /// An address that does not keep the actor reachable.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let echo = retinue::spawn(Echo);
    /// let weak = echo.downgrade();
    /// assert_eq!(weak.upgrade().unwrap().ask(Say(3)).await, Ok(3));
    /// echo.stop();
    /// echo.wait_stopped().await;
    /// assert!(weak.upgrade().is_none());
    /// # });
    /// ```
    pub fn downgrade(&self) -> WeakAddr<A> {
        WeakAddr {
            mailbox: self.mailbox.clone(),
        }
    }

    /// A type-erased address that accepts only `M`.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message};
    /// # struct Echo;
    /// # impl Actor for Echo {}
    /// # struct Say(u32);
    /// # impl Message for Say { type Reply = u32; }
    /// # impl Handler<Say> for Echo {
    /// #     async fn handle(&mut self, msg: Say, _: &mut Context<Self>) -> u32 { msg.0 }
    /// # }
    /// # retinue::rt::block_on(async {
    /// use retinue::Recipient;
    /// let sinks: Vec<Recipient<Say>> = vec![retinue::spawn(Echo).recipient(), retinue::spawn(Echo).recipient()];
    /// for sink in &sinks {
    ///     assert_eq!(sink.ask(Say(5)).await, Ok(5));
    /// }
    /// # });
    /// ```
    pub fn recipient<M: Message>(&self) -> Recipient<M>
    where
        A: Handler<M>,
    {
        Recipient::new(self.clone())
    }
}

pub(crate) fn unwrap_tell<A: Handler<M>, M: Message>(envelope: Envelope<A>) -> M {
    match envelope.into_payload::<Tell<M>>() {
        Some(tell) => tell.0,
        None => unreachable!("a tell envelope came back as another type"),
    }
}

impl<A> Clone for Addr<A> {
    fn clone(&self) -> Self {
        self.mailbox.add_sender();
        Addr {
            mailbox: self.mailbox.clone(),
        }
    }
}

impl<A> Drop for Addr<A> {
    fn drop(&mut self) {
        self.mailbox.remove_sender();
    }
}

impl<A> PartialEq for Addr<A> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.mailbox, &other.mailbox)
    }
}

impl<A> Eq for Addr<A> {}

impl<A> Hash for Addr<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.mailbox.id().hash(state)
    }
}

impl<A> fmt::Debug for Addr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Addr<{}>({})", short_type_name::<A>(), self.mailbox.id())
    }
}
