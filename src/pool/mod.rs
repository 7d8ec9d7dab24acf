//! Pools of supervised workers behind one address, with routing (Akka's
//! routers, ractor's factory, kameo's pool), built on the crate's public
//! API only.
//!
//! A [`Pool`] starts N workers from one factory under its own supervisor
//! and routes each `tell`/`ask` to one of them ([`Routing`]): round-robin,
//! random, smallest mailbox, consistent hashing by a key taken from the
//! message, broadcast, or balancing (workers pull from one shared mailbox).
//! Callers use the pool like an [`Addr`](crate::Addr): `tell`, `ask`,
//! `try_tell`, `tell_urgent`; [`Pool::recipient`] makes it a
//! [`Recipient`](crate::Recipient), so code that takes one cannot tell a
//! pool from a single actor. A pool can also be a child of a supervision
//! tree ([`PoolBuilder::child_spec`]) or be declared in a config file (the
//! built-in `pool` kind).
//!
//! # Guarantees
//!
//! - **Supervision.** Workers are permanent children of the pool's
//!   supervisor ([`PoolBuilder::flags`] sets its strategy and intensity). A
//!   crashed worker restarts in place, with the same address and the same
//!   mailbox: **its queued messages go to the restarted instance, they are
//!   not rerouted**; the message it was handling is lost and its asker
//!   gets [`PoolError::Ask`]. (Balancing: a worker holds at most that one
//!   message; the rest wait in the shared mailbox for any worker.)
//! - **Delivery** is at most once, like every tell. For at least once, feed
//!   the pool from an acknowledged queue ([`Pool::feed_from`]): each worker
//!   takes `prefetch` deliveries at a time (default 1), acks after its
//!   handler returns, and a crash redelivers only the in-flight ones.
//! - **Backpressure.** `tell` waits when every candidate worker is full
//!   (or refuses, per [`Overflow`]); consistent hashing waits on the key's
//!   worker, since no other may take it.
//! - **Resize** at run time ([`Pool::resize`]): growing starts workers;
//!   shrinking takes workers out of routing, waits until they handled what
//!   they were sent, then stops them. Nothing is lost.
//! - **Consistent hashing** keeps a key on the same live worker; a restart
//!   moves no key; a resize moves only the keys of the added or removed
//!   worker.

mod builder;
mod feeder;
mod keys;
#[allow(clippy::module_inception)]
mod pool;
mod port;
mod resize;
mod ring;
mod routing;
mod slot;

use std::fmt;

pub use builder::PoolBuilder;
pub use pool::Pool;
pub use routing::{Overflow, Routing};

use crate::AskError;
use crate::supervisor::SupervisorError;

/// Counters of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Workers now.
    pub size: usize,
    /// Messages waiting (in the workers' mailboxes, or the shared one).
    pub queued: usize,
    /// Messages refused or dropped by the overflow policy so far.
    pub discarded: u64,
}

/// Why a pool did not take or answer a message; carries the message back
/// whenever it still exists.
pub enum PoolError<M> {
    /// No room, and the overflow policy refuses to wait.
    Full(M),
    /// Consistent hashing, but no key is registered for this message type
    /// ([`PoolBuilder::key`]).
    NoKey(M),
    /// Broadcast `tell`, but this message type cannot be copied
    /// ([`PoolBuilder::copy`]).
    NoCopy(M),
    /// `ask` on a broadcast pool (which reply would it be?).
    AskBroadcast(M),
    /// The pool is shut down (or has no worker).
    Closed(M),
    /// The worker failed (or stopped) before answering.
    Ask(AskError),
    /// The pool's supervisor refused to start or stop a worker.
    Supervisor(SupervisorError),
}

impl PoolError<()> {
    /// The same error, carrying `msg`.
    pub(crate) fn with<M>(self, msg: M) -> PoolError<M> {
        match self {
            PoolError::Full(()) => PoolError::Full(msg),
            PoolError::NoKey(()) => PoolError::NoKey(msg),
            PoolError::NoCopy(()) => PoolError::NoCopy(msg),
            PoolError::AskBroadcast(()) => PoolError::AskBroadcast(msg),
            PoolError::Closed(()) => PoolError::Closed(msg),
            PoolError::Ask(e) => PoolError::Ask(e),
            PoolError::Supervisor(e) => PoolError::Supervisor(e),
        }
    }
}

impl<M> PoolError<M> {
    /// The message, if the error carries it.
    pub fn into_msg(self) -> Option<M> {
        match self {
            PoolError::Full(m)
            | PoolError::NoKey(m)
            | PoolError::NoCopy(m)
            | PoolError::AskBroadcast(m)
            | PoolError::Closed(m) => Some(m),
            PoolError::Ask(_) | PoolError::Supervisor(_) => None,
        }
    }
}

impl<M> From<SupervisorError> for PoolError<M> {
    fn from(e: SupervisorError) -> Self {
        PoolError::Supervisor(e)
    }
}

impl<M> fmt::Debug for PoolError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Full(_) => f.write_str("Full(..)"),
            PoolError::NoKey(_) => f.write_str("NoKey(..)"),
            PoolError::NoCopy(_) => f.write_str("NoCopy(..)"),
            PoolError::AskBroadcast(_) => f.write_str("AskBroadcast(..)"),
            PoolError::Closed(_) => f.write_str("Closed(..)"),
            PoolError::Ask(e) => write!(f, "Ask({e:?})"),
            PoolError::Supervisor(e) => write!(f, "Supervisor({e:?})"),
        }
    }
}

impl<M> fmt::Display for PoolError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Full(_) => f.write_str("every worker of the pool is full"),
            PoolError::NoKey(_) => f.write_str("consistent hashing: no key for this message type"),
            PoolError::NoCopy(_) => f.write_str("broadcast: this message type cannot be copied"),
            PoolError::AskBroadcast(_) => f.write_str("ask is not offered by a broadcast pool"),
            PoolError::Closed(_) => f.write_str("the pool is shut down"),
            PoolError::Ask(e) => write!(f, "the worker did not answer: {e}"),
            PoolError::Supervisor(e) => write!(f, "the pool's supervisor: {e}"),
        }
    }
}

impl<M> std::error::Error for PoolError<M> {}
