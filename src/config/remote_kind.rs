//! `[node]` and `export` (feature `nats`): a config file that joins its
//! tree to a NATS deployment as a named node and exports children by name.
//!
//! ```toml
//! [node]
//! name = "billing-1"                 # unique among the live nodes
//! url = "nats://127.0.0.1:4222"
//! heartbeat_interval = "1s"          # optional, as NodeOptions
//! heartbeat_timeout = "5s"
//!
//! [[supervisor.children]]
//! id = "store"
//! kind = "my_app.store"              # registered with Kinds::exportable
//! export = "store"                   # reachable from every node by this name
//! ```
//!
//! Invariants:
//! - a child may be exported only if its kind was registered with
//!   [`Kinds::exportable`], which fixes the message types the export
//!   decodes (a file cannot widen what a node accepts);
//! - export names are unique in the file, and a file with an `export` has
//!   a `[node]`; both are load errors with spans, like every other check;
//! - when the tree starts, two children are appended to the root
//!   supervisor: `retinue.node` (a [`NodeActor`]) and after it
//!   `retinue.exports`, which exports the declared children in file order
//!   and withdraws them when it stops; it fails when the node's connection
//!   closes for good, so it is restarted and exports again on the new one.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::remote::{Export, ExportBuilder, GetNode, Node, NodeActor, NodeOptions, RemoteError};
use crate::supervisor::ChildSpec;
use crate::{Actor, Addr, BoxError, Context, ExitReason, Handler, Message};

use super::decode::{PlanBody, PlanSup};
use super::diagnostics::Diagnostic;
use super::kinds::Kinds;
use super::node::{Node as ConfigNode, Span, Value};
use super::refs::Target;

const NODE_FIELDS: &[&str] = &[
    "name",
    "url",
    "prefix",
    "unique_name",
    "ask_timeout",
    "heartbeat_interval",
    "heartbeat_timeout",
    "creds_file",
];

/// The file's `[node]` table.
#[derive(Debug, Clone, Serialize)]
pub struct NodeConfig {
    /// The node's name (unique among the live nodes of the deployment).
    pub name: String,
    /// The server URL(s).
    pub url: String,
    /// The subject prefix (default `retinue`).
    pub prefix: String,
    /// Claim the name (default `true`).
    pub unique_name: bool,
    /// The deadline of asks and lookups (default `"5s"`).
    #[serde(with = "crate::duration")]
    pub ask_timeout: Duration,
    /// Heartbeat period (default `"1s"`).
    #[serde(with = "crate::duration")]
    pub heartbeat_interval: Duration,
    /// Silence after which a watched node is lost (default `"5s"`).
    #[serde(with = "crate::duration")]
    pub heartbeat_timeout: Duration,
    /// A `.creds` file (JWT and nkey seed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creds_file: Option<PathBuf>,
    /// Where the table is written.
    #[serde(skip)]
    pub span: Span,
}

impl NodeConfig {
    /// The node options this table means (defaults for the rest).
    pub fn options(&self) -> NodeOptions {
        let mut o = NodeOptions::new(&self.name, &self.url);
        o.prefix = self.prefix.clone();
        o.unique_name = self.unique_name;
        o.ask_timeout = self.ask_timeout;
        o.heartbeat.interval = self.heartbeat_interval;
        o.heartbeat.timeout = self.heartbeat_timeout;
        if let Some(path) = &self.creds_file {
            o.credentials = crate::remote::Credentials::CredsFile(path.clone());
        }
        o
    }
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a registered exportable kind exports one of its children.
pub(crate) trait ExportEntry: Send + Sync {
    fn export<'a>(
        &'a self,
        node: &'a Node,
        name: &'a str,
        target: &'a Target,
    ) -> BoxFut<'a, Result<Export, RemoteError>>;
}

struct TypedExport<A, F> {
    messages: F,
    _actor: PhantomData<fn() -> A>,
}

impl<A, F> ExportEntry for TypedExport<A, F>
where
    A: Actor,
    F: Fn(ExportBuilder<A>) -> ExportBuilder<A> + Send + Sync,
{
    fn export<'a>(
        &'a self,
        node: &'a Node,
        name: &'a str,
        target: &'a Target,
    ) -> BoxFut<'a, Result<Export, RemoteError>> {
        Box::pin(async move {
            let addr = target.addr::<A>().ok_or_else(|| {
                RemoteError::new(
                    crate::remote::RemoteErrorKind::UnknownType,
                    format!("`{}` is not a {}", target.id(), std::any::type_name::<A>()),
                )
            })?;
            (self.messages)(node.export(name, addr)).start().await
        })
    }
}

