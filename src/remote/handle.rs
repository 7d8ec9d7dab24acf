//! [`RemoteActor`]: a handle on an exported actor, from any node.
//!
//! Invariants:
//! - `tell` is at most once, like a local tell: it is published and not
//!   confirmed (a refusal by the receiver is logged there). `tell_confirmed`
//!   and `ask` get the receiver's refusal as an error;
//! - messages sent through one handle's node reach the export in the order
//!   sent (one NATS connection, one serve loop per export);
//! - every ask ends within its deadline: a reply, the receiver's error,
//!   `NotExported` when nobody serves the name, `Timeout` otherwise
//!   (an unreachable node, a lost connection);
//! - a handle from [`Node::lookup`] knows the export's message types and
//!   refuses other types before sending; [`RemoteActor::unchecked`] leaves
//!   the check to the receiver.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::{RemoteError, RemoteErrorKind};
use super::node::Node;
use super::wire::{self, Head, Hello, Kind, RemoteMessage};
use crate::recipient::PortFuture;
use crate::{ActorId, AskError, Recipient, RecipientPort, SendError, TrySendError, rt};

/// A handle on an actor exported under a name, wherever it lives. Cheap to
/// clone. [`RemoteActor::recipient`] turns it into a [`Recipient`] so code
/// that takes one does not care where the actor is.
#[derive(Clone, Debug)]
pub struct RemoteActor {
    pub(crate) node: Node,
    name: Arc<str>,
    subject: Arc<str>,
    hello: Option<Arc<Hello>>,
    id: ActorId,
}

impl Node {
    /// Finds the actor exported under `name` (on any node). Fails with
    /// [`RemoteErrorKind::NotExported`] when nobody serves it now.
    pub async fn lookup(&self, name: &str) -> Result<RemoteActor, RemoteError> {
        let mut handle = RemoteActor::unchecked(self, name);
        let hello = handle.ping(self.options().ask_timeout).await?;
        handle.hello = Some(Arc::new(hello));
        Ok(handle)
    }

    /// Like [`lookup`](Node::lookup), retrying until the name is exported
    /// or `timeout` passes (for a name exported later).
    pub async fn lookup_wait(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<RemoteActor, RemoteError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.lookup(name).await {
                Err(e) if e.kind() == RemoteErrorKind::NotExported && Instant::now() < deadline => {
                    rt::sleep(Duration::from_millis(20)).await;
                }
                other => return other,
            }
        }
    }
}

impl RemoteActor {
    /// A handle on `name` without a lookup: nothing is checked before
    /// sending, the receiver checks everything.
    pub fn unchecked(node: &Node, name: &str) -> RemoteActor {
        RemoteActor {
            node: node.clone(),
            name: name.into(),
            subject: node.actor_subject(name).into(),
            hello: None,
            id: ActorId::unique(),
        }
    }

    /// The exported name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node that served the lookup.
    pub fn node_name(&self) -> Option<&str> {
        self.hello.as_ref().map(|h| h.node.as_str())
    }

    /// A local id that stands for this handle's actor (in `Down` notices
    /// of [`RemoteActor::watch`]).
    pub fn id(&self) -> ActorId {
        self.id
    }

    /// The message tags the export accepts (empty for an unchecked handle).
    pub fn accepts(&self) -> Vec<String> {
        self.hello.as_ref().map_or(Vec::new(), |h| h.tags.clone())
    }

    pub(crate) async fn ping(&self, timeout: Duration) -> Result<Hello, RemoteError> {
        let bytes = self.frame(Kind::Ping, "", &[])?;
        let reply = self.request(bytes, timeout).await?;
        wire::from_bytes(wire::decode_reply(&reply.payload)?)
    }

    fn frame(&self, kind: Kind, tag: &str, payload: &[u8]) -> Result<Vec<u8>, RemoteError> {
        let head = Head {
            kind,
            tag: tag.to_string(),
            baggage: self.node.options().baggage.capture(),
        };
        let bytes = wire::encode_request(&head, payload)?;
        let cap = self.node.options().max_payload;
        if bytes.len() > cap {
            return Err(RemoteError::new(
                RemoteErrorKind::TooLarge,
                format!("{} bytes is over this node's cap of {cap}", bytes.len()),
            ));
        }
        Ok(bytes)
    }

    fn encode<M: RemoteMessage>(&self, kind: Kind, msg: &M) -> Result<Vec<u8>, RemoteError> {
        if let Some(hello) = &self.hello {
            if !hello.tags.iter().any(|t| t == M::TAG) {
                return Err(RemoteError::new(
                    RemoteErrorKind::UnknownType,
                    format!(
                        "{:?} does not accept {:?} (it accepts {:?})",
                        self.name,
                        M::TAG,
                        hello.tags
                    ),
                ));
            }
        }
        self.frame(kind, M::TAG, &wire::to_bytes(msg)?)
    }

    async fn request(
        &self,
        bytes: Vec<u8>,
        timeout: Duration,
    ) -> Result<async_nats::Message, RemoteError> {
        let request = async_nats::Request::new()
            .payload(bytes.into())
            .timeout(Some(timeout));
        match self
            .node
            .client()
            .send_request(self.subject.to_string(), request)
            .await
        {
            Ok(msg) => Ok(msg),
            Err(err) => Err(request_error(&self.name, timeout, err)),
        }
    }

