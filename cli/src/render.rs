//! `retinue tree`: a config tree as indented text, JSON, Graphviz dot or
//! a Mermaid flowchart. The text shows each child's kind and every setting
//! that differs from its default (restart, shutdown, significant,
//! capacity), then the ids it refers to. Invariant: the output depends only on the file
//! (children in file order), so it is stable for snapshots and diffs.

use retinue::config::{
    CapacityConfig, ChildBody, ChildConfig, Node, SupervisorConfig, TreeConfig, Value,
};
use retinue::duration;
use retinue::supervisor::{AutoShutdown, Restart, Shutdown, Strategy};

/// The output formats of `retinue tree`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TreeFormat {
    /// An indented tree.
    Text,
    /// The model as JSON.
    Json,
    /// A Graphviz digraph.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

pub fn render(config: &TreeConfig, format: TreeFormat) -> String {
    match format {
        TreeFormat::Text => text(config),
        TreeFormat::Json => {
            serde_json::to_string_pretty(config).expect("the model serializes") + "\n"
        }
        TreeFormat::Dot => dot(config),
        TreeFormat::Mermaid => mermaid(config),
    }
}

fn snake<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn sup_summary(s: &SupervisorConfig) -> String {
    let mut out = format!(
        "{}, {} restarts in {}",
        snake::<Strategy>(&s.strategy),
        s.max_restarts,
        duration::format(s.within)
    );
    if let Some(b) = &s.backoff {
        out.push_str(&format!(
            ", backoff {}..{}",
            duration::format(b.initial),
            duration::format(b.max)
        ));
    }
    if s.auto_shutdown != AutoShutdown::Never {
        out.push_str(&format!(
            ", auto_shutdown {}",
            snake::<AutoShutdown>(&s.auto_shutdown)
        ));
    }
    out
}

/// A `pool` child's size, worker kind and routing: `4 × my_app.worker, round_robin`.
fn pool_summary(args: Option<&Node>) -> String {
    let get = |key: &str| args.and_then(|a| a.get(key)).map(|n| &n.value);
    let size = match get("size") {
        Some(Value::Int(n)) => *n,
        _ => 4,
    };
    let routing = match get("routing") {
        Some(Value::Str(r)) => r.as_str(),
        _ => "round_robin",
    };
    let worker = args
        .and_then(|a| a.get("worker"))
        .and_then(|w| w.get("kind"))
        .and_then(|k| match &k.value {
            Value::Str(k) => Some(k.as_str()),
            _ => None,
        })
        .unwrap_or("?");
    format!("{size} × {worker}, {routing}")
}

fn child_line(c: &ChildConfig) -> String {
    let mut line = match &c.body {
        ChildBody::Worker { kind, args } if kind == "pool" => {
            format!("{} [pool: {}]", c.id, pool_summary(args.as_ref()))
        }
        ChildBody::Worker { kind, .. } => format!("{} [{kind}]", c.id),
        ChildBody::Supervisor(s) => format!("{} [supervisor: {}]", c.id, sup_summary(s)),
    };
    if c.restart != Restart::Permanent {
        line.push_str(&format!(" {}", snake(&c.restart)));
    }
    if c.significant {
        line.push_str(" significant");
    }
    let default_shutdown = match c.body {
        ChildBody::Worker { .. } => Shutdown::WORKER_DEFAULT,
        ChildBody::Supervisor(_) => Shutdown::Infinity,
    };
    if c.shutdown != default_shutdown {
        line.push_str(&match c.shutdown {
            Shutdown::Timeout(d) => format!(" shutdown {}", duration::format(d)),
            Shutdown::Brutal => " shutdown brutal".to_string(),
            Shutdown::Infinity => " shutdown infinity".to_string(),
        });
    }
    match c.capacity {
        Some(CapacityConfig::Bounded(n)) => line.push_str(&format!(" capacity {n}")),
        Some(CapacityConfig::Unbounded) => line.push_str(" capacity unbounded"),
        None => {}
    }
    if !c.refs.is_empty() {
        line.push_str(&format!(" -> {}", c.refs.join(", ")));
    }
    line
}

