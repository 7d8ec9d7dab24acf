//! From a parsed [`Node`] tree to the [`TreeConfig`] model and the build
//! plan (typed args, references), collecting every problem on the way.
//!
//! Invariants: decoding never stops at the first problem: a bad field is
//! reported and skipped (its default is used so later checks still run),
//! so one pass reports everything the file gets wrong; every diagnostic
//! points at the key or value at fault.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use crate::supervisor::{AutoShutdown, Flags, Restart, Shutdown, Strategy};
use crate::{Backoff, Capacity};

use super::diagnostics::Diagnostic;
use super::kinds::{KindEntry, Kinds, empty_args};
use super::model::{
    CapacityConfig, ChildBody, ChildConfig, ChildSpans, SupervisorConfig, SupervisorSpans,
    TreeConfig,
};
use super::node::{Node, Span, Value};
use super::refs::RefUse;
use super::suggest::did_you_mean;

#[cfg(not(feature = "nats"))]
const ROOT_FIELDS: &[&str] = &["supervisor"];
#[cfg(feature = "nats")]
const ROOT_FIELDS: &[&str] = &["supervisor", "node"];
const SUPERVISOR_FIELDS: &[&str] = &[
    "strategy",
    "max_restarts",
    "within",
    "backoff",
    "backoff_reset",
    "auto_shutdown",
    "children",
];
const CHILD_FIELDS: &[&str] = &[
    "id",
    "kind",
    "args",
    "supervisor",
    "restart",
    "shutdown",
    "significant",
    "capacity",
    #[cfg(feature = "nats")]
    "export",
];

/// A supervisor ready to build (and rebuild on restart).
pub(crate) struct PlanSup {
    pub flags: Flags,
    pub children: Vec<PlanChild>,
}

/// A child ready to build.
pub(crate) struct PlanChild {
    pub id: String,
    pub kind: String,
    pub restart: Restart,
    pub shutdown: Option<Shutdown>,
    pub significant: bool,
    pub capacity: Option<Capacity>,
    /// The name it is exported under (feature `nats`).
    #[cfg(feature = "nats")]
    pub export: Option<String>,
    /// The args (or the child's table when it has none).
    pub span: Span,
    pub body: PlanBody,
}

pub(crate) enum PlanBody {
    Worker {
        entry: Arc<dyn KindEntry>,
        args: Arc<dyn Any + Send + Sync>,
        refs: Vec<RefUse>,
    },
    Supervisor(Arc<PlanSup>),
    /// The child could not be decoded; only its id and the references
    /// read from its args (if any) take part in checks.
    Invalid {
        refs: Vec<RefUse>,
    },
}

pub(crate) struct Decoder<'k> {
    pub(super) kinds: &'k Kinds,
    pub diags: Vec<Diagnostic>,
    /// The export names seen so far, where (feature `nats`).
    #[cfg(feature = "nats")]
    pub(super) exports: Vec<(String, Span)>,
}

impl<'k> Decoder<'k> {
    pub fn new(kinds: &'k Kinds) -> Self {
        Decoder {
            kinds,
            diags: Vec::new(),
            #[cfg(feature = "nats")]
            exports: Vec::new(),
        }
    }

    pub fn root(&mut self, node: &Node) -> Option<(TreeConfig, PlanSup)> {
        let entries = self.table(node, "the file", ROOT_FIELDS)?;
        match entries.iter().find(|(k, _)| k.name == "supervisor") {
            Some((_, sup)) => {
                let (supervisor, plan) = self.supervisor(sup)?;
                #[cfg(feature = "nats")]
                let node = {
                    let table = entries.iter().find(|(k, _)| k.name == "node");
                    let node = table.and_then(|(_, n)| self.node_table(n));
                    self.check_exports(table.is_some());
                    node
                };
                Some((
                    TreeConfig {
                        supervisor,
                        #[cfg(feature = "nats")]
                        node,
                    },
                    plan,
                ))
            }
            None => {
                self.diags.push(
                    Diagnostic::new("missing-field", "missing `supervisor`", Span::new(0, 0))
                        .label("the file needs a root supervisor")
                        .note(Some("add a `[supervisor]` table".into())),
                );
                None
            }
        }
    }

