//! Checks that need the whole tree: invalid combinations of settings and
//! the scoping of references between children.
//!
//! Invariants: runs on a decoded model and plan, adds diagnostics and
//! changes nothing; time is linear in the number of children and
//! references (each supervisor's ids are indexed once); a reference resolves to an earlier sibling, or to an
//! earlier sibling of an ancestor, the innermost match winning (see
//! [`refs`](super::refs)).

use std::collections::HashMap;

use std::time::Duration;

use crate::Jitter;
use crate::supervisor::{AutoShutdown, Restart};

use super::decode::{PlanBody, PlanSup};
use super::diagnostics::Diagnostic;
use super::model::{ChildBody, SupervisorConfig};
use super::suggest::did_you_mean;

/// One supervisor on the path from the root: its child ids, where each
/// id is first and last written, and the index of the child on the path.
struct Level<'a> {
    ids: Vec<&'a str>,
    index: HashMap<&'a str, (usize, usize)>,
    at: usize,
}

/// The supervisors from the root to the child being checked. Each level
/// is built once per supervisor, so checking is linear in the children.
struct Chain<'a> {
    levels: Vec<Level<'a>>,
    /// "Did you mean" scans every visible id: done for the first few
    /// dangling references only, so a file full of them stays linear.
    suggestions_left: usize,
}

pub(crate) fn validate(cfg: &SupervisorConfig, plan: &PlanSup, diags: &mut Vec<Diagnostic>) {
    let mut chain = Chain {
        levels: Vec::new(),
        suggestions_left: 50,
    };
    walk(cfg, plan, &mut chain, diags);
}

fn walk<'a>(
    cfg: &'a SupervisorConfig,
    plan: &'a PlanSup,
    chain: &mut Chain<'a>,
    diags: &mut Vec<Diagnostic>,
) {
    combinations(cfg, diags);
    let ids: Vec<&str> = cfg.children.iter().map(|c| c.id.as_str()).collect();
    let mut index: HashMap<&str, (usize, usize)> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        index.entry(id).and_modify(|e| e.1 = i).or_insert((i, i));
    }
    chain.levels.push(Level { ids, index, at: 0 });
    for (i, (child, pchild)) in cfg.children.iter().zip(&plan.children).enumerate() {
        if let Some(level) = chain.levels.last_mut() {
            level.at = i;
        }
        match (&child.body, &pchild.body) {
            (_, PlanBody::Worker { refs, .. } | PlanBody::Invalid { refs }) => {
                for r in refs {
                    check_ref(&r.name, r.span, &child.id, chain, diags);
                }
            }
            (ChildBody::Supervisor(inner), PlanBody::Supervisor(inner_plan)) => {
                walk(inner, inner_plan, chain, diags);
            }
            _ => {}
        }
    }
    chain.levels.pop();
}

fn check_ref(
    name: &str,
    span: super::node::Span,
    from: &str,
    chain: &mut Chain<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    for (depth, level) in chain.levels.iter().rev().enumerate() {
        let Some(&(first, last)) = level.index.get(name) else {
            continue;
        };
        if first < level.at {
            return;
        }
        if last >= level.at {
            let (message, label) = if level.ids[level.at] == name && depth == 0 {
                (
                    format!("`{from}` refers to itself"),
                    "a child cannot use its own handle at start".to_string(),
                )
            } else if level.ids[level.at] == name {
                (
                    format!("`{from}` refers to `{name}`, which contains it"),
                    "a child cannot refer to its own supervisor".to_string(),
                )
            } else {
                (
                    format!("forward reference to `{name}`"),
                    format!("`{name}` starts after `{from}`"),
                )
            };
            diags.push(
                Diagnostic::new("forward-ref", message, span)
                    .label(label)
                    .note(Some(format!(
                        "move `{name}` before the child that uses it: children start in order"
                    ))),
            );
            return;
        }
    }
    let suggestion = if chain.suggestions_left > 0 {
        chain.suggestions_left -= 1;
        let visible = chain
            .levels
            .iter()
            .flat_map(|l| l.ids[..l.at].iter().copied());
        did_you_mean(name, visible)
    } else {
        None
    };
    diags.push(
        Diagnostic::new(
            "dangling-ref",
            format!("no child `{name}` to refer to"),
            span,
        )
        .label(format!(
            "`{from}` refers to a child that does not exist here"
        ))
        .note(suggestion.or_else(|| {
            Some("a reference names an earlier sibling or an earlier sibling of an ancestor".into())
        })),
    );
}

