//! [`TreeNode`]: a serializable snapshot of a supervision tree.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::spec::ChildKind;
use super::supervisor::ChildState;

/// One node of a tree snapshot: an actor and, for supervisors, its
/// children. Prints as an indented tree; serializes with serde.
///
/// ```
/// use retinue::supervisor::{ChildKind, ChildState, TreeNode};
///
/// let node = |id: &str, kind, restarts, children| TreeNode {
///     id: id.into(), actor: "Cache".into(), kind, state: ChildState::Running,
///     restarts, mailbox: 0, children,
/// };
/// let root = node("root", ChildKind::Supervisor, 0, vec![node("cache", ChildKind::Worker, 2, vec![])]);
/// assert_eq!(root.to_string(), "root (Cache) running\n└── cache (Cache) running, restarts 2\n");
/// assert_eq!(root.find("cache").unwrap().restarts, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeNode {
    /// The child id (the root's name for the root).
    pub id: String,
    /// The actor type's short name.
    pub actor: String,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Running, restarting or stopped.
    pub state: ChildState,
    /// Restarts so far.
    pub restarts: u32,
    /// Messages waiting in its mailbox.
    pub mailbox: usize,
    /// A supervisor's children, in start order.
    pub children: Vec<TreeNode>,
}

impl TreeNode {
    /// Every node, depth first, with its depth.
    pub fn walk(&self) -> Vec<(usize, &TreeNode)> {
        let mut out = Vec::new();
        self.walk_into(0, &mut out);
        out
    }

    fn walk_into<'a>(&'a self, depth: usize, out: &mut Vec<(usize, &'a TreeNode)>) {
        out.push((depth, self));
        for child in &self.children {
            child.walk_into(depth + 1, out);
        }
    }

    /// Finds a node by its path of ids below this one, e.g. `"workers/fetcher"`.
    pub fn find(&self, path: &str) -> Option<&TreeNode> {
        path.split('/')
            .filter(|p| !p.is_empty())
            .try_fold(self, |node, id| node.children.iter().find(|c| c.id == id))
    }

    fn line(&self) -> String {
        let state = match self.state {
            ChildState::Running => "running",
            ChildState::Restarting => "restarting",
            ChildState::Stopped => "stopped",
        };
        let mut line = format!("{} ({}) {state}", self.id, self.actor);
        if self.restarts > 0 {
            line.push_str(&format!(", restarts {}", self.restarts));
        }
        if self.mailbox > 0 {
            line.push_str(&format!(", mailbox {}", self.mailbox));
        }
        line
    }

    fn fmt_children(&self, f: &mut fmt::Formatter<'_>, prefix: &str) -> fmt::Result {
        for (i, child) in self.children.iter().enumerate() {
            let last = i + 1 == self.children.len();
            let (branch, next) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            writeln!(f, "{prefix}{branch}{}", child.line())?;
            child.fmt_children(f, &format!("{prefix}{next}"))?;
        }
        Ok(())
    }
}

impl fmt::Display for TreeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.line())?;
        self.fmt_children(f, "")
    }
}