    fn supervisor(&mut self, node: &Node) -> Option<(SupervisorConfig, PlanSup)> {
        let entries = self.table(node, "a supervisor", SUPERVISOR_FIELDS)?;
        let d = Flags::default();
        let mut cfg = SupervisorConfig {
            strategy: Strategy::default(),
            max_restarts: d.max_restarts,
            within: d.within,
            backoff: None,
            backoff_reset: d.backoff_reset,
            auto_shutdown: AutoShutdown::default(),
            children: Vec::new(),
            spans: SupervisorSpans {
                table: node.span,
                ..SupervisorSpans::default()
            },
        };
        let mut plans = Vec::new();
        for (key, value) in entries {
            match key.name.as_str() {
                "strategy" => {
                    cfg.strategy = self
                        .typed("bad-value", "strategy", value)
                        .unwrap_or_default()
                }
                "max_restarts" => {
                    cfg.max_restarts = self
                        .typed("bad-value", "max_restarts", value)
                        .unwrap_or(d.max_restarts)
                }
                "within" => {
                    cfg.spans.within = Some(value.span);
                    cfg.within = self.duration(value).unwrap_or(d.within);
                }
                "backoff" => {
                    cfg.spans.backoff = Some(value.span);
                    cfg.backoff = self.typed::<Backoff>("bad-value", "backoff", value);
                    cfg.spans.backoff_initial = value.get("initial").map(|n| n.span);
                    cfg.spans.backoff_max = value.get("max").map(|n| n.span);
                    cfg.spans.backoff_multiplier = value.get("multiplier").map(|n| n.span);
                }
                "backoff_reset" => {
                    cfg.backoff_reset = self.duration(value).unwrap_or(d.backoff_reset)
                }
                "auto_shutdown" => {
                    cfg.spans.auto_shutdown = Some(value.span);
                    cfg.auto_shutdown = self
                        .typed("bad-value", "auto_shutdown", value)
                        .unwrap_or_default();
                }
                "children" => {
                    let Value::Array(items) = &value.value else {
                        self.diags.push(
                            Diagnostic::new(
                                "wrong-type",
                                format!("`children` must be an array, found {}", value.type_name()),
                                value.span,
                            )
                            .label("expected an array of children"),
                        );
                        continue;
                    };
                    let mut seen: HashMap<String, Span> = HashMap::new();
                    for item in items {
                        let Some((child, plan)) = self.child(item) else {
                            continue;
                        };
                        if let Some(first) = seen.get(&child.id) {
                            self.diags.push(
                                Diagnostic::new(
                                    "duplicate-id",
                                    format!("duplicate child id `{}`", child.id),
                                    child.spans.id,
                                )
                                .label("used again here")
                                .related(*first, "first used here")
                                .note(Some("ids must be unique among siblings".into())),
                            );
                        } else {
                            seen.insert(child.id.clone(), child.spans.id);
                        }
                        cfg.children.push(child);
                        plans.push(plan);
                    }
                }
                _ => {}
            }
        }
        let flags = Flags {
            strategy: cfg.strategy,
            max_restarts: cfg.max_restarts,
            within: cfg.within,
            backoff: cfg.backoff,
            backoff_reset: cfg.backoff_reset,
            auto_shutdown: cfg.auto_shutdown,
        };
        Some((
            cfg,
            PlanSup {
                flags,
                children: plans,
            },
        ))
    }

