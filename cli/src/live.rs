//! `retinue run`: starts a tree and shows it live.
//!
//! On a terminal the view is redrawn in place (plain ANSI: cursor up,
//! clear to end); otherwise one plain line is printed per second. Ctrl-C
//! or the end of `--duration` shuts the tree down in order (children in
//! reverse start order) and prints a final summary.
//!
//! Invariant: the view only reads (tree snapshots, handle status); it
//! never changes the running tree.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use retinue::config::ConfigTree;
use retinue::supervisor::{ChildState, TreeNode};
use retinue::sync::{CircuitBreaker, Queue, RateLimiter, Semaphore};

use crate::demo::STATS;

struct Extras {
    kinds: BTreeMap<String, String>,
    breakers: BTreeMap<String, CircuitBreaker>,
    queues: BTreeMap<String, Queue<String>>,
    semaphores: BTreeMap<String, Semaphore>,
    limiters: BTreeMap<String, RateLimiter>,
}

impl Extras {
    fn from(tree: &ConfigTree) -> Extras {
        let mut e = Extras {
            kinds: BTreeMap::new(),
            breakers: BTreeMap::new(),
            queues: BTreeMap::new(),
            semaphores: BTreeMap::new(),
            limiters: BTreeMap::new(),
        };
        for (path, target) in tree.targets() {
            e.kinds.insert(path.to_string(), target.kind().to_string());
            if let Some(b) = tree.handle::<CircuitBreaker>(path) {
                e.breakers.insert(path.to_string(), b);
            }
            if let Some(q) = tree.handle::<Queue<String>>(path) {
                e.queues.insert(path.to_string(), q);
            }
            if let Some(s) = tree.handle::<Semaphore>(path) {
                e.semaphores.insert(path.to_string(), s);
            }
            if let Some(l) = tree.handle::<RateLimiter>(path) {
                e.limiters.insert(path.to_string(), l);
            }
        }
        e
    }
}

/// Runs the tree until Ctrl-C or `duration`; returns the process exit code.
pub fn run(tree: ConfigTree, name: &str, duration: Option<Duration>, interval: Duration) -> i32 {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // If a handler is already set (tests calling twice), just go on.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let extras = Extras::from(&tree);
    let tty = std::io::stdout().is_terminal();
    retinue::rt::block_on(async move {
        let system = match tree.start().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {name}: the tree failed to start: {e}");
                return 1;
            }
        };
        let began = Instant::now();
        let mut drawn = 0usize;
        let mut last_line = Instant::now() - Duration::from_secs(10);
        let frame = if tty {
            interval.min(Duration::from_millis(250))
        } else {
            Duration::from_millis(100)
        };
        loop {
            let elapsed = began.elapsed();
            let done = stop.load(Ordering::SeqCst) || duration.is_some_and(|d| elapsed >= d);
            if done {
                break;
            }
            let Ok(snapshot) = system.tree().await else {
                eprintln!("the root supervisor is gone");
                break;
            };
            if snapshot.state == ChildState::Stopped {
                break;
            }
            if tty {
                let text = view(&snapshot, &extras, elapsed, name).await;
                let mut out = std::io::stdout().lock();
                if drawn > 0 {
                    let _ = write!(out, "\x1b[{drawn}A\x1b[J");
                }
                let _ = write!(out, "{text}");
                let _ = out.flush();
                drawn = text.lines().count();
            } else if last_line.elapsed() >= interval {
                last_line = Instant::now();
                println!("{}", line(&snapshot, &extras, elapsed).await);
            }
            retinue::rt::sleep(frame).await;
        }
        let before = system.tree().await.ok();
        let reason = system.shutdown().await;
        println!(
            "{}",
            summary(before.as_ref(), began.elapsed(), &format!("{reason:?}"))
        );
        0
    })
}

fn path_of(prefix: &str, id: &str) -> String {
    if prefix.is_empty() {
        id.to_string()
    } else {
        format!("{prefix}/{id}")
    }
}

fn state(s: ChildState) -> &'static str {
    match s {
        ChildState::Running => "running",
        ChildState::Restarting => "restarting",
        ChildState::Stopped => "stopped",
    }
}

async fn extra(path: &str, extras: &Extras) -> String {
    let mut out = String::new();
    if let Some(b) = extras.breakers.get(path) {
        out.push_str(&format!(" breaker {}", b.state()));
        if let Ok(m) = b.metrics().await {
            out.push_str(&format!(" (calls {}, failures {})", m.calls, m.failures));
        }
    }
    if let Some(q) = extras.queues.get(path)
        && let Ok(n) = q.len().await
    {
        out.push_str(&format!(" queued {n}"));
    }
    if let Some(s) = extras.semaphores.get(path)
        && let Ok(st) = s.status().await
    {
        out.push_str(&format!(
            " permits free {}, waiters {}",
            st.available, st.waiters
        ));
    }
    if let Some(l) = extras.limiters.get(path)
        && let Ok(st) = l.status().await
    {
        out.push_str(&format!(" tokens {}, waiters {}", st.available, st.waiters));
    }
    out
}

