//! # retinue
//!
//! An actor framework on async-std. Actors own their state and talk only
//! through mailboxes: a typed [`Handler`] per message, [`Addr::tell`] with
//! backpressure, [`Addr::ask`] with timeouts, deferred replies, caught
//! panics, timers, streams and owned background tasks.
//!
//! ```
//! use retinue::{Actor, Context, Handler, Message};
//!
//! struct Counter(u64);
//! impl Actor for Counter {}
//!
//! struct Add(u64);
//! impl Message for Add { type Reply = u64; }
//!
//! impl Handler<Add> for Counter {
//!     async fn handle(&mut self, msg: Add, _ctx: &mut Context<Self>) -> u64 {
//!         self.0 += msg.0;
//!         self.0
//!     }
//! }
//!
//! retinue::rt::block_on(async {
//!     let counter = retinue::spawn(Counter(0));
//!     counter.tell(Add(1)).await.unwrap();
//!     assert_eq!(counter.ask(Add(2)).await, Ok(3));
//! });
//! ```
//!
//! Beyond the core:
//! - [`supervisor`]: OTP supervision trees with stable addresses, a
//!   [`System`] root with a name registry, dynamic supervisors;
//! - [`sync`]: lock, read-write lock, event, condition, semaphore, rate
//!   limiter, barrier, queue and circuit breaker, each an actor;
//! - [`task`]: task groups, gather, as_completed, timeouts, retry;
//! - [`config`]: supervision trees from TOML (JSON, YAML) files;
//! - [`Baggage`]: context that travels with messages.
//!
//! The runtime seam is [`rt`]: the only module that names a runtime crate
//! (async-std by default; tokio or smol by cargo feature).

#![warn(missing_docs)]

mod actor;
mod addr;
mod backoff;
mod baggage;
#[cfg(feature = "config")]
pub mod config;
mod context;
pub mod crash;
mod current;
pub mod duration;
mod envelope;
mod error;
mod exit;
mod future_slot;
mod inbox;
mod lane;
mod mailbox;
pub mod metrics;
mod owned;
pub mod pool;
pub mod recipient;
#[cfg(feature = "nats")]
pub mod remote;
mod reply;
pub mod rt;
mod spawn;
pub mod supervisor;
pub mod sync;
pub mod task;
mod trace;

pub use actor::{Actor, Handler, Message};
pub use addr::{ActorId, Addr, WeakAddr, short_type_name};
pub use backoff::{Backoff, Jitter};
pub use baggage::{Baggage, WithBaggage};
pub use context::Context;
pub use error::{AskError, BoxError, SendError, TrySendError};
pub use exit::{Down, ExitReason, LinkedExit};
pub use inbox::{Inbox, Running};
pub use mailbox::Capacity;
pub use owned::{StreamEnded, TaskHandle, TaskId};
pub use recipient::{Recipient, RecipientPort};
pub use reply::{Reply, ReplyTo};
pub use spawn::{spawn, spawn_with};
pub use supervisor::System;

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
