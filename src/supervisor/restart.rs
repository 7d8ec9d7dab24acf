//! How a [`Supervisor`] handles a child's exit: the restart decision by
//! restart type and strategy, backoff, group restarts, escalation when
//! the intensity is exceeded, and auto shutdown on significant children.
//!
//! Invariants: see `supervisor.rs` (a group restart either ends with every
//! member started or ignored, or is stopped and scheduled anew, counted
//! against the intensity; stale exit notices are ignored).

use std::time::{Duration, Instant};

use crate::{Context, ExitReason, Handler};

use super::error::SupervisorError;
use super::flags::{AutoShutdown, Strategy};
use super::spec::Restart;
use super::supervisor::{ChildExited, ChildState, RestartGroup, Started, Supervisor};
use super::tree::RestartBudget;

impl Supervisor {
    async fn child_exited(&mut self, exit: ChildExited, ctx: &mut Context<Self>) {
        let ChildExited {
            key,
            instance,
            reason,
        } = exit;
        let Some(slot) = self.slots.get_mut(&key) else {
            return;
        };
        if slot.state != ChildState::Running || slot.instance != instance {
            return; // stale: already handled, or an older instance
        }
        slot.state = ChildState::Stopped;
        slot.record_exit(&reason);
        if reason.is_abnormal() {
            tracing::warn!(child = %slot.id, %reason, "child exited");
        } else {
            tracing::info!(child = %slot.id, %reason, "child exited");
        }
        let restart = match slot.restart {
            Restart::Permanent => true,
            Restart::Transient => reason.is_abnormal(),
            Restart::Temporary => false,
        };
        if !restart {
            let significant = slot.significant;
            slot.child.close(reason).await;
            self.forget_if_done(key);
            if significant {
                self.auto_shutdown(ctx).await;
            }
            return;
        }
        if !self.intensity.allow(Instant::now()) {
            self.escalate(ctx).await;
            return;
        }
        let group = self.restart_group_of(key).await;
        self.schedule_restart(key, group, ctx).await;
    }

    /// The children that restart with `key` under the strategy, in start
    /// order; the running ones among them are stopped (in reverse order)
    /// and temporary bystanders are removed.
    async fn restart_group_of(&mut self, key: u64) -> Vec<u64> {
        let group: Vec<u64> = match self.flags.strategy {
            Strategy::OneForOne => vec![key],
            Strategy::OneForAll => self.slots.keys().copied().collect(),
            Strategy::RestForOne => self.slots.range(key..).map(|(k, _)| *k).collect(),
        };
        for &other in group.iter().rev().filter(|&&k| k != key) {
            let temporary = self.slots.get(&other).map(|s| s.restart) == Some(Restart::Temporary);
            if temporary {
                self.terminate_slot(other, ExitReason::Shutdown).await;
            } else {
                self.stop_slot(other).await;
            }
        }
        group
            .into_iter()
            .filter(|k| {
                self.slots
                    .get(k)
                    .is_some_and(|s| s.state == ChildState::Stopped)
            })
            .collect()
    }

    /// Restarts `group` now, or after the backoff delay of `key`.
    async fn schedule_restart(&mut self, key: u64, group: Vec<u64>, ctx: &mut Context<Self>) {
        let delay = self.next_backoff(key);
        for k in &group {
            if let Some(slot) = self.slots.get_mut(k) {
                slot.state = ChildState::Restarting;
            }
        }
        if delay.is_zero() {
            self.restart_group(group, ctx).await;
        } else {
            if let Some(slot) = self.slots.get(&key) {
                tracing::info!(child = %slot.id, delay = ?delay, "restart backoff");
            }
            self.restart_due(&group, delay);
            ctx.send_after(RestartGroup(group), delay);
        }
    }

