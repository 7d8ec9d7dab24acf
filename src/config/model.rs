//! The config model: a supervision tree as data.
//!
//! ```toml
//! [supervisor]
//! strategy = "one_for_one"      # one_for_all, rest_for_one
//! max_restarts = 3
//! within = "5s"
//! backoff = { initial = "100ms", max = "5s" }   # optional
//! auto_shutdown = "never"       # any_significant, all_significant
//!
//! [[supervisor.children]]
//! id = "jobs"
//! kind = "queue"                # a registered kind ...
//! args = { maxsize = 100 }
//!
//! [[supervisor.children]]
//! id = "workers"
//! restart = "permanent"         # transient, temporary
//! shutdown = "infinity"         # "brutal", or a duration such as "5s"
//! [supervisor.children.supervisor]   # ... or a nested supervisor
//! children = [ { id = "w1", kind = "demo.worker", args = { queue = "jobs" } } ]
//! ```
//!
//! Invariants: the model is what the file says, after every field was
//! checked (unknown fields are errors, durations are human strings or
//! integer milliseconds, enums are snake_case names); the spans it keeps
//! are for diagnostics only and are never serialized, so a tree written in
//! TOML, JSON or YAML serializes to the same JSON.

use std::time::Duration;

use serde::Serialize;

use crate::Backoff;
use crate::supervisor::{AutoShutdown, Restart, Shutdown, Strategy};

use super::node::{Node, Span};

/// A whole config file: one root supervisor.
#[derive(Debug, Clone, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TreeConfig {
    /// The root supervisor.
    pub supervisor: SupervisorConfig,
    /// The node the tree joins as (`[node]`, feature `nats`).
    #[cfg(feature = "nats")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<super::remote_kind::NodeConfig>,
}

/// A supervisor: its flags and children.
#[derive(Debug, Clone, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisorConfig {
    /// Default `one_for_one`.
    pub strategy: Strategy,
    /// Default 3.
    pub max_restarts: u32,
    /// Default `"5s"`.
    #[serde(with = "crate::duration")]
    pub within: Duration,
    /// Restart backoff; default none.
    pub backoff: Option<Backoff>,
    /// Default `"30s"`.
    #[serde(with = "crate::duration")]
    pub backoff_reset: Duration,
    /// Default `never`.
    pub auto_shutdown: AutoShutdown,
    /// In start order.
    pub children: Vec<ChildConfig>,
    /// Where the supervisor table and its fields are written.
    #[serde(skip)]
    pub spans: SupervisorSpans,
}

/// Where a supervisor's fields are written.
#[derive(Debug, Clone, Default)]
pub struct SupervisorSpans {
    /// The supervisor table.
    pub table: Span,
    /// `auto_shutdown`, if written.
    pub auto_shutdown: Option<Span>,
    /// `backoff`, if written.
    pub backoff: Option<Span>,
    /// `within`, if written.
    pub within: Option<Span>,
    /// `backoff.initial`, if written.
    pub backoff_initial: Option<Span>,
    /// `backoff.max`, if written.
    pub backoff_max: Option<Span>,
    /// `backoff.multiplier`, if written.
    pub backoff_multiplier: Option<Span>,
}

/// One child.
#[derive(Debug, Clone, Serialize)]
pub struct ChildConfig {
    /// Unique among its siblings.
    pub id: String,
    /// A worker of a registered kind, or a nested supervisor.
    #[serde(flatten)]
    pub body: ChildBody,
    /// Default `permanent`.
    pub restart: Restart,
    /// Default `"5s"` for workers, `infinity` for supervisors.
    pub shutdown: Shutdown,
    /// Default false.
    pub significant: bool,
    /// Mailbox capacity; default the actor's own.
    pub capacity: Option<CapacityConfig>,
    /// The ids this child's args refer to (derived from the args).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
    /// The name it is exported under (`export`, feature `nats`).
    #[cfg(feature = "nats")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
    /// Where the child's fields are written.
    #[serde(skip)]
    pub spans: ChildSpans,
}

/// Where a child's fields are written.
#[derive(Debug, Clone, Default)]
pub struct ChildSpans {
    /// The child's table.
    pub table: Span,
    /// `id`.
    pub id: Span,
    /// `kind`.
    pub kind: Span,
    /// `restart`, if written.
    pub restart: Option<Span>,
    /// `significant`, if written.
    pub significant: Option<Span>,
}

/// What a child is.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildBody {
    /// An actor of a registered kind with its args.
    Worker {
        /// The kind's registered name.
        kind: String,
        /// The args as written (checked against the kind's args type).
        args: Option<Node>,
    },
    /// A nested supervisor.
    Supervisor(SupervisorConfig),
}

/// A mailbox capacity: a number of messages or `"unbounded"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityConfig {
    /// At most this many queued messages.
    Bounded(usize),
    /// No limit.
    Unbounded,
}

impl ChildConfig {
    /// The kind name, or `"supervisor"`.
    pub fn kind_name(&self) -> &str {
        match &self.body {
            ChildBody::Worker { kind, .. } => kind,
            ChildBody::Supervisor(_) => "supervisor",
        }
    }
}
