//! Checks that need the whole tree: invalid combinations of settings and
//! the scoping of references between children.
//!
//! Invariants: runs on a decoded model and plan, adds diagnostics and
//! changes nothing; time is linear in the number of children and
//! references (each supervisor's ids are indexed once); a reference resolves to an earlier sibling, or to an
//! earlier sibling of an ancestor, the innermost match winning (see
//! [`refs`](super::refs)).

use std::collections::HashMap;

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
            (_, PlanBody::Worker { refs, .. }) => {
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
                    span,
                )
                .label(format!("multiplier is {}", b.multiplier)),
            );
        }
        if b.initial > b.max {
            diags.push(
                Diagnostic::new(
                    "invalid-combination",
                    "backoff `initial` is longer than `max`",
                    span,
                )
                .label(format!(
                    "initial {} > max {}",
                    crate::duration::format(b.initial),
                    crate::duration::format(b.max)
                )),
            );
        }
    }
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