async fn view(root: &TreeNode, extras: &Extras, elapsed: Duration, name: &str) -> String {
    let mut rows = Vec::new();
    collect(root, "", "", true, true, &mut rows);
    let mut out = format!(
        "retinue run {name}   {:.1}s   (Ctrl-C to stop)\n\n{:<34} {:<20} {:<11} {:>8} {:>7}  details\n",
        elapsed.as_secs_f64(),
        "actor",
        "kind",
        "state",
        "restarts",
        "mailbox"
    );
    for (label, path, node) in rows {
        let kind = if path.is_empty() {
            "supervisor".to_string()
        } else {
            extras
                .kinds
                .get(&path)
                .cloned()
                .unwrap_or_else(|| node.actor.clone())
        };
        let colour = match node.state {
            ChildState::Running => "\x1b[32m",
            ChildState::Restarting => "\x1b[33m",
            ChildState::Stopped => "\x1b[31m",
        };
        out.push_str(&format!(
            "{label:<34} {kind:<20} {colour}{:<11}\x1b[0m {:>8} {:>7} {}\n",
            state(node.state),
            node.restarts,
            node.mailbox,
            extra(&path, extras).await.trim_start()
        ));
    }
    out.push_str(&format!("\n{}\n", counters()));
    out
}

fn collect<'a>(
    node: &'a TreeNode,
    prefix: &str,
    path: &str,
    root: bool,
    last: bool,
    rows: &mut Vec<(String, String, &'a TreeNode)>,
) {
    let label = if root {
        node.id.clone()
    } else {
        format!("{prefix}{}{}", if last { "└── " } else { "├── " }, node.id)
    };
    rows.push((label, path.to_string(), node));
    let next = if root {
        String::new()
    } else {
        format!("{prefix}{}", if last { "    " } else { "│   " })
    };
    for (i, child) in node.children.iter().enumerate() {
        let child_path = path_of(path, &child.id);
        collect(
            child,
            &next,
            &child_path,
            false,
            i + 1 == node.children.len(),
            rows,
        );
    }
}

fn counters() -> String {
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    format!(
        "jobs produced {}  processed {}  dropped {}  |  service errors {}  rejected by breaker {}  |  worker crashes {}",
        get(&STATS.produced),
        get(&STATS.processed),
        get(&STATS.dropped),
        get(&STATS.service_errors),
        get(&STATS.rejected),
        get(&STATS.crashes),
    )
}

async fn line(root: &TreeNode, extras: &Extras, elapsed: Duration) -> String {
    let all = root.walk();
    let running = all
        .iter()
        .filter(|(_, n)| n.state == ChildState::Running)
        .count();
    let restarts: u32 = all.iter().map(|(_, n)| n.restarts).sum();
    let mailbox: usize = all.iter().map(|(_, n)| n.mailbox).sum();
    let mut out = format!(
        "[{:>5.1}s] actors {running}/{} running, restarts {restarts}, mailboxes {mailbox}",
        elapsed.as_secs_f64(),
        all.len()
    );
    for (path, b) in &extras.breakers {
        out.push_str(&format!(", breaker {path} {}", b.state()));
    }
    for (path, q) in &extras.queues {
        if let Ok(n) = q.len().await {
            out.push_str(&format!(", queue {path} {n}"));
        }
    }
    out.push_str(&format!("; {}", counters()));
    out
}

fn summary(before: Option<&TreeNode>, elapsed: Duration, reason: &str) -> String {
    let mut out = format!(
        "\nstopped after {:.1}s: the tree shut down in order ({reason})\n",
        elapsed.as_secs_f64()
    );
    if let Some(root) = before {
        let all = root.walk();
        let restarts: u32 = all.iter().map(|(_, n)| n.restarts).sum();
        out.push_str(&format!("actors {}, restarts {restarts}\n", all.len()));
        let mut rows = Vec::new();
        collect(root, "", "", true, true, &mut rows);
        for (label, _, node) in rows.iter().filter(|(_, _, n)| n.restarts > 0) {
            out.push_str(&format!(
                "  {} restarted {} times\n",
                label.trim_start_matches(['│', '├', '└', '─', ' ']),
                node.restarts
            ));
        }
    }
    out.push_str(&counters());
    out
}