impl Kinds {
    /// Makes the registered kind `kind` (whose actor is `A`) exportable:
    /// `messages` lists the message types an export of it decodes. A child
    /// of that kind may then say `export = "name"` (feature `nats`).
    ///
    /// ```
    /// use retinue::config::Kinds;
    /// use retinue::sync::{QueueActor, QueueOptions};
    ///
    /// let mut kinds = Kinds::builtin();
    /// kinds.register_fn("jobs", |o: &QueueOptions, _| Ok(QueueActor::<String>::new(*o)));
    /// // An actor's own RemoteMessage types go here: `|e| e.message::<Add>()`.
    /// kinds.exportable::<QueueActor<String>, _>("jobs", |export| export);
    /// assert!(kinds.is_exportable("jobs"));
    /// ```
    pub fn exportable<A, F>(&mut self, kind: &str, messages: F) -> &mut Self
    where
        A: Actor,
        F: Fn(ExportBuilder<A>) -> ExportBuilder<A> + Send + Sync + 'static,
    {
        let entry = TypedExport {
            messages,
            _actor: PhantomData,
        };
        self.exporters.insert(kind.to_string(), Arc::new(entry));
        self
    }

    /// Whether children of `kind` may be exported.
    pub fn is_exportable(&self, kind: &str) -> bool {
        self.exporters.contains_key(kind)
    }
}

/// The two children a file with a `[node]` appends to its root.
pub(crate) struct RemotePlan {
    specs: Vec<ChildSpec>,
    node: Addr<NodeActor>,
}

/// The remote plan of a loaded file: its node and, for every `export`, the
/// child's target (by path) and its kind's exporter.
pub(crate) fn plan(
    node: Option<&NodeConfig>,
    sup: &PlanSup,
    targets: &BTreeMap<String, Target>,
    kinds: &Kinds,
) -> Option<RemotePlan> {
    let options = node?.options();
    let mut exports = Vec::new();
    collect(sup, "", targets, kinds, &mut exports);
    let node = ChildSpec::worker("retinue.node", move || NodeActor::new(options.clone()));
    let addr = node.addr::<NodeActor>().expect("a node spec");
    let node_addr = addr.clone();
    let exporter = ChildSpec::worker("retinue.exports", move || Exporter {
        node: addr.clone(),
        exports: exports.clone(),
        live: Vec::new(),
    });
    Some(RemotePlan {
        specs: vec![node, exporter],
        node: node_addr,
    })
}

type Exports = Vec<(String, Target, Arc<dyn ExportEntry>)>;

fn collect(
    sup: &PlanSup,
    prefix: &str,
    targets: &BTreeMap<String, Target>,
    kinds: &Kinds,
    out: &mut Exports,
) {
    for child in &sup.children {
        let path = format!("{prefix}{}", child.id);
        if let PlanBody::Supervisor(inner) = &child.body {
            collect(inner, &format!("{path}/"), targets, kinds, out);
        }
        let (Some(name), Some(target)) = (&child.export, targets.get(&path)) else {
            continue;
        };
        if let Some(entry) = kinds.exporters.get(&child.kind) {
            out.push((name.clone(), target.clone(), entry.clone()));
        }
    }
}

impl RemotePlan {
    /// The node child's address.
    pub(crate) fn node_addr(&self) -> Addr<NodeActor> {
        self.node.clone()
    }

    /// The children to append to the root supervisor.
    pub(crate) fn into_specs(self) -> Vec<ChildSpec> {
        self.specs
    }
}

/// Exports the declared children on the node's connection.
struct Exporter {
    node: Addr<NodeActor>,
    exports: Exports,
    live: Vec<Export>,
}

struct NodeClosed;
impl Message for NodeClosed {
    type Reply = ();
}

impl Actor for Exporter {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let node = self.node.ask(GetNode).await??;
        for (name, target, entry) in &self.exports {
            let export = entry
                .export(&node, name, target)
                .await
                .map_err(|e| format!("cannot export `{}` as {name:?}: {e}", target.id()))?;
            self.live.push(export);
        }
        let me = ctx.weak_addr();
        ctx.spawn_task(async move {
            node.closed().await;
            if let Some(me) = me.upgrade() {
                let _ = me.tell_urgent(NodeClosed);
            }
        });
        Ok(())
    }

    async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
        for export in self.live.drain(..) {
            export.withdraw().await;
        }
    }
}

impl Handler<NodeClosed> for Exporter {
    async fn handle(&mut self, _: NodeClosed, ctx: &mut Context<Self>) {
        ctx.fail("the node's connection closed for good; exporting again on the next one");
    }
}

// ---- decoding ------------------------------------------------------------

