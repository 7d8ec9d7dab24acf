//! [`Recipient`]: an address erased down to one message type.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::{Handler, Message};
use crate::addr::{ActorId, Addr};
use crate::envelope::BoxFuture;
use crate::error::{AskError, SendError, TrySendError};

/// What a recipient needs from an address, object-safe.
trait Port<M: Message>: Send + Sync {
    fn id(&self) -> ActorId;
    fn is_alive(&self) -> bool;
    fn tell(&self, msg: M) -> BoxFuture<'_, Result<(), SendError<M>>>;
    fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>>;
    fn tell_urgent(&self, msg: M) -> Result<(), SendError<M>>;
    fn ask(&self, msg: M) -> BoxFuture<'_, Result<M::Reply, AskError>>;
}

impl<A: Handler<M>, M: Message> Port<M> for Addr<A> {
    fn id(&self) -> ActorId {
        Addr::id(self)
    }
    fn is_alive(&self) -> bool {
        Addr::is_alive(self)
    }
    fn tell(&self, msg: M) -> BoxFuture<'_, Result<(), SendError<M>>> {
        Box::pin(Addr::tell(self, msg))
    }
    fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        Addr::try_tell(self, msg)
    }
    fn tell_urgent(&self, msg: M) -> Result<(), SendError<M>> {
        Addr::tell_urgent(self, msg)
    }
    fn ask(&self, msg: M) -> BoxFuture<'_, Result<M::Reply, AskError>> {
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
    port: Arc<dyn Port<M>>,
}

impl<M: Message> Recipient<M> {
    pub(crate) fn new<A: Handler<M>>(addr: Addr<A>) -> Self {
        Recipient {
            port: Arc::new(addr),
        }
    }

    /// The identity of the actor behind it.
    pub fn id(&self) -> ActorId {
        self.port.id()
    }

    /// Whether the actor can still receive messages.
    pub fn is_alive(&self) -> bool {
        self.port.is_alive()
    }

    /// See [`Addr::tell`].
    pub async fn tell(&self, msg: M) -> Result<(), SendError<M>> {
        self.port.tell(msg).await
    }

    /// See [`Addr::try_tell`].
    pub fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        self.port.try_tell(msg)
    }

    /// See [`Addr::tell_urgent`].
    pub fn tell_urgent(&self, msg: M) -> Result<(), SendError<M>> {
        self.port.tell_urgent(msg)
    }

    /// See [`Addr::ask`].
    pub async fn ask(&self, msg: M) -> Result<M::Reply, AskError> {
        self.port.ask(msg).await
    }

    /// See [`Addr::ask_timeout`].
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
