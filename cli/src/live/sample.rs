//! [`Sample`]: everything the live view shows at one instant, as plain
//! data, plus its two non-terminal forms (a short plain line and one JSON
//! object) and the end-of-run summary.
//!
//! Invariants: a sample is built only from reads (tree snapshots, handle
//! status), never changes the running tree; a plain line is at most
//! [`PLAIN_WIDTH`] characters, elided with `…` when the tree is large.

use std::time::Duration;

use retinue::supervisor::{ChildState, ExitRecord, RestartBudget};
use serde::{Serialize, Serializer};

/// The longest plain line `run` prints when stdout is not a terminal.
pub const PLAIN_WIDTH: usize = 99;

/// One snapshot of a running tree, ready to draw or print.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sample {
    /// Time since the tree started.
    #[serde(rename = "elapsed_ms", serialize_with = "ms")]
    pub elapsed: Duration,
    /// Every actor, depth first in start order (the root first).
    pub rows: Vec<Row>,
    /// Application counters (only when the tree uses their kinds).
    pub counters: Vec<(String, u64)>,
}

/// One actor of the tree.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Its path of ids below the root (`""` for the root).
    pub path: String,
    /// Its id (`"root"` for the root).
    pub id: String,
    /// Depth below the root.
    pub depth: usize,
    /// Whether it is the last of its siblings (for the tree drawing).
    #[serde(skip)]
    pub last: Vec<bool>,
    /// The config kind, or `supervisor`.
    pub kind: String,
    /// Running, restarting or stopped.
    pub state: ChildState,
    /// Messages handled so far.
    pub handled: u64,
    /// Messages handled per second, over the last few seconds.
    pub rate: f64,
    /// Time since its current instance started.
    #[serde(rename = "uptime_ms", serialize_with = "opt_ms")]
    pub uptime: Option<Duration>,
    /// Restarts so far.
    pub restarts: u32,
    /// The parent's restart intensity spent.
    pub budget: Option<RestartBudget>,
    /// Time to the scheduled restart, while restarting with a backoff.
    #[serde(rename = "restart_in_ms", serialize_with = "opt_ms")]
    pub restart_in: Option<Duration>,
    /// Messages waiting in its mailbox.
    pub mailbox: usize,
    /// Its mailbox capacity (`None` = unbounded).
    pub capacity: Option<usize>,
    /// Its recent exits, oldest first.
    pub exits: Vec<ExitRecord>,
    /// What a built-in primitive adds.
    pub detail: Option<Detail>,
}

/// The facts of a built-in primitive.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Detail {
    /// A circuit breaker.
    Breaker {
        /// Its state (`closed`, `open`, `half-open`, ...).
        state: String,
        /// How long it has been in that state.
        #[serde(rename = "in_state_ms", serialize_with = "ms")]
        in_state: Duration,
        /// How many times it opened while watched.
        openings: u32,
        /// Calls, failures and rejected calls so far.
        calls: u64,
        /// Failed calls.
        failures: u64,
        /// Calls rejected while open.
        rejected: u64,
    },
    /// A queue.
    Queue {
        /// Items stored.
        len: usize,
        /// The bound (0 = unbounded).
        maxsize: usize,
    },
    /// A semaphore.
    Semaphore {
        /// Permits free now.
        free: usize,
        /// Permits in all, as configured.
        total: Option<usize>,
        /// Tasks waiting for permits.
        waiters: usize,
    },
    /// A rate limiter.
    RateLimiter {
        /// Tokens in the bucket.
        tokens: u32,
        /// Tasks waiting for tokens.
        waiters: usize,
    },
    /// A lock.
    Lock {
        /// The holder's fencing token, if held.
        holder: Option<u64>,
        /// Tasks waiting.
        waiters: usize,
    },
}

fn ms<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn opt_ms<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ms(d, s),
        None => s.serialize_none(),
    }
}

/// A state as one word.
pub fn state_word(s: ChildState) -> &'static str {
    match s {
        ChildState::Running => "running",
        ChildState::Restarting => "restarting",
        ChildState::Stopped => "stopped",
    }
}

/// A short duration: `850ms`, `12.3s`, `4m05s`, `2h07m`.
pub fn short(d: Duration) -> String {
    let s = d.as_secs();
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else if s < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    }
}

