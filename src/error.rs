//! The errors of sending and asking.

use std::fmt;

/// A boxed error, as returned by `started` and carried by
/// [`ExitReason::Failed`](crate::ExitReason::Failed).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The actor's mailbox is closed: it has stopped for good. Carries the
/// message back.
#[derive(PartialEq, Eq)]
pub struct SendError<M>(pub M);

impl<M> SendError<M> {
    /// The message that was not delivered.
    pub fn into_inner(self) -> M {
        self.0
    }
}

/// Why [`try_tell`](crate::Addr::try_tell) did not deliver. Carries the
/// message back.
#[derive(PartialEq, Eq)]
pub enum TrySendError<M> {
    /// The mailbox is at capacity right now.
    Full(M),
    /// The actor has stopped for good.
    Closed(M),
}

impl<M> TrySendError<M> {
    /// The message that was not delivered.
    pub fn into_inner(self) -> M {
        match self {
            TrySendError::Full(m) | TrySendError::Closed(m) => m,
        }
    }

    /// Whether the mailbox was full (as opposed to closed).
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the actor has stopped")
    }
}

impl<M> std::error::Error for SendError<M> {}

impl<M> fmt::Debug for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<M> fmt::Display for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("the mailbox is full"),
            TrySendError::Closed(_) => f.write_str("the actor has stopped"),
        }
    }
}

impl<M> std::error::Error for TrySendError<M> {}

/// Why an ask got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskError {
    /// The actor had stopped for good before it took the message.
    Closed,
    /// The actor took the message but its reply port was dropped unanswered:
    /// the handler panicked, the instance stopped, or the handler dropped
    /// its [`ReplyTo`](crate::ReplyTo).
    NoReply,
    /// No reply came within the deadline (`ask_timeout`).
    Timeout,
    /// An actor asked itself; it would wait forever for its own reply.
    SelfAsk,
}

impl fmt::Display for AskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AskError::Closed => "the actor has stopped",
            AskError::NoReply => "the actor dropped the request without replying",
            AskError::Timeout => "no reply within the deadline",
            AskError::SelfAsk => "an actor cannot ask itself (it would deadlock)",
        })
    }
}

impl std::error::Error for AskError {}
