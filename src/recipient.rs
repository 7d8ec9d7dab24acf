//! [`Recipient`]: an address erased down to one message type.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{Handler, Message};
use crate::addr::{ActorId, Addr};
use crate::error::{AskError, SendError, TrySendError};

/// A boxed future, as returned by [`RecipientPort`]'s methods.
pub type PortFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What stands behind a [`Recipient`]: an object-safe sender of `M`.
///
/// Every [`Addr`] is one. This is the public hook for senders that are not
/// local actors — a remote handle, a test double, a router — so they can be
/// used wherever a `Recipient<M>` is (wrap one with [`Recipient::from_port`]).
/// The contract is the one of [`Addr`]'s methods of the same names; a port
/// that cannot keep a promise of it (say FIFO for `try_tell`) documents so.
///
/// ```
/// use retinue::{ActorId, AskError, Message, Recipient, RecipientPort, SendError, TrySendError};
/// use retinue::recipient::PortFuture;
///
/// struct Double;
/// impl Message for Double { type Reply = u32; }
///
/// /// Answers every ask with 2, drops every tell.
/// struct Two(ActorId);
/// impl RecipientPort<Double> for Two {
///     fn id(&self) -> ActorId { self.0 }
///     fn is_alive(&self) -> bool { true }
///     fn tell(&self, _: Double) -> PortFuture<'_, Result<(), SendError<Double>>> { Box::pin(async { Ok(()) }) }
///     fn try_tell(&self, _: Double) -> Result<(), TrySendError<Double>> { Ok(()) }
///     fn tell_urgent(&self, _: Double) -> Result<(), SendError<Double>> { Ok(()) }
///     fn ask(&self, _: Double) -> PortFuture<'_, Result<u32, AskError>> { Box::pin(async { Ok(2) }) }
/// }
///
/// # retinue::rt::block_on(async {
/// let r: Recipient<Double> = Recipient::from_port(Two(ActorId::unique()));
/// assert_eq!(r.ask(Double).await, Ok(2));
/// # });
/// ```
pub trait RecipientPort<M: Message>: Send + Sync + 'static {
    /// The identity of the actor behind it.
    fn id(&self) -> ActorId;
    /// Whether the actor can still receive messages.
    fn is_alive(&self) -> bool;
    /// See [`Addr::tell`].
    fn tell(&self, msg: M) -> PortFuture<'_, Result<(), SendError<M>>>;
    /// See [`Addr::try_tell`].
    fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>>;
    /// See [`Addr::tell_urgent`].
    fn tell_urgent(&self, msg: M) -> Result<(), SendError<M>>;
    /// See [`Addr::ask`].
    fn ask(&self, msg: M) -> PortFuture<'_, Result<M::Reply, AskError>>;
}

impl<A: Handler<M>, M: Message> RecipientPort<M> for Addr<A> {
    fn id(&self) -> ActorId {
        Addr::id(self)
    }
    fn is_alive(&self) -> bool {
        Addr::is_alive(self)
    }
    fn tell(&self, msg: M) -> PortFuture<'_, Result<(), SendError<M>>> {
        Box::pin(Addr::tell(self, msg))
    }
    fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        Addr::try_tell(self, msg)
    }
    fn tell_urgent(&self, msg: M) -> Result<(), SendError<M>> {
        Addr::tell_urgent(self, msg)
    }
    fn ask(&self, msg: M) -> PortFuture<'_, Result<M::Reply, AskError>> {
        Box::pin(Addr::ask(self, msg))
    }
}

/// The address of some actor that handles `M`, whatever its type. Keeps
/// the actor reachable like an [`Addr`].
///
/// ```
/// use retinue::{Actor, Context, Handler, Message, Recipient};
///
/// struct Log(String);
/// impl Message for Log { type Reply = (); }
///
/// struct Stdout;
/// impl Actor for Stdout {}
/// impl Handler<Log> for Stdout {
///     async fn handle(&mut self, msg: Log, _: &mut Context<Self>) { println!("{}", msg.0) }
/// }
///
/// # retinue::rt::block_on(async {
/// let sinks: Vec<Recipient<Log>> = vec![retinue::spawn(Stdout).recipient()];
/// for sink in &sinks {
///     sink.tell(Log("hello".into())).await.unwrap();
/// }
/// # });
/// ```
pub struct Recipient<M: Message> {
    port: Arc<dyn RecipientPort<M>>,
}

impl<M: Message> Recipient<M> {
    pub(crate) fn new<A: Handler<M>>(addr: Addr<A>) -> Self {
        Recipient {
            port: Arc::new(addr),
        }
    }

    /// A recipient backed by any [`RecipientPort`] (a remote handle, a
    /// test double): the hook that lets senders that are not local actors
    /// stand wherever a `Recipient<M>` is expected.
    pub fn from_port(port: impl RecipientPort<M>) -> Self {
        Recipient {
            port: Arc::new(port),
        }
    }