    fn child(&mut self, node: &Node) -> Option<(ChildConfig, PlanChild)> {
        let entries = self.table(node, "a child", CHILD_FIELDS)?;
        let get = |name: &str| entries.iter().find(|(k, _)| k.name == name);
        let mut spans = ChildSpans {
            table: node.span,
            ..ChildSpans::default()
        };
        let id = match get("id") {
            Some((_, v)) => {
                spans.id = v.span;
                match &v.value {
                    Value::Str(s) if !s.is_empty() && !s.contains('/') => s.clone(),
                    _ => {
                        self.diags.push(
                            Diagnostic::new(
                                "bad-value",
                                "a child id must be a non-empty name without `/`",
                                v.span,
                            )
                            .label("expected a name such as \"fetcher\""),
                        );
                        return None;
                    }
                }
            }
            None => {
                self.diags.push(
                    Diagnostic::new("missing-field", "missing field `id`", node.span)
                        .label("this child has no id"),
                );
                return None;
            }
        };
        let restart = match get("restart") {
            Some((_, v)) => {
                spans.restart = Some(v.span);
                // An unreadable value must not cause follow-on errors
                // (transient is valid in every combination).
                self.typed("bad-value", "restart", v)
                    .unwrap_or(Restart::Transient)
            }
            None => Restart::default(),
        };
        let shutdown = get("shutdown").and_then(|(_, v)| self.shutdown(v));
        let significant = match get("significant") {
            Some((_, v)) => {
                spans.significant = Some(v.span);
                self.typed("bad-value", "significant", v).unwrap_or(false)
            }
            None => false,
        };
        let capacity = get("capacity").and_then(|(_, v)| self.capacity(v));
        let (body, plan_body, kind_name) = match (get("kind"), get("supervisor")) {
            (Some((kk, _)), Some((sk, _))) => {
                self.diags.push(
                    Diagnostic::new(
                        "invalid-combination",
                        "a child is either a `kind` or a nested `supervisor`, not both",
                        sk.span,
                    )
                    .related(kk.span, "`kind` given here"),
                );
                return None;
            }
            (None, None) => {
                self.diags.push(
                    Diagnostic::new(
                        "missing-field",
                        format!("child `{id}` has no `kind`"),
                        node.span,
                    )
                    .label("add `kind = \"...\"` or a nested `supervisor` table"),
                );
                (None, PlanBody::Invalid { refs: Vec::new() }, String::new())
            }
            (None, Some((_, sup))) => {
                if let Some((k, _)) = get("args") {
                    self.diags.push(
                        Diagnostic::new(
                            "invalid-combination",
                            "a supervisor child takes no `args`",
                            k.span,
                        )
                        .label("args are for kinds"),
                    );
                }
                match self.supervisor(sup) {
                    Some((cfg, plan)) => (
                        Some(ChildBody::Supervisor(cfg)),
                        PlanBody::Supervisor(Arc::new(plan)),
                        "supervisor".to_string(),
                    ),
                    None => (None, PlanBody::Invalid { refs: Vec::new() }, String::new()),
                }
            }
            (Some((_, kv)), None) => {
                spans.kind = kv.span;
                let args_node = get("args").map(|(_, v)| v.clone());
                let kind = match &kv.value {
                    Value::Str(s) => s.clone(),
                    _ => {
                        self.diags.push(
                            Diagnostic::new("wrong-type", "`kind` must be a string", kv.span)
                                .label("expected a kind name"),
                        );
                        return None;
                    }
                };
                let plan_body = match self.kinds.get(&kind) {
                    None => {
                        self.diags.push(
                            Diagnostic::new(
                                "unknown-kind",
                                format!("unknown kind `{kind}`"),
                                kv.span,
                            )
                            .label("no kind of this name is registered")
                            .note(
                                did_you_mean(&kind, self.kinds.names()).or_else(|| {
                                    Some(format!(
                                        "the registered kinds are {}",
                                        self.kinds
                                            .names()
                                            .map(|n| format!("`{n}`"))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    ))
                                }),
                            ),
                        );
                        PlanBody::Invalid { refs: Vec::new() }
                    }
                    Some(entry) => {
                        let args = args_node.clone().unwrap_or_else(|| empty_args(node.span));
                        self.args(entry, &kind, args)
                    }
                };
                (
                    Some(ChildBody::Worker {
                        kind: kind.clone(),
                        args: args_node,
                    }),
                    plan_body,
                    kind,
                )
            }
        };
        #[cfg(feature = "nats")]
        let export = get("export").and_then(|(_, v)| self.export_field(&kind_name, v));
        let is_sup = matches!(plan_body, PlanBody::Supervisor(_));
        let refs = match &plan_body {
            PlanBody::Worker { refs, .. } | PlanBody::Invalid { refs } => {
                refs.iter().map(|r| r.name.clone()).collect()
            }
            PlanBody::Supervisor(_) => Vec::new(),
        };
        let child = ChildConfig {
            id: id.clone(),
            body: body.unwrap_or(ChildBody::Worker {
                kind: kind_name.clone(),
                args: None,
            }),
            restart,
            shutdown: shutdown.unwrap_or(if is_sup {
                Shutdown::Infinity
            } else {
                Shutdown::WORKER_DEFAULT
            }),
            significant,
            capacity: capacity.map(|c| match c {
                Capacity::Bounded(n) => CapacityConfig::Bounded(n),
                Capacity::Unbounded => CapacityConfig::Unbounded,
            }),
            refs,
            #[cfg(feature = "nats")]
            export: export.clone(),
            spans,
        };
        let plan = PlanChild {
            id,
            kind: kind_name,
            restart,
            shutdown,
            significant,
            capacity,
            #[cfg(feature = "nats")]
            export,
            span: get("args").map_or(node.span, |(_, v)| v.span),
            body: plan_body,
        };
        Some((child, plan))
    }
}