fn text(config: &TreeConfig) -> String {
    let mut out = format!("root [supervisor: {}]\n", sup_summary(&config.supervisor));
    text_children(&config.supervisor, "", &mut out);
    out
}

fn text_children(s: &SupervisorConfig, prefix: &str, out: &mut String) {
    for (i, c) in s.children.iter().enumerate() {
        let last = i + 1 == s.children.len();
        let (branch, next) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        out.push_str(&format!("{prefix}{branch}{}\n", child_line(c)));
        if let ChildBody::Supervisor(inner) = &c.body {
            text_children(inner, &format!("{prefix}{next}"), out);
        }
    }
}

/// A graph node: (path, label, is_supervisor, parent path, refs resolved to paths).
type GraphNode = (String, String, bool, Option<String>, Vec<String>);

/// Every node, depth first.
fn nodes(config: &TreeConfig) -> Vec<GraphNode> {
    let mut out = vec![(
        "root".to_string(),
        format!("root\\n{}", snake(&config.supervisor.strategy)),
        true,
        None,
        Vec::new(),
    )];
    walk(&config.supervisor, "root", &mut Vec::new(), &mut out);
    out
}

fn walk(
    s: &SupervisorConfig,
    path: &str,
    scope: &mut Vec<(String, String)>,
    out: &mut Vec<GraphNode>,
) {
    let depth = scope.len();
    for c in &s.children {
        let child_path = format!("{path}/{}", c.id);
        let refs = c
            .refs
            .iter()
            .filter_map(|r| {
                scope
                    .iter()
                    .rev()
                    .find(|(id, _)| id == r)
                    .map(|(_, p)| p.clone())
            })
            .collect();
        let (label, is_sup) = match &c.body {
            ChildBody::Worker { kind, .. } => (format!("{}\\n{kind}", c.id), false),
            ChildBody::Supervisor(inner) => {
                (format!("{}\\n{}", c.id, snake(&inner.strategy)), true)
            }
        };
        out.push((
            child_path.clone(),
            label,
            is_sup,
            Some(path.to_string()),
            refs,
        ));
        if let ChildBody::Supervisor(inner) = &c.body {
            walk(inner, &child_path, scope, out);
        }
        scope.push((c.id.clone(), child_path));
    }
    scope.truncate(depth);
}

fn ident(path: &str) -> String {
    path.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn dot(config: &TreeConfig) -> String {
    let mut out =
        String::from("digraph retinue {\n  rankdir=TB;\n  node [fontname=\"monospace\"];\n");
    let all = nodes(config);
    for (path, label, is_sup, _, _) in &all {
        let shape = if *is_sup {
            "box, style=rounded"
        } else {
            "ellipse"
        };
        out.push_str(&format!(
            "  {} [label=\"{label}\", shape={shape}];\n",
            ident(path)
        ));
    }
    for (path, _, _, parent, refs) in &all {
        if let Some(parent) = parent {
            out.push_str(&format!("  {} -> {};\n", ident(parent), ident(path)));
        }
        for r in refs {
            out.push_str(&format!(
                "  {} -> {} [style=dashed];\n",
                ident(path),
                ident(r)
            ));
        }
    }
    out.push_str("}\n");
    out
}

fn mermaid(config: &TreeConfig) -> String {
    let mut out = String::from("flowchart TD\n");
    let all = nodes(config);
    for (path, label, is_sup, _, _) in &all {
        let label = label.replace("\\n", "<br/>");
        if *is_sup {
            out.push_str(&format!("  {}[\"{label}\"]\n", ident(path)));
        } else {
            out.push_str(&format!("  {}([\"{label}\"])\n", ident(path)));
        }
    }
    for (path, _, _, parent, refs) in &all {
        if let Some(parent) = parent {
            out.push_str(&format!("  {} --> {}\n", ident(parent), ident(path)));
        }
        for r in refs {
            out.push_str(&format!("  {} -.-> {}\n", ident(path), ident(r)));
        }
    }
    out
}