    /// The identity of the actor behind it.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message, Recipient};
    /// # struct Double;
    /// # impl Actor for Double {}
    /// # struct N(u32);
    /// # impl Message for N { type Reply = u32; }
    /// # impl Handler<N> for Double {
    /// #     async fn handle(&mut self, N(n): N, _: &mut Context<Self>) -> u32 { 2 * n }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let to: Recipient<N> = retinue::spawn(Double).recipient();
    /// let addr = retinue::spawn(Double);
    /// assert_eq!(addr.recipient::<N>().id(), addr.id());
    /// # drop(to);
    /// # });
    /// ```
    pub fn id(&self) -> ActorId {
        self.port.id()
    }

    /// Whether the actor can still receive messages.
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message, Recipient};
    /// # struct Double;
    /// # impl Actor for Double {}
    /// # struct N(u32);
    /// # impl Message for N { type Reply = u32; }
    /// # impl Handler<N> for Double {
    /// #     async fn handle(&mut self, N(n): N, _: &mut Context<Self>) -> u32 { 2 * n }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let to: Recipient<N> = retinue::spawn(Double).recipient();
    /// assert!(to.is_alive());
    /// # });
    /// ```
    pub fn is_alive(&self) -> bool {
        self.port.is_alive()
    }

    /// See [`Addr::tell`].
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message, Recipient};
    /// # struct Double;
    /// # impl Actor for Double {}
    /// # struct N(u32);
    /// # impl Message for N { type Reply = u32; }
    /// # impl Handler<N> for Double {
    /// #     async fn handle(&mut self, N(n): N, _: &mut Context<Self>) -> u32 { 2 * n }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let to: Recipient<N> = retinue::spawn(Double).recipient();
    /// to.tell(N(1)).await.unwrap();
    /// # });
    /// ```
    pub async fn tell(&self, msg: M) -> Result<(), SendError<M>> {
        self.port.tell(msg).await
    }

    /// See [`Addr::try_tell`].
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message, Recipient};
    /// # struct Double;
    /// # impl Actor for Double {}
    /// # struct N(u32);
    /// # impl Message for N { type Reply = u32; }
    /// # impl Handler<N> for Double {
    /// #     async fn handle(&mut self, N(n): N, _: &mut Context<Self>) -> u32 { 2 * n }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let to: Recipient<N> = retinue::spawn(Double).recipient();
    /// to.try_tell(N(1)).unwrap(); // room in the mailbox
    /// # });
    /// ```
    pub fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        self.port.try_tell(msg)
    }

    /// See [`Addr::tell_urgent`].
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message, Recipient};
    /// # struct Double;
    /// # impl Actor for Double {}
    /// # struct N(u32);
    /// # impl Message for N { type Reply = u32; }
    /// # impl Handler<N> for Double {
    /// #     async fn handle(&mut self, N(n): N, _: &mut Context<Self>) -> u32 { 2 * n }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let to: Recipient<N> = retinue::spawn(Double).recipient();
    /// to.tell_urgent(N(1)).unwrap(); // the control lane: never waits
    /// # });
    /// ```
    pub fn tell_urgent(&self, msg: M) -> Result<(), SendError<M>> {
        self.port.tell_urgent(msg)
    }

    /// See [`Addr::ask`].
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message, Recipient};
    /// # struct Double;
    /// # impl Actor for Double {}
    /// # struct N(u32);
    /// # impl Message for N { type Reply = u32; }
    /// # impl Handler<N> for Double {
    /// #     async fn handle(&mut self, N(n): N, _: &mut Context<Self>) -> u32 { 2 * n }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let to: Recipient<N> = retinue::spawn(Double).recipient();
    /// assert_eq!(to.ask(N(21)).await, Ok(42));
    /// # });
    /// ```
    pub async fn ask(&self, msg: M) -> Result<M::Reply, AskError> {
        self.port.ask(msg).await
    }

    /// See [`Addr::ask_timeout`].
    ///
    /// ```
    /// # use retinue::{Actor, Context, Handler, Message, Recipient};
    /// # struct Double;
    /// # impl Actor for Double {}
    /// # struct N(u32);
    /// # impl Message for N { type Reply = u32; }
    /// # impl Handler<N> for Double {
    /// #     async fn handle(&mut self, N(n): N, _: &mut Context<Self>) -> u32 { 2 * n }
    /// # }
    /// # retinue::rt::block_on(async {
    /// let to: Recipient<N> = retinue::spawn(Double).recipient();
    /// use std::time::Duration;
    /// assert_eq!(to.ask_timeout(N(2), Duration::from_secs(5)).await, Ok(4));
    /// # });
    /// ```
    pub async fn ask_timeout(&self, msg: M, timeout: Duration) -> Result<M::Reply, AskError> {
        crate::rt::timeout(timeout, self.ask(msg))
            .await
            .unwrap_or(Err(AskError::Timeout))
    }
}

impl<M: Message> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        Recipient {
            port: self.port.clone(),
        }
    }
}

impl<M: Message> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.port.id())
    }
}

impl<A: Handler<M>, M: Message> From<Addr<A>> for Recipient<M> {
    fn from(addr: Addr<A>) -> Self {
        Recipient::new(addr)
    }
}