/// How many errors one `args` table reports before the rest are skipped
/// (each costs one more pass over the table).
const ARGS_ERRORS: usize = 20;

impl Decoder<'_> {
    /// Reads a kind's args, reporting every independent error: after an
    /// error, the entry it is in (the innermost one) is taken out and the
    /// args are read again, so `maxsize = "x"` does not hide
    /// `order = "fifi"` or an unknown `extra`. A missing field that was
    /// only taken out is not reported again.
    fn args(&mut self, entry: &Arc<dyn KindEntry>, kind: &str, mut args: Node) -> PlanBody {
        let within = format!("kind `{kind}`");
        let mut removed: Vec<String> = Vec::new();
        let mut failed = false;
        for _ in 0..ARGS_ERRORS {
            let (result, refs) = entry.args(&args, self.kinds);
            let e = match result {
                Ok(typed) if !failed => {
                    self.diags.extend(entry.lint(&typed, &args));
                    return PlanBody::Worker {
                        entry: entry.clone(),
                        args: typed,
                        refs,
                    };
                }
                Ok(_) => return PlanBody::Invalid { refs },
                Err(e) => e,
            };
            if e.missing.is_some_and(|m| removed.iter().any(|r| r == m)) {
                return PlanBody::Invalid { refs };
            }
            let span = e.span;
            let missing = e.missing.is_some();
            self.de_error_in(&within, None, "bad-args", e, args.span);
            failed = true;
            if missing {
                // Taking the incomplete table out would only add an error
                // about its absence.
                return PlanBody::Invalid { refs };
            }
            match span.and_then(|s| remove_entry_at(&mut args, s)) {
                Some(key) => removed.push(key),
                None => return PlanBody::Invalid { refs },
            }
        }
        PlanBody::Invalid { refs: Vec::new() }
    }
}

/// Takes out of `node` the innermost table entry whose key or value holds
/// `span`, and returns its key.
fn remove_entry_at(node: &mut Node, span: Span) -> Option<String> {
    let inside = |n: &Span| n.start <= span.start && span.end <= n.end;
    let mut at = node;
    loop {
        let next = match &mut at.value {
            Value::Table(entries) => {
                let i = entries
                    .iter()
                    .position(|(k, v)| inside(&k.span) || inside(&v.span))?;
                let deeper = {
                    let (k, v) = &entries[i];
                    !inside(&k.span) && v.span != span && has_entry_at(v, span)
                };
                if !deeper {
                    return Some(entries.remove(i).0.name);
                }
                &mut entries[i].1
            }
            Value::Array(items) => items.iter_mut().find(|n| inside(&n.span))?,
            _ => return None,
        };
        at = next;
    }
}

/// Whether a table somewhere inside `node` has an entry holding `span`.
fn has_entry_at(node: &Node, span: Span) -> bool {
    let inside = |n: &Span| n.start <= span.start && span.end <= n.end;
    let mut at = node;
    loop {
        match &at.value {
            Value::Table(entries) => {
                return entries
                    .iter()
                    .any(|(k, v)| inside(&k.span) || inside(&v.span));
            }
            Value::Array(items) => match items.iter().find(|n| inside(&n.span)) {
                Some(n) => at = n,
                None => return false,
            },
            _ => return false,
        }
    }
}
