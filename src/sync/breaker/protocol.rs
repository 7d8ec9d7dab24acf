//! The breaker actor's messages, its handlers, and the call permit.
//!
//! Invariants:
//! - a report is delivered (control lane) before the reporter waits for
//!   its acknowledgement, so cancelling the wait loses nothing;
//! - a trial permit dropped before its outcome was reported gives its slot
//!   back from `Drop`;
//! - every message is answered; none of the handlers panics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::Clock;
use crate::{Addr, Context, Handler, Message, ReplyTo, WeakAddr};

use super::actor::{BreakerActor, Shared};
use super::error::Rejected;
use super::state::{CallEvent, Metrics, Outcome, State, Transition};

/// A ticket to run one call. A trial permit (half-open) that is dropped
/// before its outcome was reported gives its slot back from `Drop`.
pub struct Permit {
    pub(super) addr: Option<WeakAddr<BreakerActor>>,
    pub(super) epoch: u64,
    pub(super) trial: bool,
}

/// What a finished call tells the books.
pub(super) struct Report {
    pub outcome: Outcome,
    pub slow: bool,
    pub timeout: bool,
    /// When the call ended, on the breaker's clock.
    pub at: Instant,
    pub elapsed: Option<Duration>,
}

impl Permit {
    /// Reports the outcome; consumes the permit without the cancel report.
    ///
    /// A plain success is fire-and-forget (one control-lane message). A
    /// failure, a slow call or a trial waits until the actor has recorded
    /// it, so the caller's next call already sees any transition it caused.
    pub(super) async fn report(mut self, report: Report, addr: &Addr<BreakerActor>) {
        self.addr = None;
        let needs_ack = self.trial || report.slow || report.outcome == Outcome::Failure;
        let (ack, reply) = if needs_ack {
            let (port, reply) = ReplyTo::pair();
            (Some(port), Some(reply))
        } else {
            (None, None)
        };
        let sent = addr.tell_urgent(Record {
            epoch: self.epoch,
            trial: self.trial,
            result: Recorded::Done {
                outcome: report.outcome,
                slow: report.slow,
                timeout: report.timeout,
            },
            at: Some(report.at),
            elapsed: report.elapsed,
            ack,
        });
        if let (Ok(()), Some(reply)) = (sent, reply) {
            let _ = reply.await;
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(addr) = self.addr.take().and_then(|w| w.upgrade()) {
            let _ = addr.tell_urgent(Record {
                epoch: self.epoch,
                trial: self.trial,
                result: Recorded::Cancelled,
                at: None,
                elapsed: None,
                ack: None,
            });
        }
    }
}

/// Asks for admission.
pub struct Acquire;
impl Message for Acquire {
    type Reply = Result<Permit, Rejected>;
}

impl Handler<Acquire> for BreakerActor {
    async fn handle(&mut self, _: Acquire, ctx: &mut Context<Self>) -> Result<Permit, Rejected> {
        self.meters.calls.increment(1);
        let trial = self
            .admit(ctx)
            .inspect_err(|_| self.meters.rejections.increment(1))?;
        Ok(Permit {
            addr: trial.then(|| ctx.weak_addr()),
            epoch: self.epoch(),
            trial,
        })
    }
}

pub(super) enum Recorded {
    Done {
        outcome: Outcome,
        slow: bool,
        timeout: bool,
    },
    Cancelled,
}

/// A call's outcome (sent on the control lane).
pub struct Record {
    pub(super) epoch: u64,
    pub(super) trial: bool,
    pub(super) result: Recorded,
    /// When the call ended (`None`: a cancellation, dated on arrival).
    pub(super) at: Option<Instant>,
    pub(super) elapsed: Option<Duration>,
    /// Answered once recorded, when the reporter waits for it.
    pub(super) ack: Option<ReplyTo<()>>,
}
impl Message for Record {
    type Reply = ();
}

impl Handler<Record> for BreakerActor {
    async fn handle(&mut self, mut msg: Record, ctx: &mut Context<Self>) {
        let ack = msg.ack.take();
        if let Recorded::Done {
            outcome: Outcome::Failure,
            ..
        } = msg.result
        {
            self.meters.failures.increment(1);
        }
        self.record(msg, ctx);
        if let Some(ack) = ack {
            let _ = ack.send(());
        }
    }
}

/// An outcome measured outside the breaker (`record_success` /
/// `record_failure`): it ended `elapsed` after its start, at `at`.
pub struct External {
    pub(super) failed: bool,
    pub(super) elapsed: Duration,
    pub(super) at: Instant,
}
impl Message for External {
    type Reply = ();
}

impl Handler<External> for BreakerActor {
    async fn handle(&mut self, msg: External, ctx: &mut Context<Self>) {
        let trial = self.take_trial_slot();
        let outcome = if msg.failed {
            self.meters.failures.increment(1);
            Outcome::Failure
        } else {
            Outcome::Success
        };
        let rec = Record {
            epoch: self.epoch(),
            trial,
            result: Recorded::Done {
                outcome,
                slow: self.is_slow(msg.elapsed),
                timeout: false,
            },
            at: Some(msg.at),
            elapsed: Some(msg.elapsed),
            ack: None,
        };
        self.record(rec, ctx);
    }
}

/// The open wait of `epoch` is over (automatic transition).
pub struct WaitOver {
    pub(super) epoch: u64,
}
impl Message for WaitOver {
    type Reply = ();
}

impl Handler<WaitOver> for BreakerActor {
    async fn handle(&mut self, msg: WaitOver, ctx: &mut Context<Self>) {
        if msg.epoch == self.epoch() && self.state() == State::Open {
            self.transition(State::HalfOpen, ctx);
        }
    }
}

/// Manual control.
#[derive(Debug, Clone, Copy)]
pub enum Manual {
    /// Reject every call until another manual change.
    ForceOpen,
    /// Closed, with a fresh window.
    ForceClosed,
    /// Half-open: admit the configured trials now.
    HalfOpen,
    /// Admit every call, never trip.
    Disable,
    /// A fresh closed breaker: window, totals and backoff cleared.
    Reset,
}
impl Message for Manual {
    type Reply = ();
}

impl Handler<Manual> for BreakerActor {
    async fn handle(&mut self, msg: Manual, ctx: &mut Context<Self>) {
        match msg {
            Manual::ForceOpen => self.transition(State::ForcedOpen, ctx),
            Manual::Disable => self.transition(State::Disabled, ctx),
            Manual::HalfOpen => self.transition(State::HalfOpen, ctx),
            Manual::ForceClosed => self.force_closed(ctx),
            Manual::Reset => self.reset(ctx),
        }
    }
}

/// Asks for a metrics snapshot.
pub struct GetMetrics;
impl Message for GetMetrics {
    type Reply = Metrics;
}

impl Handler<GetMetrics> for BreakerActor {
    async fn handle(&mut self, _: GetMetrics, _: &mut Context<Self>) -> Metrics {
        self.metrics()
    }
}

/// Registers a transition subscriber.
pub struct Subscribe;
impl Message for Subscribe {
    type Reply = async_channel::Receiver<Transition>;
}

impl Handler<Subscribe> for BreakerActor {
    async fn handle(
        &mut self,
        _: Subscribe,
        _: &mut Context<Self>,
    ) -> async_channel::Receiver<Transition> {
        self.subscribe()
    }
}

/// Registers a call-event subscriber.
pub struct SubscribeCalls;
impl Message for SubscribeCalls {
    type Reply = async_channel::Receiver<CallEvent>;
}

impl Handler<SubscribeCalls> for BreakerActor {
    async fn handle(
        &mut self,
        _: SubscribeCalls,
        _: &mut Context<Self>,
    ) -> async_channel::Receiver<CallEvent> {
        self.subscribe_calls()
    }
}

/// What a handle needs to share the actor's books (`from_addr`).
pub struct Parts {
    pub(super) shared: Arc<Shared>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) call_timeout: Option<Duration>,
    pub(super) slow_threshold: Option<Duration>,
}

/// Asks for the [`Parts`] a handle is made of.
pub struct GetParts;
impl Message for GetParts {
    type Reply = Parts;
}

impl Handler<GetParts> for BreakerActor {
    async fn handle(&mut self, _: GetParts, _: &mut Context<Self>) -> Parts {
        self.parts()
    }
}