fn combinations(cfg: &SupervisorConfig, diags: &mut Vec<Diagnostic>) {
    for child in &cfg.children {
        if !child.significant {
            continue;
        }
        let at = child.spans.significant.unwrap_or(child.spans.table);
        if child.restart == Restart::Permanent {
            let mut d = Diagnostic::new(
                "invalid-combination",
                format!("`{}` is significant and permanent", child.id),
                at,
            )
            .label("significant children must be transient or temporary")
            .note(Some(
                "set `restart = \"transient\"` or drop `significant`".into(),
            ));
            if let Some(r) = child.spans.restart {
                d = d.related(r, "permanent here");
            }
            diags.push(d);
        }
        if cfg.auto_shutdown == AutoShutdown::Never {
            let mut d = Diagnostic::new(
                "invalid-combination",
                format!("`{}` is significant under `auto_shutdown = \"never\"`", child.id),
                at,
            )
            .label("significant has no effect unless the supervisor shuts down automatically")
            .note(Some("set the supervisor's `auto_shutdown` to \"any_significant\" or \"all_significant\"".into()));
            if let Some(a) = cfg.spans.auto_shutdown {
                d = d.related(a, "never here");
            }
            diags.push(d);
        }
    }
    if let (Some(b), Some(span)) = (cfg.backoff, cfg.spans.backoff) {
        if b.multiplier < 1.0 || !b.multiplier.is_finite() {
            diags.push(
                Diagnostic::new(
                    "invalid-combination",
                    "backoff `multiplier` must be at least 1",
                    cfg.spans.backoff_multiplier.unwrap_or(span),
                )
                .label(format!("multiplier is {}", b.multiplier)),
            );
        }
        if b.initial > b.max {
            let mut d = Diagnostic::new(
                "invalid-combination",
                "backoff `initial` is longer than `max`",
                cfg.spans.backoff_initial.unwrap_or(span),
            )
            .label(format!(
                "initial {} > max {}",
                crate::duration::format(b.initial),
                crate::duration::format(b.max)
            ));
            if let Some(max) = cfg.spans.backoff_max {
                d = d.related(max, "max here");
            }
            diags.push(d);
        }
    }
    intensity_lint(cfg, diags);
    if cfg.max_restarts > 0 && cfg.within.is_zero() {
        diags.push(
            Diagnostic::new(
                "invalid-combination",
                "`within` must be longer than zero",
                cfg.spans.within.unwrap_or(cfg.spans.table),
            )
            .label("a restart intensity needs a time window"),
        );
    }
}

/// Warns when the restart backoff spaces restarts so far apart that
/// `max_restarts + 1` of them never fit in `within`: the intensity limit
/// then never trips and a crash loop restarts forever. Jitter is counted
/// at its mean (full jitter halves a delay on average).
fn intensity_lint(cfg: &SupervisorConfig, diags: &mut Vec<Diagnostic>) {
    let Some(b) = cfg.backoff else { return };
    if cfg.within.is_zero() || !b.multiplier.is_finite() {
        return;
    }
    let mean = match b.jitter {
        Jitter::None => 1.0,
        Jitter::Equal => 0.75,
        Jitter::Full => 0.5,
    };
    // The time from the first restart to restart `max_restarts + 1` is at
    // least the delays before restarts 2 ..= max_restarts + 1 (computed in
    // seconds, so no duration can overflow).
    let multiplier = b.multiplier.max(1.0);
    let (initial, max) = (b.initial.as_secs_f64(), b.max.as_secs_f64());
    let within = cfg.within.as_secs_f64();
    let mut spread = 0.0;
    for n in 1..=cfg.max_restarts.min(10_000) {
        let delay = (initial * multiplier.powi(n.min(1024) as i32)).min(max);
        spread += delay * mean;
        if spread >= within {
            break;
        }
    }
    if spread < within || spread.is_nan() {
        return;
    }
    let spread = Duration::try_from_secs_f64(spread).unwrap_or(Duration::MAX);
    let at = cfg.spans.backoff.unwrap_or(cfg.spans.table);
    let mut d = Diagnostic::warning(
        "intensity-never-trips",
        format!(
            "{} restarts never fit in `within` = {}: a crash loop will restart forever",
            cfg.max_restarts + 1,
            crate::duration::format(cfg.within)
        ),
        at,
    )
    .label(format!(
        "this backoff spaces {} restarts over at least {}",
        cfg.max_restarts + 1,
        crate::duration::format(spread)
    ))
    .note(Some(
        "lengthen `within`, lower `max_restarts` or shorten the backoff, so a crash loop escalates"
            .into(),
    ));
    if let Some(w) = cfg.spans.within {
        d = d.related(w, "the intensity window");
    }
    diags.push(d);
}
