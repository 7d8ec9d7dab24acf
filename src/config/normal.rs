//! The normal form of a tree: JSON with every field written out (defaults
//! included), for tools and for `retinue tree --format json`.
//!
//! Invariants: the output is a file the loader accepts as it is
//! ([`Format::Json`](super::Format::Json)) and that loads to the same
//! model, so normalizing it again gives the same text; it depends only on
//! the model, never on the format the tree was written in; durations are
//! human strings; floats that JSON cannot write are written as `1e999`
//! (infinity, read back as infinity) or `null` (NaN).

use std::fmt::Write;
use std::time::Duration;

use crate::Jitter;
use crate::supervisor::{AutoShutdown, Restart, Shutdown, Strategy};

use super::machine::string;
use super::model::{CapacityConfig, ChildBody, ChildConfig, SupervisorConfig, TreeConfig};
use super::node::{Node, Value};

impl TreeConfig {
    /// The tree as JSON in normal form (see
    /// [`ConfigTree::to_normalized_json`](super::ConfigTree::to_normalized_json)).
    pub fn to_normalized_json(&self) -> String {
        let mut w = Writer::default();
        w.open('{');
        #[cfg(feature = "nats")]
        if let Some(node) = &self.node {
            w.key("node");
            w.node_config(node);
        }
        w.key("supervisor");
        w.supervisor(&self.supervisor);
        w.close('}');
        w.out.push('\n');
        w.out
    }
}

#[derive(Default)]
struct Writer {
    out: String,
    depth: usize,
    /// Whether the open table or array has an item yet.
    first: Vec<bool>,
}

impl Writer {
    fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        self.depth += 1;
        self.first.push(true);
    }

    fn close(&mut self, bracket: char) {
        self.depth -= 1;
        if self.first.pop() == Some(false) {
            self.newline();
        }
        self.out.push(bracket);
    }

    fn newline(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// Starts an item of the open table or array.
    fn item(&mut self) {
        if let Some(first) = self.first.last_mut() {
            if !*first {
                self.out.push(',');
            }
            *first = false;
        }
        self.newline();
    }

    fn key(&mut self, name: &str) {
        self.item();
        string(&mut self.out, name);
        self.out.push_str(": ");
    }

    fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        string(&mut self.out, value);
    }

    fn duration(&mut self, name: &str, d: Duration) {
        self.str(name, &crate::duration::format(d));
    }

    fn raw(&mut self, name: &str, value: impl std::fmt::Display) {
        self.key(name);
        let _ = write!(self.out, "{value}");
    }

    fn supervisor(&mut self, s: &SupervisorConfig) {
        self.open('{');
        self.str("strategy", strategy(s.strategy));
        self.raw("max_restarts", s.max_restarts);
        self.duration("within", s.within);
        if let Some(b) = &s.backoff {
            self.key("backoff");
            self.open('{');
            self.duration("initial", b.initial);
            self.key("multiplier");
            self.float(b.multiplier);
            self.duration("max", b.max);
            self.str("jitter", jitter(b.jitter));
            self.close('}');
        }
        self.duration("backoff_reset", s.backoff_reset);
        self.str("auto_shutdown", auto_shutdown(s.auto_shutdown));
        self.key("children");
        self.open('[');
        for child in &s.children {
            self.item();
            self.child(child);
        }
        self.close(']');
        self.close('}');
    }

    fn child(&mut self, c: &ChildConfig) {
        self.open('{');
        self.str("id", &c.id);
        match &c.body {
            ChildBody::Worker { kind, args } => {
                self.str("kind", kind);
                if let Some(args) = args {
                    self.key("args");
                    self.node(args);
                }
            }
            ChildBody::Supervisor(s) => {
                self.key("supervisor");
                self.supervisor(s);
            }
        }
        self.str("restart", restart(c.restart));
        match c.shutdown {
            Shutdown::Brutal => self.str("shutdown", "brutal"),
            Shutdown::Infinity => self.str("shutdown", "infinity"),
            Shutdown::Timeout(d) => self.duration("shutdown", d),
        }
        self.raw("significant", c.significant);
        match c.capacity {
            Some(CapacityConfig::Bounded(n)) => self.raw("capacity", n),
            Some(CapacityConfig::Unbounded) => self.str("capacity", "unbounded"),
            None => {}
        }
        #[cfg(feature = "nats")]
        if let Some(export) = &c.export {
            self.str("export", export);
        }
        self.close('}');
    }

    #[cfg(feature = "nats")]
    fn node_config(&mut self, n: &super::remote_kind::NodeConfig) {
        self.open('{');
        self.str("name", &n.name);
        self.str("url", &n.url);
        self.str("prefix", &n.prefix);
        self.raw("unique_name", n.unique_name);
        self.duration("ask_timeout", n.ask_timeout);
        self.duration("heartbeat_interval", n.heartbeat_interval);
        self.duration("heartbeat_timeout", n.heartbeat_timeout);
        if let Some(path) = &n.creds_file {
            self.str("creds_file", &path.to_string_lossy());
        }
        self.close('}');
    }

    fn float(&mut self, x: f64) {
        if x.is_nan() {
            self.out.push_str("null");
        } else if x.is_infinite() {
            self.out.push_str(if x > 0.0 { "1e999" } else { "-1e999" });
        } else {
            let _ = write!(self.out, "{x:?}");
        }
    }

    /// Args as written (nesting is bounded by the parsers' limit).
    fn node(&mut self, n: &Node) {
        match &n.value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => {
                let _ = write!(self.out, "{b}");
            }
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(x) => self.float(*x),
            Value::Str(s) => string(&mut self.out, s),
            Value::Array(items) => {
                self.open('[');
                for item in items {
                    self.item();
                    self.node(item);
                }
                self.close(']');
            }
            Value::Table(entries) => {
                self.open('{');
                for (k, v) in entries {
                    self.key(&k.name);
                    self.node(v);
                }
                self.close('}');
            }
        }
    }
}

fn strategy(s: Strategy) -> &'static str {
    match s {
        Strategy::OneForOne => "one_for_one",
        Strategy::OneForAll => "one_for_all",
        Strategy::RestForOne => "rest_for_one",
    }
}

fn restart(r: Restart) -> &'static str {
    match r {
        Restart::Permanent => "permanent",
        Restart::Transient => "transient",
        Restart::Temporary => "temporary",
    }
}

fn auto_shutdown(a: AutoShutdown) -> &'static str {
    match a {
        AutoShutdown::Never => "never",
        AutoShutdown::AnySignificant => "any_significant",
        AutoShutdown::AllSignificant => "all_significant",
    }
}

fn jitter(j: Jitter) -> &'static str {
    match j {
        Jitter::None => "none",
        Jitter::Full => "full",
        Jitter::Equal => "equal",
    }
}
