//! Remote actors over NATS (feature `nats`): nodes, exported actors and
//! remote handles, death watch across nodes, and a cross-machine lock and
//! queue on JetStream.
//!
//! NATS is the engine — core request/reply for `tell`/`ask`, one subject
//! per exported name, heartbeats for death watch, JetStream key-value for
//! the lock, a JetStream work-queue stream for the queue — rather than a
//! home-made cluster protocol. The core crate stays transport-free: a
//! [`RemoteActor`] stands behind a [`Recipient`](crate::Recipient) through
//! the public [`RecipientPort`](crate::RecipientPort) hook.
//!
//! - [`Node`]: this process joined to a NATS deployment
//!   ([`NodeOptions`]: URL, [`Credentials`], [`TlsOptions`], [`Reconnect`],
//!   [`Heartbeat`]); [`NodeActor`] puts it under a supervisor.
//! - [`Node::export`] / [`Node::lookup`]: an actor reachable by name from
//!   every node; messages implement [`RemoteMessage`] (serde + a tag).
//! - [`RemoteActor::watch`]: `Down` across nodes, with [`NodeLost`] when
//!   the node disappears.
//! - [`Node::lock`]: a [`RemoteLock`] on JetStream key-value (the key's
//!   revision is the fencing token, the bucket's max age the lease).
//! - [`Node::queue`]: a [`RemoteQueue`] on a JetStream work-queue stream
//!   (explicit ack, redelivery after `ack_wait`, delivery counts,
//!   dead letters).
//!
//! Failure semantics: `tell` is at most once (like a local tell);
//! `tell_confirmed` and `ask` get every refusal as a [`RemoteError`];
//! an ask to an unreachable node fails with `Timeout` within its deadline;
//! a remote handler panic gives [`RemoteErrorKind::NoReply`] (locally
//! [`AskError::NoReply`](crate::AskError::NoReply)); registered
//! [`BaggageTypes`] cross the wire.
//!
//! Tests and examples start their own `nats-server -js` on a free loopback
//! port; to run one by hand: `nats-server -a 127.0.0.1 -p 4222 -js -sd /tmp/nats`.

mod actor;
mod error;
mod export;
mod handle;
mod lock;
mod names;
mod node;
mod queue;
mod streams;
mod watch;
mod wire;

pub use actor::{GetNode, NodeActor};
pub use error::{NodeLost, RemoteError, RemoteErrorKind, is_node_lost};
pub use export::{Export, ExportBuilder};
pub use handle::RemoteActor;
pub use lock::{RemoteLock, RemoteLockGuard, RemoteLockOptions};
pub use node::{Credentials, Heartbeat, Node, NodeOptions, Reconnect, TlsOptions};
pub use queue::{RemoteDelivery, RemoteQueue, RemoteQueueOptions};
pub use watch::Watch;
pub use wire::{BaggageTypes, RemoteMessage, VERSION};
