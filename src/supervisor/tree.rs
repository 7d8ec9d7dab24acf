//! [`TreeNode`]: a serializable snapshot of a supervision tree.

use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::Capacity;

use super::spec::ChildKind;
use super::supervisor::{ChildState, Slot};

/// One node of a tree snapshot: an actor and, for supervisors, its
/// children. Prints as an indented tree; serializes with serde.
///
/// ```
/// use retinue::supervisor::{ChildKind, ChildState, TreeNode};
///
/// let node = |id: &str, kind, restarts, children| TreeNode {
///     id: id.into(), actor: "Cache".into(), kind, state: ChildState::Running,
///     restarts, children, ..TreeNode::default()
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
    /// Messages its mailbox has handled, across restarts ([`Addr::handled`](crate::Addr::handled)).
    #[serde(default)]
    pub handled: u64,
    /// Its mailbox's capacity; `None` when unbounded.
    #[serde(default)]
    pub capacity: Option<usize>,
    /// How long its current instance has been running (`None` unless running).
    #[serde(default, with = "crate::duration::option")]
    pub uptime: Option<Duration>,
    /// While restarting with a backoff: how long until the restart is due.
    #[serde(default, with = "crate::duration::option")]
    pub restart_in: Option<Duration>,
    /// Its most recent exits, oldest first (at most [`TreeNode::EXITS_KEPT`]).
    #[serde(default)]
    pub exits: Vec<ExitRecord>,
    /// The parent supervisor's restart intensity, which this child's
    /// restarts spend (`None` for the root).
    #[serde(default)]
    pub budget: Option<RestartBudget>,
}

/// One exit of a child instance, as a tree snapshot reports it.
///
/// ```
/// use std::time::Duration;
/// use retinue::{Actor, ExitReason, supervisor::{ChildSpec, Strategy, Supervisor}};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// let sup = Supervisor::new(Strategy::OneForOne)
///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
/// sup.child("w").await.unwrap().exit(ExitReason::failed("oops"));
/// while sup.child("w").await.unwrap().restarts == 0 {
///     retinue::rt::sleep(Duration::from_millis(1)).await;
/// }
/// let tree = sup.tree("root").await.unwrap();
/// let exit = &tree.find("w").unwrap().exits[0];
/// assert!(exit.abnormal && exit.reason.contains("oops"));
/// sup.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// The exit reason, as [`ExitReason`](crate::ExitReason) displays it.
    pub reason: String,
    /// Whether the reason is abnormal (a crash rather than a stop).
    pub abnormal: bool,
    /// How long ago it happened, at the time of the snapshot.
    #[serde(with = "crate::duration")]
    pub ago: Duration,
}

/// A supervisor's restart intensity as spent so far: `used` restarts in
/// the last `within`, of at most `max` (OTP's intensity and period).
///
/// ```
/// use std::time::Duration;
/// use retinue::{Actor, supervisor::{ChildSpec, Flags, RestartBudget, Strategy, Supervisor}};
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # retinue::rt::block_on(async {
/// let flags = Flags::new(Strategy::OneForOne).intensity(5, Duration::from_secs(10));
/// let sup = Supervisor::with_flags(flags)
///     .child(ChildSpec::worker("w", || Worker)).spawn().await.unwrap();
/// let tree = sup.tree("root").await.unwrap();
/// let budget = tree.find("w").unwrap().budget.unwrap();
/// assert_eq!(budget, RestartBudget { used: 0, max: 5, within: Duration::from_secs(10) });
/// sup.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartBudget {
    /// Restarts inside the window ending at the snapshot.
    pub used: u32,
    /// The most restarts allowed inside the window.
    pub max: u32,
    /// The window.
    #[serde(with = "crate::duration")]
    pub within: Duration,
}

impl Default for TreeNode {
    /// An empty, stopped worker node with no id.
    fn default() -> Self {
        TreeNode {
            id: String::new(),
            actor: String::new(),
            kind: ChildKind::Worker,
            state: ChildState::Stopped,
            restarts: 0,
            mailbox: 0,
            children: Vec::new(),
            handled: 0,
            capacity: None,
            uptime: None,
            restart_in: None,
            exits: Vec::new(),
            budget: None,
        }
    }
}

impl TreeNode {
    /// How many recent exits a node keeps.
    pub const EXITS_KEPT: usize = 8;

    /// Every node, depth first, with its depth.
    ///
    /// ```
    /// use retinue::supervisor::TreeNode;
    ///
    /// let leaf = |id: &str| TreeNode { id: id.into(), ..TreeNode::default() };
    /// let root = TreeNode {
    ///     id: "root".into(),
    ///     children: vec![TreeNode { children: vec![leaf("c")], ..leaf("b") }, leaf("d")],
    ///     ..TreeNode::default()
    /// };
    /// let order: Vec<(usize, &str)> = root.walk().into_iter().map(|(d, n)| (d, n.id.as_str())).collect();
    /// assert_eq!(order, [(0, "root"), (1, "b"), (2, "c"), (1, "d")]);
    /// ```
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
    ///
    /// ```
    /// use retinue::supervisor::TreeNode;
    ///
    /// let leaf = |id: &str| TreeNode { id: id.into(), ..TreeNode::default() };
    /// let root = TreeNode { children: vec![TreeNode { children: vec![leaf("fetcher")], ..leaf("workers") }], ..leaf("root") };
    /// assert_eq!(root.find("workers/fetcher").unwrap().id, "fetcher");
    /// assert!(root.find("fetcher").is_none()); // a path from here, not a search
    /// assert_eq!(root.find("").unwrap().id, "root");
    /// ```
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

/// A capacity as a snapshot shows it: `None` when unbounded.
pub(super) fn capacity_limit(capacity: Capacity) -> Option<usize> {
    match capacity.normalized() {
        Capacity::Bounded(n) => Some(n),
        Capacity::Unbounded => None,
    }
}

/// Whole milliseconds: snapshots print as "1s 250ms", not down to the nanosecond.
fn millis(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Slot {
    /// Keeps `reason` as the newest of the recent exits.
    pub(super) fn record_exit(&mut self, reason: &crate::ExitReason) {
        if self.exits.len() == TreeNode::EXITS_KEPT {
            self.exits.pop_front();
        }
        self.exits.push_back((Instant::now(), reason.clone()));
    }

    /// This child as a snapshot node (without children), spending `budget`.
    pub(super) fn snapshot(&self, budget: RestartBudget) -> TreeNode {
        let now = Instant::now();
        let running = self.state == ChildState::Running;
        let restarting = self.state == ChildState::Restarting;
        TreeNode {
            id: self.id.clone(),
            actor: self.child.actor_type().into(),
            kind: self.kind,
            state: self.state,
            restarts: self.restarts,
            mailbox: self.child.mailbox_len(),
            children: Vec::new(),
            handled: self.child.handled(),
            capacity: capacity_limit(self.child.capacity()),
            uptime: self
                .last_start
                .filter(|_| running)
                .map(|t| millis(now.saturating_duration_since(t))),
            restart_in: self
                .restart_at
                .filter(|_| restarting)
                .map(|t| millis(t.saturating_duration_since(now))),
            exits: self
                .exits
                .iter()
                .map(|(at, reason)| ExitRecord {
                    reason: reason.to_string(),
                    abnormal: reason.is_abnormal(),
                    ago: millis(now.saturating_duration_since(*at)),
                })
                .collect(),
            budget: Some(budget),
        }
    }
}
