//! [`Probe`]: turns a running tree into [`Sample`]s. It holds the handles
//! of the built-in primitives found in the loaded tree, the configured
//! totals (semaphore permits), the breakers' transition streams (to count
//! openings and time in state) and a short history of message counts (for
//! rates).
//!
//! Invariant: a probe only reads; a primitive that does not answer shows no
//! detail rather than stalling the view (each status ask is bounded).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use retinue::config::{ChildBody, ConfigTree, Node, Span, SupervisorConfig, Value, from_node};
use retinue::supervisor::{ChildKind, ChildState, System, TreeNode};
use retinue::sync::{
    CircuitBreaker, Lock, Queue, RateLimiter, Semaphore, SemaphoreOptions, State, Subscription,
};

use super::sample::{Detail, Row, Sample};
use crate::CounterFn;

/// How far back a rate looks.
const RATE_WINDOW: Duration = Duration::from_secs(3);

/// How long one primitive's status may take before it is left out.
const ASK_LIMIT: Duration = Duration::from_millis(200);

enum Handle {
    Breaker(Box<BreakerWatch>),
    Queue(Queue<String>),
    Semaphore(Semaphore, Option<usize>),
    Limiter(RateLimiter),
    Lock(Lock),
}

struct BreakerWatch {
    breaker: CircuitBreaker,
    changes: Option<Subscription>,
    since: Instant,
    openings: u32,
}

/// Reads a running tree; see the module docs.
pub struct Probe {
    kinds: BTreeMap<String, String>,
    /// Per `pool` child's path: its workers' kind.
    pool_workers: BTreeMap<String, String>,
    handles: BTreeMap<String, Handle>,
    /// Per path: (when, messages handled, of those the probe's own asks).
    history: HashMap<String, VecDeque<(Instant, u64, u64)>>,
    /// The probe's own asks so far, per path (snapshots, status asks).
    own: HashMap<String, u64>,
    counters: Vec<CounterFn>,
    began: Instant,
}

impl Probe {
    /// A probe for `tree` (call before starting it: the handles are taken
    /// from the loaded tree).
    pub fn new(tree: &ConfigTree, counters: Vec<CounterFn>) -> Probe {
        let mut kinds = BTreeMap::new();
        let mut handles = BTreeMap::new();
        let permits = semaphore_totals(tree);
        for (path, target) in tree.targets() {
            kinds.insert(path.to_string(), target.kind().to_string());
            let handle = if let Some(b) = tree.handle::<CircuitBreaker>(path) {
                Handle::Breaker(Box::new(BreakerWatch {
                    breaker: b,
                    changes: None,
                    since: Instant::now(),
                    openings: 0,
                }))
            } else if let Some(q) = tree.handle::<Queue<String>>(path) {
                Handle::Queue(q)
            } else if let Some(s) = tree.handle::<Semaphore>(path) {
                Handle::Semaphore(s, permits.get(path).copied())
            } else if let Some(l) = tree.handle::<RateLimiter>(path) {
                Handle::Limiter(l)
            } else if let Some(l) = tree.handle::<Lock>(path) {
                Handle::Lock(l)
            } else {
                continue;
            };
            handles.insert(path.to_string(), handle);
        }
        Probe {
            kinds,
            pool_workers: pool_workers(&tree.config().supervisor),
            handles,
            history: HashMap::new(),
            own: HashMap::new(),
            counters,
            began: Instant::now(),
        }
    }

    /// Subscribes to the breakers' transitions (once the tree runs).
    pub async fn attach(&mut self) {
        for handle in self.handles.values_mut() {
            if let Handle::Breaker(w) = handle {
                w.changes = w.breaker.subscribe().await.ok();
                w.since = Instant::now();
            }
        }
        self.began = Instant::now();
    }

    /// A sample of the running tree; `None` once the root is gone.
    pub async fn sample(&mut self, system: &System) -> Option<Sample> {
        let root = system.tree().await.ok()?;
        let now = Instant::now();
        let mut rows = Vec::new();
        self.collect(&root, "", &mut Vec::new(), now, &mut rows);
        for row in &mut rows {
            if let Some(handle) = self.handles.get_mut(&row.path) {
                row.detail = detail(handle, now).await;
            }
        }
        Some(Sample {
            elapsed: now - self.began,
            rows,
            counters: self.counters.iter().flat_map(|read| read()).collect(),
        })
    }