    fn next_backoff(&mut self, key: u64) -> Duration {
        let Some(backoff) = &self.flags.backoff else {
            return Duration::ZERO;
        };
        let Some(slot) = self.slots.get_mut(&key) else {
            return Duration::ZERO;
        };
        if slot
            .last_start
            .is_some_and(|t| t.elapsed() >= self.flags.backoff_reset)
        {
            slot.backoff_attempt = 0;
        }
        let delay = backoff.delay(slot.backoff_attempt);
        slot.backoff_attempt = slot.backoff_attempt.saturating_add(1);
        delay
    }

    /// Starts `group` in order. When one member fails to start, the
    /// members started before it are stopped again (reverse order) and the
    /// whole group is restarted after the failed child's backoff (OTP
    /// redoes the group: `try_again_restart`); the failure counts against
    /// the intensity.
    async fn restart_group(&mut self, group: Vec<u64>, ctx: &mut Context<Self>) {
        let mut started = Vec::new();
        for &key in &group {
            let Some(slot) = self.slots.get_mut(&key) else {
                continue;
            };
            if slot.state != ChildState::Restarting {
                continue; // terminated by an admin call meanwhile
            }
            slot.restarts += 1;
            tracing::info!(child = %slot.id, restarts = slot.restarts, "restarting child");
            match self.start_slot(key, ctx).await {
                Ok(Started::Running) => started.push(key),
                Ok(Started::Ignored) => self.forget_ignored(key).await,
                Err(_) => {
                    // A failed restart counts as another exit of that child.
                    if !self.intensity.allow(Instant::now()) {
                        self.escalate(ctx).await;
                        return;
                    }
                    for &k in started.iter().rev() {
                        self.stop_slot(k).await;
                    }
                    let again: Vec<u64> = group
                        .iter()
                        .copied()
                        .filter(|k| k == &key || started.contains(k) || self.is_restarting(*k))
                        .collect();
                    for k in &again {
                        if let Some(slot) = self.slots.get_mut(k) {
                            slot.state = ChildState::Restarting;
                        }
                    }
                    let delay = self.next_backoff(key);
                    self.restart_due(&again, delay);
                    ctx.send_after(RestartGroup(again), delay);
                    return;
                }
            }
        }
    }

    fn is_restarting(&self, key: u64) -> bool {
        self.slots
            .get(&key)
            .is_some_and(|s| s.state == ChildState::Restarting)
    }

    /// Notes when the restart of `group` is due, for snapshots.
    fn restart_due(&mut self, group: &[u64], delay: Duration) {
        let at = Instant::now() + delay;
        for k in group {
            if let Some(slot) = self.slots.get_mut(k) {
                slot.restart_at = Some(at);
            }
        }
    }

    /// The restart intensity spent so far, for snapshots.
    pub(super) fn budget(&self) -> RestartBudget {
        RestartBudget {
            used: self.intensity.used(Instant::now()),
            max: self.flags.max_restarts,
            within: self.flags.within,
        }
    }

    async fn escalate(&mut self, ctx: &mut Context<Self>) {
        let error = SupervisorError::IntensityExceeded {
            max_restarts: self.flags.max_restarts,
            within: self.flags.within,
        };
        tracing::error!(%error, "restart intensity exceeded; escalating");
        self.shutdown_all().await;
        ctx.fail(error);
    }

    async fn auto_shutdown(&mut self, ctx: &mut Context<Self>) {
        let shut = match self.flags.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .slots
                .values()
                .any(|s| s.significant && s.state != ChildState::Stopped),
        };
        if shut {
            tracing::info!("significant children exited; auto shutdown");
            ctx.stop_with(ExitReason::Shutdown);
        }
    }
}

impl Handler<ChildExited> for Supervisor {
    async fn handle(&mut self, msg: ChildExited, ctx: &mut Context<Self>) {
        self.child_exited(msg, ctx).await;
    }
}

impl Handler<RestartGroup> for Supervisor {
    async fn handle(&mut self, msg: RestartGroup, ctx: &mut Context<Self>) {
        self.restart_group(msg.0, ctx).await;
    }
}
