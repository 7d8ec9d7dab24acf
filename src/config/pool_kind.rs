//! The built-in `pool` kind: a [`Pool`] of workers of another registered
//! kind, declared in a file.
//!
//! ```toml
//! { id = "workers", kind = "pool", args = { size = 4, routing = "consistent_hash",
//!   worker = { kind = "my_app.worker", args = { greeting = "hi" } } } }
//! ```
//!
//! Invariants: the pool's own args and the worker's args are checked at
//! load time like any kind's (every diagnostic points into the file,
//! nested worker args included, and references in the worker's args
//! resolve from the pool's place in the tree); one worker is built at load
//! time (a bad value is a load error) and serves as the first worker's
//! first instance; the pool is a supervisor in the tree, its workers its
//! children; references and look-ups to it resolve to the [`Pool`]
//! handle.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::pool::{Overflow, Pool, PoolBuilder, Routing};
use crate::supervisor::{ChildSpec, Flags};
use crate::{Actor, BoxError, Capacity, short_type_name};

use super::de::{DeError, from_node};
use super::kinds::{KindEntry, Kinds, empty_args};
use super::node::{Node, Span};
use super::refs::{RefTarget, RefUse, Refs, Target};
use super::suggest::did_you_mean;

/// The most workers one `pool` child may declare.
pub const MAX_POOL_SIZE: usize = 1024;

/// The pool's own args (the worker is read separately, with its kind's
/// args type).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolSettings {
    #[serde(default = "default_size")]
    size: usize,
    #[serde(default)]
    routing: Routing,
    #[serde(default)]
    overflow: Overflow,
    #[serde(default)]
    shared_capacity: Option<usize>,
    /// The pool's supervisor's intensity (default 3 restarts in 5 s).
    #[serde(default)]
    max_restarts: Option<u32>,
    #[serde(default, with = "crate::duration::option")]
    within: Option<Duration>,
    worker: WorkerDecl,
}

/// `worker = { kind = "...", args = { ... } }`: its args are read by the
/// worker kind itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkerDecl {
    kind: String,
    #[serde(default)]
    #[allow(dead_code)] // read from the node, with the worker kind's type
    args: Option<IgnoredAny>,
}

fn default_size() -> usize {
    4
}

impl PoolSettings {
    /// A builder with these settings for workers made by `factory`.
    pub(crate) fn builder<W: Actor>(
        &self,
        factory: impl Fn() -> W + Send + Sync + 'static,
        capacity: Option<Capacity>,
    ) -> PoolBuilder<W> {
        let mut b = Pool::builder(factory)
            .size(self.size)
            .routing(self.routing)
            .overflow(self.overflow);
        if let Some(n) = self.shared_capacity {
            b = b.shared_capacity(n);
        }
        if let Some(c) = capacity {
            b = b.capacity(c);
        }
        let defaults = Flags::default();
        b.flags(defaults.clone().intensity(
            self.max_restarts.unwrap_or(defaults.max_restarts),
            self.within.unwrap_or(defaults.within),
        ))
    }

    /// The range checks serde cannot make.
    fn check(&self, args: &Node) -> Result<(), DeError> {
        let at = |key: &str| args.get(key).map_or(args.span, |n| n.span);
        if self.size == 0 {
            return Err(bad(
                "size",
                at("size"),
                "a pool needs at least 1 worker, found 0",
            ));
        }
        if self.size > MAX_POOL_SIZE {
            return Err(bad(
                "size",
                at("size"),
                &format!(
                    "a pool has at most {MAX_POOL_SIZE} workers, found {}",
                    self.size
                ),
            ));
        }
        if self.within == Some(Duration::ZERO) {
            return Err(bad(
                "within",
                at("within"),
                "a restart intensity needs a time window longer than 0",
            ));
        }
        if self.shared_capacity == Some(0) {
            return Err(bad(
                "shared_capacity",
                at("shared_capacity"),
                "expected 1 or more, found 0",
            ));
        }
        Ok(())
    }
}

fn bad(field: &str, span: Span, message: &str) -> DeError {
    DeError {
        message: message.to_string(),
        span: Some(span),
        help: None,
        field: Some(field.to_string()),
        missing: None,
    }
}

/// The `pool` kind's checked args: its settings and its worker's kind and
/// typed args.
struct PoolPlan {
    settings: PoolSettings,
    worker: Arc<dyn KindEntry>,
    worker_kind: String,
    worker_args: Arc<dyn Any + Send + Sync>,
}

/// The `pool` kind.
pub(crate) struct PoolKind;

impl KindEntry for PoolKind {
    fn args(
        &self,
        args: &Node,
        kinds: &Kinds,
    ) -> (Result<Arc<dyn Any + Send + Sync>, DeError>, Vec<RefUse>) {
        let (plan, refs) = read_pool(args, kinds);
        (
            plan.map(|p| Arc::new(p) as Arc<dyn Any + Send + Sync>),
            refs,
        )
    }