impl super::decode::Decoder<'_> {
    /// Reads the `[node]` table.
    pub(super) fn node_table(&mut self, node: &ConfigNode) -> Option<NodeConfig> {
        let entries = self.table(node, "`node`", NODE_FIELDS)?;
        let d = NodeOptions::new("", "");
        let mut cfg = NodeConfig {
            name: String::new(),
            url: String::new(),
            prefix: d.prefix.clone(),
            unique_name: d.unique_name,
            ask_timeout: d.ask_timeout,
            heartbeat_interval: d.heartbeat.interval,
            heartbeat_timeout: d.heartbeat.timeout,
            creds_file: None,
            span: node.span,
        };
        let mut ok = true;
        for (key, value) in entries {
            match key.name.as_str() {
                "name" => match self.token("a node name", value) {
                    Some(name) => cfg.name = name,
                    None => ok = false,
                },
                "url" => match self.typed::<String>("bad-value", "url", value) {
                    Some(url) if !url.trim().is_empty() => cfg.url = url,
                    _ => {
                        ok = false;
                        self.diags.push(
                            Diagnostic::new("bad-value", "`url` must be a server URL", value.span)
                                .label("expected e.g. \"nats://127.0.0.1:4222\""),
                        );
                    }
                },
                "prefix" => match self.token("a subject prefix", value) {
                    Some(prefix) => cfg.prefix = prefix,
                    None => ok = false,
                },
                "unique_name" => {
                    cfg.unique_name = self
                        .typed("bad-value", "unique_name", value)
                        .unwrap_or(true)
                }
                "ask_timeout" => cfg.ask_timeout = self.duration(value).unwrap_or(d.ask_timeout),
                "heartbeat_interval" => {
                    cfg.heartbeat_interval = self.duration(value).unwrap_or(d.heartbeat.interval)
                }
                "heartbeat_timeout" => {
                    cfg.heartbeat_timeout = self.duration(value).unwrap_or(d.heartbeat.timeout)
                }
                "creds_file" => cfg.creds_file = self.typed("bad-value", "creds_file", value),
                _ => {}
            }
        }
        for field in ["name", "url"] {
            if !entries.iter().any(|(k, _)| k.name == field) {
                ok = false;
                self.diags.push(
                    Diagnostic::new(
                        "missing-field",
                        format!("missing field `{field}`"),
                        node.span,
                    )
                    .label(format!("the node needs a `{field}`")),
                );
            }
        }
        if cfg.heartbeat_timeout <= cfg.heartbeat_interval {
            let at = entries
                .iter()
                .find(|(k, _)| k.name == "heartbeat_timeout")
                .map_or(node.span, |(_, v)| v.span);
            self.diags.push(
                Diagnostic::new(
                    "invalid-combination",
                    "`heartbeat_timeout` must be longer than `heartbeat_interval`",
                    at,
                )
                .label("every watcher would take this node for lost"),
            );
        }
        ok.then_some(cfg)
    }

    /// Reads a child's `export`: a name, on a kind registered as exportable.
    pub(super) fn export_field(&mut self, kind: &str, value: &ConfigNode) -> Option<String> {
        let name = self.token("an export name", value)?;
        if !kind.is_empty() && !self.kinds.is_exportable(kind) {
            let exportable: Vec<String> = self
                .kinds
                .exporters
                .keys()
                .map(|k| format!("`{k}`"))
                .collect();
            let note = if exportable.is_empty() {
                "register its remote messages with `Kinds::exportable`".to_string()
            } else {
                format!(
                    "register its remote messages with `Kinds::exportable`; the exportable kinds are {}",
                    exportable.join(", ")
                )
            };
            self.diags.push(
                Diagnostic::new(
                    "not-exportable",
                    format!("kind `{kind}` is not exportable"),
                    value.span,
                )
                .label("no remote message types are registered for this kind")
                .note(Some(note)),
            );
            return None;
        }
        if let Some((_, first)) = self.exports.iter().find(|(n, _)| *n == name) {
            let first = *first;
            self.diags.push(
                Diagnostic::new(
                    "duplicate-export",
                    format!("the export name {name:?} is used twice"),
                    value.span,
                )
                .label("exported again here")
                .related(first, "first exported here")
                .note(Some("export names are unique in a deployment".into())),
            );
            return None;
        }
        self.exports.push((name.clone(), value.span));
        Some(name)
    }

    /// After the whole file: an `export` needs a `[node]`.
    pub(super) fn check_exports(&mut self, has_node: bool) {
        if has_node {
            return;
        }
        if let Some((name, span)) = self.exports.first().cloned() {
            self.diags.push(
                Diagnostic::new(
                    "export-needs-node",
                    format!("`export = {name:?}` but the file declares no node"),
                    span,
                )
                .label("exported to which deployment?")
                .note(Some("add a `[node]` table with `name` and `url`".into())),
            );
        }
    }

    /// A subject token: letters, digits, `_` and `-`.
    fn token(&mut self, what: &str, value: &ConfigNode) -> Option<String> {
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        match &value.value {
            Value::Str(s) if ok(s) => Some(s.clone()),
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        "bad-value",
                        format!("{what} is letters, digits, `_` and `-`"),
                        value.span,
                    )
                    .label("not a valid name"),
                );
                None
            }
        }
    }
}
