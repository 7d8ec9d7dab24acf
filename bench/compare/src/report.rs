//! The results table: absolute medians per framework and each peer's ratio
//! to retinue, plus whether retinue meets the target.
//!
//! Invariants: ratios are `framework / retinue` on lower-is-better metrics,
//! so a ratio above 1.00x means retinue is ahead; a target is judged against
//! the best *peer* (kameo, ractor, actix), never against the raw floor.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::common::METRICS;
use crate::{FRAMEWORKS, PEERS};

/// One cell of the table.
#[derive(Debug, Clone, Copy)]
pub enum Cell {
    /// A median.
    Value(f64),
    /// The framework cannot do this scenario.
    Unsupported,
    /// The child process failed.
    Failed,
    /// The column's binary was not built (bench/compare/run.sh builds it).
    NotBuilt,
}

/// Every cell, by metric key then framework.
#[derive(Default)]
pub struct Results {
    cells: BTreeMap<(&'static str, &'static str), Cell>,
}

impl Results {
    /// Records one cell.
    pub fn set(&mut self, metric: &'static str, framework: &'static str, cell: Cell) {
        self.cells.insert((metric, framework), cell);
    }

    /// A measured value, if there is one.
    pub fn value(&self, metric: &str, framework: &str) -> Option<f64> {
        match self.cells.get(&(metric, framework))? {
            Cell::Value(v) if v.is_finite() && *v > 0.0 => Some(*v),
            _ => None,
        }
    }

    fn cell(&self, metric: &str, framework: &str) -> Option<Cell> {
        self.cells.get(&(metric, framework)).copied()
    }

    /// The metrics that were run, in table order.
    pub fn metrics(&self) -> Vec<(&'static str, &'static str, f64, f64)> {
        METRICS
            .iter()
            .filter(|m| FRAMEWORKS.iter().any(|f| self.cell(m.0, f).is_some()))
            .map(|m| (m.0, m.2, m.3, m.4))
            .collect()
    }

    /// `column / best peer`, judged against `target`.
    fn verdict(&self, key: &str, column: &str, target: f64) -> String {
        let best = PEERS
            .iter()
            .filter_map(|p| self.value(key, p))
            .min_by(|a, b| a.total_cmp(b));
        match (self.value(key, column), best) {
            (Some(b), Some(p)) => {
                let ratio = b / p;
                if target.is_finite() {
                    let ok = if ratio <= target { "met" } else { "MISSED" };
                    format!("{ratio:.2} (≤ {target:.2}: {ok})")
                } else {
                    format!("{ratio:.2}")
                }
            }
            _ => "-".to_string(),
        }
    }
}

fn fmt_value(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The table as markdown.
pub fn table(results: &Results) -> String {
    let mut out = String::new();
    let _ = write!(out, "| metric | unit |");
    for f in FRAMEWORKS {
        let _ = write!(out, " {f} |");
    }
    let _ = writeln!(
        out,
        " retinue / best peer (target) | retinue-tokio / best peer (target) |"
    );
    let _ = write!(out, "|---|---|");
    for _ in FRAMEWORKS {
        let _ = write!(out, "---:|");
    }
    let _ = writeln!(out, "---|---|");
    for (key, unit, target, tokio_target) in results.metrics() {
        let _ = write!(out, "| {key} | {unit} |");
        let base = results.value(key, "retinue");
        for f in FRAMEWORKS {
            let text = match results.cell(key, f) {
                None => "-".to_string(),
                Some(Cell::Unsupported) => "n/a".to_string(),
                Some(Cell::Failed) => "failed".to_string(),
                Some(Cell::NotBuilt) => "not built".to_string(),
                Some(Cell::Value(v)) => match (f, base) {
                    ("retinue", _) | (_, None) => fmt_value(v),
                    (_, Some(b)) => format!("{} ({:.2}x)", fmt_value(v), v / b),
                },
            };
            let _ = write!(out, " {text} |");
        }
        let verdict = results.verdict(key, "retinue", target);
        let tokio = results.verdict(key, "retinue-tokio", tokio_target);
        let _ = writeln!(out, " {verdict} | {tokio} |");
    }
    out
}