    fn lint(
        &self,
        typed: &Arc<dyn Any + Send + Sync>,
        args: &Node,
    ) -> Vec<super::diagnostics::Diagnostic> {
        let Some(plan) = typed.downcast_ref::<PoolPlan>() else {
            return Vec::new();
        };
        let worker = args.get("worker");
        let node = worker
            .and_then(|w| w.get("args").cloned())
            .unwrap_or_else(|| empty_args(worker.map_or(args.span, |w| w.span)));
        plan.worker.lint(&plan.worker_args, &node)
    }

    fn build(
        &self,
        id: &str,
        _kind: &str,
        args: &Arc<dyn Any + Send + Sync>,
        capacity: Option<Capacity>,
        refs: Refs,
    ) -> Result<(ChildSpec, Target), BoxError> {
        let plan = args
            .downcast_ref::<PoolPlan>()
            .ok_or("internal: args of another kind")?;
        plan.worker.pool(
            id,
            &plan.worker_kind,
            &plan.worker_args,
            capacity,
            refs,
            &plan.settings,
        )
    }
}

/// Reads the pool's settings, then its worker's kind and args.
fn read_pool(args: &Node, kinds: &Kinds) -> (Result<PoolPlan, DeError>, Vec<RefUse>) {
    let (settings, entry, worker_args) = match read_settings(args, kinds) {
        Ok(read) => read,
        Err(e) => return (Err(e), Vec::new()),
    };
    let (typed, refs) = entry.args(&worker_args, kinds);
    let kind = settings.worker.kind.clone();
    let plan = match typed {
        Ok(typed) => Ok(PoolPlan {
            settings,
            worker: entry,
            worker_kind: kind,
            worker_args: typed,
        }),
        Err(e) => Err(in_worker(e, &kind)),
    };
    (plan, refs)
}

/// The pool's own settings, its worker's kind entry and the worker's
/// (unread) args.
fn read_settings(
    args: &Node,
    kinds: &Kinds,
) -> Result<(PoolSettings, Arc<dyn KindEntry>, Node), DeError> {
    let settings = from_node::<PoolSettings>(args)?;
    settings.check(args)?;
    // Both exist: serde just read them.
    let worker = args
        .get("worker")
        .cloned()
        .unwrap_or_else(|| empty_args(args.span));
    let kind_span = worker.get("kind").map_or(worker.span, |n| n.span);
    let kind = &settings.worker.kind;
    let entry = kinds
        .get(kind)
        .ok_or_else(|| unknown_kind(kind, kind_span, kinds))?
        .clone();
    if !entry.poolable() {
        return Err(DeError {
            help: Some("a pool's workers are actors built from their args, such as your own kinds (`Kinds::register`)".into()),
            ..bad("worker.kind", kind_span, &format!("kind `{kind}` cannot be a pool's worker"))
        });
    }
    let worker_args = worker
        .get("args")
        .cloned()
        .unwrap_or_else(|| empty_args(worker.span));
    Ok((settings, entry, worker_args))
}

/// An error in the worker's args, named as such.
fn in_worker(mut e: DeError, kind: &str) -> DeError {
    match &e.field {
        Some(f) => e.field = Some(format!("worker.args.{f}")),
        None => e.message = format!("{} (worker kind `{kind}`)", e.message),
    }
    e
}

fn unknown_kind(kind: &str, span: Span, kinds: &Kinds) -> DeError {
    let names = || kinds.names().filter(|n| *n != "pool");
    let help = did_you_mean(kind, names()).or_else(|| {
        Some(format!(
            "the registered kinds are {}",
            names()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    });
    DeError {
        help,
        ..bad("kind", span, &format!("unknown kind `{kind}`"))
    }
}

/// A `pool` child resolves to its [`Pool`] handle.
impl<W: Actor> RefTarget for Pool<W> {
    fn from_target(target: &Target) -> Option<Self> {
        target.handle::<Pool<W>>()
    }
    fn expected() -> String {
        format!("a pool of {}", short_type_name::<W>())
    }
}

/// Builds the `pool` child for a worker kind whose actor is `A`.
pub(crate) fn pool_child<A: Actor>(
    id: &str,
    factory: impl Fn() -> A + Send + Sync + 'static,
    capacity: Option<Capacity>,
    settings: &PoolSettings,
) -> Result<(ChildSpec, Target), BoxError> {
    let (spec, pool) = settings
        .builder(factory, capacity)
        .child_spec(id)
        .map_err(|e| e.to_string())?;
    Ok((spec, Target::handle_only(id, "pool", pool)))
}
