//! [`RemoteError`]: every way a remote operation can fail, with a kind to
//! match on and a message for people.
//!
//! Invariants:
//! - every refusal by a receiving node reaches the sender as a
//!   `RemoteError` with the receiver's kind and message (it travels in the
//!   reply frame); the receiving actor is never touched by a refused
//!   message;
//! - [`RemoteError::to_ask_error`] maps onto the local [`AskError`] with the
//!   same meaning, so code behind a [`Recipient`](crate::Recipient) sees the
//!   error kinds it knows.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::AskError;

/// What went wrong, for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RemoteErrorKind {
    /// No node exports that name (nobody answers on its subject).
    NotExported,
    /// The export does not accept this message type (its tag is not
    /// registered for it).
    UnknownType,
    /// The bytes are not a frame of a known version, or the payload does
    /// not decode as the registered type.
    Decode,
    /// The payload is larger than the receiver's (or the sender's) cap.
    TooLarge,
    /// The exported actor has stopped for good (local [`AskError::Closed`]).
    Closed,
    /// The actor took the message but did not reply: its handler panicked
    /// or the instance stopped (local [`AskError::NoReply`]).
    NoReply,
    /// No reply within the deadline (local [`AskError::Timeout`]).
    Timeout,
    /// An actor asked itself through its own export (local
    /// [`AskError::SelfAsk`]).
    SelfAsk,
    /// The name is exported already (by this or another node).
    AlreadyExported,
    /// Connecting to NATS failed (address, TLS, timeout).
    Connect,
    /// The server refused the credentials.
    Auth,
    /// The connection to NATS broke or is closed, or a request could not be
    /// sent.
    Transport,
    /// A JetStream operation failed (stream, key-value, consumer).
    JetStream,
    /// The lock's fencing token is no longer current (lease expired or
    /// released).
    Stale,
    /// `try_acquire`: the lock is held.
    WouldBlock,
    /// Joining: a live node of the deployment already has this name.
    NameTaken,
}

/// A failed remote operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteError {
    kind: RemoteErrorKind,
    message: String,
}

impl RemoteError {
    /// An error of this kind with this explanation.
    pub fn new(kind: RemoteErrorKind, message: impl Into<String>) -> Self {
        RemoteError {
            kind,
            message: message.into(),
        }
    }

    /// The kind, for matching.
    pub fn kind(&self) -> RemoteErrorKind {
        self.kind
    }

    /// The explanation.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The local [`AskError`] with the same meaning: `Closed`, `NoReply`,
    /// `Timeout` and `SelfAsk` map to themselves, `NotExported` to `Closed`
    /// (nobody is there), every refusal and transport failure to `NoReply`
    /// (the message was dropped without a reply).
    pub fn to_ask_error(&self) -> AskError {
        match self.kind {
            RemoteErrorKind::Closed | RemoteErrorKind::NotExported => AskError::Closed,
            RemoteErrorKind::Timeout => AskError::Timeout,
            RemoteErrorKind::SelfAsk => AskError::SelfAsk,
            _ => AskError::NoReply,
        }
    }

    pub(crate) fn from_ask(err: AskError) -> Self {
        let kind = match err {
            AskError::Closed => RemoteErrorKind::Closed,
            AskError::NoReply => RemoteErrorKind::NoReply,
            AskError::Timeout => RemoteErrorKind::Timeout,
            AskError::SelfAsk => RemoteErrorKind::SelfAsk,
        };
        RemoteError::new(kind, err.to_string())
    }

    pub(crate) fn transport(what: &str, err: impl fmt::Display) -> Self {
        RemoteError::new(RemoteErrorKind::Transport, format!("{what}: {err}"))
    }

    pub(crate) fn jetstream(what: &str, err: impl fmt::Display) -> Self {
        RemoteError::new(RemoteErrorKind::JetStream, format!("{what}: {err}"))
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for RemoteError {}

/// The reason in a [`Down`](crate::Down) for an actor whose node stopped
/// sending heartbeats (killed, cut off, or gone). Find it with
/// [`is_node_lost`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLost {
    /// The lost node's name.
    pub node: String,
}

impl fmt::Display for NodeLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "node {} lost (no heartbeat within the timeout)",
            self.node
        )
    }
}

impl std::error::Error for NodeLost {}

/// Whether an exit reason says that the actor's node was lost.
///
/// ```
/// use retinue::ExitReason;
/// use retinue::remote::{NodeLost, is_node_lost};
///
/// assert!(is_node_lost(&ExitReason::failed(NodeLost { node: "a".into() })));
/// assert!(!is_node_lost(&ExitReason::Stopped));
/// ```
pub fn is_node_lost(reason: &crate::ExitReason) -> bool {
    match reason {
        crate::ExitReason::Failed(err) => err.downcast_ref::<NodeLost>().is_some(),
        _ => false,
    }
}
