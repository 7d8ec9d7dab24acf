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
//!
//! # Logging and tracing
//!
//! retinue logs through [`tracing`](https://docs.rs/tracing) and runs
//! actor code inside spans, so a subscriber shows which actor and which
//! message every line came from:
//!
//! ```text
//! INFO actor{id=#3 type="Worker" path="pool/w1" instance=2}:message{type="Job" baggage=RequestId(7)}: my_app: working
//! ```
//!
//! - The `actor` span (target `retinue::actor`, level `INFO`) has the
//!   fields `id`, `type`, `path` (the supervised path, when a supervisor
//!   runs the actor) and `instance` (1, then 2 after the first restart...).
//!   `started`, every handler, `stopped`, owned tasks and timers run in it;
//!   a supervisor's decisions sit in the supervisor's own span.
//! - The `message` span (target `retinue::message`, level `DEBUG`) has the
//!   message `type` and, when the message carried [`Baggage`] values added
//!   with [`Baggage::with_logged`], a `baggage` field: set a request id once
//!   at the edge and every line of that request shows it, in every actor it
//!   reaches. A `tracing::Span` in the baggage becomes a follows-from link.
//! - Owned tasks and timers run in the span that was current when they
//!   were started (so a task started by a message shows that message).
//! - A caught panic is reported once, as an `ERROR` event on target
//!   `retinue::crash`, and retinue's panic hook keeps it off stderr: see
//!   [`crash`] for the fields, the hook and how to opt out.
//!
//! Set up any subscriber at the start of `main`; with
//! `tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).init()`
//! the lines above appear as shown (at `INFO`, the message spans are
//! filtered out and cost nothing). When no subscriber is interested in a
//! span, making it is a cached check that returns `Span::none()`; the
//! `observe` bench measures it.
//!
//! # Metrics
//!
//! With the `metrics` cargo feature, retinue records through the
//! [`metrics`](https://docs.rs/metrics) facade: install any recorder (for
//! Prometheus, `metrics-exporter-prometheus`) and every actor reports
//! messages handled, handler time, mailbox depth, asks and ask timeouts,
//! exits by reason and restarts, labelled by actor type and supervised
//! path. The full list, and the helpers the primitives (and your code) use
//! to add figures of their own, are in [`metrics`]. Without the feature,
//! nothing is recorded and nothing is paid. `examples/metrics_prometheus.rs`
//! serves a scrape endpoint.
//!
//! # Tokio interop
//!
//! tokio-based crates (HTTP clients, database drivers, NATS, gRPC) work
//! inside actors on every backend: a handler may await their futures
//! directly, with no runtime set-up of your own. The runtime seam ([`rt`])
//! is where this is arranged; actors never name a runtime.
//!
//! # Cargo features
//!
//! - `config` (default): supervision trees from TOML files ([`config`]).
//!   `default-features = false` builds the actor core, supervisors,
//!   primitives and tasks without the config-file crates (toml,
//!   codespan-reporting, strsim).
//! - `json`, `yaml`: JSON and YAML tree files (imply `config`; need Rust
//!   1.88, the rest of the crate 1.85).
//! - `metrics`: see [Metrics](#metrics).

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
mod id;
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
mod timers;
mod trace;

pub use actor::{Actor, Handler, Message};
pub use addr::{ActorId, Addr, WeakAddr, short_type_name};
pub use backoff::{Backoff, Jitter};
pub use baggage::{Baggage, WithBaggage};
pub use context::Context;
pub use error::{AskError, BoxError, SendError, TrySendError};
pub use exit::{Down, ExitReason, LinkedExit};
pub use inbox::{Inbox, Running};
pub use mailbox::{Capacity, SharedMailbox};
pub use owned::{StreamEnded, TaskHandle, TaskId};
pub use recipient::{Recipient, RecipientPort};
pub use reply::{Reply, ReplyTo};
pub use spawn::{spawn, spawn_with};
pub use supervisor::System;

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