    fn collect(
        &mut self,
        node: &TreeNode,
        path: &str,
        last: &mut Vec<bool>,
        now: Instant,
        rows: &mut Vec<Row>,
    ) {
        // A `pool` child is a supervisor whose workers are of the pool's
        // worker kind (they are not in the file under their own paths).
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        let kind = match node.kind {
            ChildKind::Supervisor if self.kinds.get(path).is_some_and(|k| k == "pool") => {
                "pool".to_string()
            }
            ChildKind::Supervisor => "supervisor".to_string(),
            ChildKind::Worker => self
                .kinds
                .get(path)
                .or_else(|| self.pool_workers.get(parent))
                .cloned()
                .unwrap_or_else(|| node.actor.clone()),
        };
        // This sample asks every running supervisor for its children and
        // every primitive for its status: one message each, not the app's.
        let asked = node.kind == ChildKind::Supervisor || self.handles.contains_key(path);
        let own = self.own.entry(path.to_string()).or_default();
        *own += u64::from(asked && node.state == ChildState::Running);
        let own = *own;
        rows.push(Row {
            path: path.to_string(),
            id: node.id.clone(),
            depth: last.len(),
            last: last.clone(),
            kind,
            state: node.state,
            handled: node.handled,
            rate: self.rate(path, now, node.handled, own),
            uptime: node.uptime,
            restarts: node.restarts,
            budget: node.budget,
            restart_in: node.restart_in,
            mailbox: node.mailbox,
            capacity: node.capacity,
            exits: node.exits.clone(),
            detail: None,
        });
        for (i, child) in node.children.iter().enumerate() {
            let child_path = if path.is_empty() {
                child.id.clone()
            } else {
                format!("{path}/{}", child.id)
            };
            last.push(i + 1 == node.children.len());
            self.collect(child, &child_path, last, now, rows);
            last.pop();
        }
    }

    /// Messages per second at `path` over the last [`RATE_WINDOW`], not
    /// counting the probe's own asks (`own` so far).
    fn rate(&mut self, path: &str, now: Instant, handled: u64, own: u64) -> f64 {
        let history = self.history.entry(path.to_string()).or_default();
        while history
            .front()
            .is_some_and(|(t, _, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            history.pop_front();
        }
        // A restarted child has a new mailbox: its count starts again.
        if history.back().is_some_and(|&(_, n, _)| n > handled) {
            history.clear();
        }
        history.push_back((now, handled, own));
        let (t0, n0, own0) = history[0];
        let secs = now.duration_since(t0).as_secs_f64();
        let theirs = (handled - n0).saturating_sub(own - own0);
        if secs < 0.2 {
            0.0
        } else {
            theirs as f64 / secs
        }
    }
}

async fn detail(handle: &mut Handle, now: Instant) -> Option<Detail> {
    match handle {
        Handle::Breaker(w) => {
            while let Some(t) = w.changes.as_mut().and_then(Subscription::try_recv) {
                w.since = t.at;
                if t.to == State::Open {
                    w.openings += 1;
                }
            }
            let m = bounded(w.breaker.metrics()).await?;
            Some(Detail::Breaker {
                state: m.state.to_string(),
                in_state: now.saturating_duration_since(w.since),
                openings: w.openings,
                calls: m.calls,
                failures: m.failures,
                rejected: m.rejected,
            })
        }
        Handle::Queue(q) => bounded(q.status()).await.map(|s| Detail::Queue {
            len: s.len,
            maxsize: s.maxsize,
        }),
        Handle::Semaphore(s, total) => bounded(s.status()).await.map(|st| Detail::Semaphore {
            free: st.available,
            total: *total,
            waiters: st.waiters,
        }),
        Handle::Limiter(l) => bounded(l.status()).await.map(|st| Detail::RateLimiter {
            tokens: st.available,
            waiters: st.waiters,
        }),
        Handle::Lock(l) => bounded(l.status()).await.map(|st| Detail::Lock {
            holder: st.holder,
            waiters: st.queued,
        }),
    }
}

/// The answer of a status ask, or `None` if it failed or took too long.
async fn bounded<T, E>(ask: impl Future<Output = Result<T, E>>) -> Option<T> {
    retinue::rt::timeout(ASK_LIMIT, ask).await.ok()?.ok()
}

/// Configured permits of every semaphore, by path.
fn semaphore_totals(tree: &ConfigTree) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let empty = Node::new(Value::Table(Vec::new()), Span::default());
    each_worker(&tree.config().supervisor, "", &mut |path, kind, args| {
        if kind == "semaphore"
            && let Ok(o) = from_node::<SemaphoreOptions>(args.unwrap_or(&empty))
        {
            out.insert(path.to_string(), o.permits);
        }
    });
    out
}

/// Every `pool` child's path and its `worker.kind`.
fn pool_workers(s: &SupervisorConfig) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    each_worker(s, "", &mut |path, kind, args| {
        let worker = args.and_then(|a| a.get("worker")?.get("kind"));
        if let (Some(Value::Str(k)), "pool") = (worker.map(|k| &k.value), kind) {
            out.insert(path.to_string(), k.clone());
        }
    });
    out
}

/// Calls `f(path, kind, args)` for every worker child, depth first.
fn each_worker(s: &SupervisorConfig, prefix: &str, f: &mut impl FnMut(&str, &str, Option<&Node>)) {
    for child in &s.children {
        let path = if prefix.is_empty() {
            child.id.clone()
        } else {
            format!("{prefix}/{}", child.id)
        };
        match &child.body {
            ChildBody::Supervisor(inner) => each_worker(inner, &path, f),
            ChildBody::Worker { kind, args } => f(&path, kind, args.as_ref()),
        }
    }
}