    /// Sends `msg`, at most once: no confirmation, like a local tell to an
    /// actor that may stop at any time. Fails only when it cannot be sent
    /// (the type is not accepted, it is over the cap, the connection is
    /// closed).
    pub async fn tell<M: RemoteMessage>(&self, msg: M) -> Result<(), RemoteError> {
        let bytes = self.encode(Kind::Tell, &msg)?;
        self.publish(bytes).await
    }

    async fn publish(&self, bytes: Vec<u8>) -> Result<(), RemoteError> {
        self.node
            .client()
            .publish(self.subject.to_string(), bytes.into())
            .await
            .map_err(|e| RemoteError::transport("cannot publish", e))
    }

    /// Sends `msg` and waits until the export put it into the actor's
    /// mailbox (or refused it).
    pub async fn tell_confirmed<M: RemoteMessage>(&self, msg: M) -> Result<(), RemoteError> {
        let bytes = self.encode(Kind::TellConfirmed, &msg)?;
        let reply = self.request(bytes, self.node.options().ask_timeout).await?;
        wire::decode_reply(&reply.payload).map(|_| ())
    }

    /// Asks with the node's default deadline
    /// ([`NodeOptions::ask_timeout`](super::NodeOptions::ask_timeout)).
    pub async fn ask<M: RemoteMessage>(&self, msg: M) -> Result<M::Reply, RemoteError> {
        self.ask_timeout(msg, self.node.options().ask_timeout).await
    }

    /// Asks and waits at most `timeout` for the reply. A handler that
    /// panics gives [`RemoteErrorKind::NoReply`], as a local ask gives
    /// [`AskError::NoReply`].
    pub async fn ask_timeout<M: RemoteMessage>(
        &self,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, RemoteError> {
        let bytes = self.encode(Kind::Ask, &msg)?;
        self.ask_bytes(bytes, timeout).await
    }

    async fn ask_bytes<R: serde::de::DeserializeOwned>(
        &self,
        bytes: Vec<u8>,
        timeout: Duration,
    ) -> Result<R, RemoteError> {
        let reply = self.request(bytes, timeout).await?;
        wire::from_bytes(wire::decode_reply(&reply.payload)?)
    }

    /// This handle as a [`Recipient<M>`]: errors become the local kinds
    /// ([`RemoteError::to_ask_error`]). `try_tell` and `tell_urgent` hand
    /// the message to a background task (they cannot wait), so they do
    /// not keep order with later tells.
    pub fn recipient<M: RemoteMessage>(&self) -> Recipient<M> {
        Recipient::from_port(Port {
            actor: self.clone(),
        })
    }
}

fn request_error(name: &str, timeout: Duration, err: async_nats::RequestError) -> RemoteError {
    use async_nats::RequestErrorKind as K;
    match err.kind() {
        K::NoResponders => RemoteError::new(
            RemoteErrorKind::NotExported,
            format!("no node exports {name:?}"),
        ),
        K::TimedOut => RemoteError::new(
            RemoteErrorKind::Timeout,
            format!("no reply from {name:?} within {timeout:?}"),
        ),
        K::MaxPayloadExceeded => RemoteError::new(RemoteErrorKind::TooLarge, err.to_string()),
        _ => RemoteError::transport("request failed", err),
    }
}

struct Port {
    actor: RemoteActor,
}

impl<M: RemoteMessage> RecipientPort<M> for Port {
    fn id(&self) -> ActorId {
        self.actor.id
    }

    fn is_alive(&self) -> bool {
        !self.actor.node.is_closed()
    }

    fn tell(&self, msg: M) -> PortFuture<'_, Result<(), SendError<M>>> {
        let bytes = match self.actor.encode(Kind::Tell, &msg) {
            Ok(bytes) => bytes,
            Err(_) => return Box::pin(async { Err(SendError(msg)) }),
        };
        Box::pin(async move {
            match self.actor.publish(bytes).await {
                Ok(()) => Ok(()),
                Err(_) => Err(SendError(msg)),
            }
        })
    }

    fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        let bytes = match self.actor.encode(Kind::Tell, &msg) {
            Ok(bytes) => bytes,
            Err(_) => return Err(TrySendError::Closed(msg)),
        };
        let client = self.actor.node.client().clone();
        let subject = self.actor.subject.to_string();
        rt::spawn_detached(async move {
            let _ = client.publish(subject, bytes.into()).await;
        });
        Ok(())
    }

    fn tell_urgent(&self, msg: M) -> Result<(), SendError<M>> {
        RecipientPort::try_tell(self, msg).map_err(|e| SendError(e.into_inner()))
    }

    fn ask(&self, msg: M) -> PortFuture<'_, Result<M::Reply, AskError>> {
        let bytes = self.actor.encode(Kind::Ask, &msg);
        Box::pin(async move {
            let timeout = self.actor.node.options().ask_timeout;
            self.actor
                .ask_bytes::<M::Reply>(bytes.map_err(|e| e.to_ask_error())?, timeout)
                .await
                .map_err(|e| e.to_ask_error())
        })
    }
}