/// A count that stays short: `999`, `12.3k`, `4.5M`.
pub fn count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// `text` cut to at most `width` characters, ending in `…` when cut.
pub fn elide(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

impl Row {
    /// `3 (2/10 in 10s)`: restarts, and the parent's budget spent.
    pub fn restarts_text(&self) -> String {
        match self.budget {
            Some(b) if self.depth > 0 => format!("{} ({}/{})", self.restarts, b.used, b.max),
            _ => self.restarts.to_string(),
        }
    }

    /// `3/256`, or `3` when unbounded.
    pub fn mailbox_text(&self) -> String {
        match self.capacity {
            Some(cap) => format!("{}/{}", self.mailbox, cap),
            None => self.mailbox.to_string(),
        }
    }

    /// The state, with the backoff countdown while restarting.
    pub fn state_text(&self) -> String {
        match (self.state, self.restart_in) {
            (ChildState::Restarting, Some(d)) => format!("restart {}", short(d)),
            (state, _) => state_word(state).to_string(),
        }
    }

    /// The last exit, if any.
    pub fn last_exit(&self) -> Option<&ExitRecord> {
        self.exits.last()
    }

    /// The primitive's facts in a few words, e.g. `open 1.2s, opened 3x`.
    pub fn detail_text(&self) -> String {
        let Some(detail) = &self.detail else {
            return self
                .last_exit()
                .filter(|e| e.abnormal)
                .map(|e| format!("last exit: {}", e.reason))
                .unwrap_or_default();
        };
        match detail {
            Detail::Breaker {
                state,
                in_state,
                openings,
                failures,
                rejected,
                ..
            } => format!(
                "{state} {}, opened {openings}x, fail {failures}, rej {rejected}",
                short(*in_state)
            ),
            Detail::Queue { len, maxsize: 0 } => format!("queue {len}"),
            Detail::Queue { len, maxsize } => format!("queue {len}/{maxsize}"),
            Detail::Semaphore {
                free,
                total,
                waiters,
            } => match total {
                Some(t) => format!("permits {free}/{t} free, {waiters} waiting"),
                None => format!("permits {free} free, {waiters} waiting"),
            },
            Detail::RateLimiter { tokens, waiters } => {
                format!("tokens {tokens}, {waiters} waiting")
            }
            Detail::Lock { holder, waiters } => match holder {
                Some(t) => format!("held by #{t}, {waiters} waiting"),
                None => format!("free, {waiters} waiting"),
            },
        }
    }
}

impl Sample {
    /// How many actors are running.
    pub fn running(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.state == ChildState::Running)
            .count()
    }

    /// Restarts, all actors together.
    pub fn restarts(&self) -> u32 {
        self.rows.iter().map(|r| r.restarts).sum()
    }

    /// One short plain line (at most [`PLAIN_WIDTH`] characters).
    pub fn plain_line(&self) -> String {
        let (running, restarts) = (self.running(), self.restarts());
        let rate: f64 = self.rows.iter().map(|r| r.rate).sum();
        let mut out = format!(
            "[{:>6}] actors {running}/{} running, restarts {restarts}, {rate:.0} msg/s",
            short(self.elapsed),
            self.rows.len(),
        );
        for row in &self.rows {
            let fact = match &row.detail {
                Some(Detail::Breaker { state, .. }) => format!("breaker {} {state}", row.id),
                Some(Detail::Queue { len, .. }) => format!("{} {len}", row.id),
                _ => continue,
            };
            out.push_str("; ");
            out.push_str(&fact);
        }
        elide(&out, PLAIN_WIDTH)
    }

    /// The sample as one line of JSON.
    pub fn json_line(&self) -> String {
        serde_json::to_string(self).expect("a sample serializes")
    }

    /// What `run` prints after the tree shut down, each line at most
    /// `width` characters.
    pub fn summary(&self, reason: &str, width: usize) -> String {
        let restarts = self.restarts();
        let head = format!(
            "stopped after {}: the tree shut down in order ({reason})",
            short(self.elapsed)
        );
        let mut out = elide(&head, width);
        out.push_str(&format!(
            "\nactors {}, restarts {restarts}\n",
            self.rows.len()
        ));
        for row in self.rows.iter().filter(|r| r.restarts > 0) {
            let last = row
                .last_exit()
                .map(|e| format!(", last exit: {}", e.reason))
                .unwrap_or_default();
            let line = format!("  {} restarted {} times{last}", row.path, row.restarts);
            out.push_str(&elide(&line, width));
            out.push('\n');
        }
        if !self.counters.is_empty() {
            out.push_str(&elide(&self.counters_text(), width));
            out.push('\n');
        }
        out
    }

    /// `produced 10  processed 8 ...`.
    pub fn counters_text(&self) -> String {
        self.counters
            .iter()
            .map(|(name, value)| format!("{name} {value}"))
            .collect::<Vec<_>>()
            .join("  ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elide_cuts_with_an_ellipsis() {
        assert_eq!(elide("abcdef", 6), "abcdef");
        assert_eq!(elide("abcdef", 4), "abc…");
        assert_eq!(elide("abcdef", 0), "");
    }

    #[test]
    fn short_durations_stay_short() {
        assert_eq!(short(Duration::from_millis(850)), "850ms");
        assert_eq!(short(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(short(Duration::from_secs(245)), "4m05s");
        assert_eq!(short(Duration::from_secs(7620)), "2h07m");
        assert_eq!(count(12_345), "12.3k");
    }
}
