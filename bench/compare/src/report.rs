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

    /// `retinue-like column / best peer`, judged against `target`.
    fn verdict(&self, key: &str, column: &str, target: f64) -> String {
        let verdict = results.verdict(key, "retinue", target);
        let tokio = results.verdict(key, "retinue-tokio", tokio_target);
        let _ = writeln!(out, " {verdict} | {tokio} |");
    }
    out
}
