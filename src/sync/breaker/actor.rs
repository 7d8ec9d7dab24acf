//! The breaker actor: it keeps the books and decides the state. It never
//! runs a protected call.
//!
//! Invariants:
//! - Every state change goes through [`Books::transition`], which does
//!   nothing when the target equals the current state; so subscribers see
//!   each real transition exactly once and never `X -> X`.
//! - Each transition bumps the epoch. A call admitted in one epoch that
//!   reports in another only feeds the lifetime totals: it cannot trip,
//!   close or re-open the breaker it no longer belongs to.
//! - Half-open admits at most `half_open_trials` calls at a time; a trial
//!   that ends without a verdict (ignored, or its caller was cancelled —
//!   its [`Permit`] reports from `Drop`) frees its slot again.
//! - Rejected calls are counted in `rejected` and nowhere else.
//! - The published word (epoch << 3 | state) always matches `state`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::metrics;
use crate::sync::Clock;
use crate::{Actor, Context, Handler, Message, ReplyTo, TaskHandle, WeakAddr};

use super::config::{BreakerConfig, TripPolicy};
use super::error::Rejected;
use super::state::{Metrics, Outcome, State, Transition};
use super::window::Sliding;

/// The state word shared with handles for the lock-free closed fast path.
pub(super) struct Shared {
    word: AtomicU64,
}

impl Shared {
    pub fn new() -> Self {
        Shared {
            word: AtomicU64::new(0),
        }
    }

    /// (epoch, state code).
    pub fn load(&self) -> (u64, u64) {
        let w = self.word.load(Ordering::Acquire);
        (w >> 3, w & 7)
    }

    fn publish(&self, epoch: u64, state: State) {
        self.word
            .store((epoch << 3) | state.code(), Ordering::Release);
    }
}

pub(super) struct Books {
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    shared: Arc<Shared>,
    state: State,
    epoch: u64,
    window: Sliding,
    consecutive: u32,
    open_until: Option<Instant>,
    openings: u32,
    trials_admitted: u32,
    trial_successes: u32,
    totals: Totals,
    subscribers: Vec<async_channel::Sender<Transition>>,
    timer: Option<TaskHandle>,
}

#[derive(Default)]
struct Totals {
    calls: u64,
    failures: u64,
    slow: u64,
    ignored: u64,
    rejected: u64,
}

impl Actor for Books {}

impl Books {
    pub fn new(config: BreakerConfig, clock: Arc<dyn Clock>, shared: Arc<Shared>) -> Self {
        let now = clock.now();
        // A restarted instance (supervised breakers) starts closed again:
        // make the handles' fast path agree.
        shared.publish(0, State::Closed);
        Books {
            window: Sliding::new(config.window, now),
            config,
            clock,
            shared,
            state: State::Closed,
            epoch: 0,
            consecutive: 0,
            open_until: None,
            openings: 0,
            trials_admitted: 0,
            trial_successes: 0,
            totals: Totals::default(),
            subscribers: Vec::new(),
            timer: None,
        }
    }

    fn transition(&mut self, to: State, ctx: &mut Context<Self>) {
        if to == self.state {
            return;
        }
        let from = self.state;
        let now = self.clock.now();
        self.state = to;
        metrics::gauge("retinue_breaker_state", &[metrics::path_label(ctx.path())])
            .set(to as u8 as f64);
        self.epoch += 1;
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
        match to {
            State::Open => {
                self.openings = self.openings.saturating_add(1);
                let wait = self.open_wait();
                self.open_until = Some(now + wait);
                if self.config.automatic_transition {
                    self.start_timer(wait, ctx);
                }
            }
            State::HalfOpen => {
                self.trials_admitted = 0;
                self.trial_successes = 0;
            }
            State::Closed => {
                self.openings = 0;
                self.consecutive = 0;
                self.window = Sliding::new(self.config.window, now);
            }
            State::ForcedOpen | State::Disabled => {}
        }
        if to != State::Open {
            self.open_until = None;
        }
        self.shared.publish(self.epoch, to);
        tracing::debug!(%from, %to, "circuit breaker transition");
        let t = Transition { from, to, at: now };
        self.subscribers.retain(|s| s.try_send(t).is_ok());
    }

    fn open_wait(&self) -> Duration {
        let base = self.config.open_wait;
        match &self.config.open_backoff {
            None => base,
            Some(b) => {
                let wait = b.wait(base, self.openings);
                if b.jitter > 0.0 {
                    let spread = 1.0 + b.jitter * (fastrand::f64() * 2.0 - 1.0);
                    wait.mul_f64(spread)
                } else {
                    wait
                }
            }
        }
    }

    fn start_timer(&mut self, wait: Duration, ctx: &mut Context<Self>) {
        let sleep = self.clock.sleep(wait);
        let weak: WeakAddr<Self> = ctx.weak_addr();
        let epoch = self.epoch;
        self.timer = Some(ctx.spawn_task(async move {
            sleep.await;
            if let Some(addr) = weak.upgrade() {
                let _ = addr.tell_urgent(WaitOver { epoch });
            }
        }));
    }

    fn retry_after(&self) -> Option<Duration> {
        self.open_until
            .map(|until| until.saturating_duration_since(self.clock.now()))
    }

    fn reject(&mut self) -> Rejected {
        self.totals.rejected += 1;
        Rejected {
            state: self.state,
            retry_after: if self.state == State::Open {
                self.retry_after()
            } else {
                None
            },
        }
    }

    fn rates(&mut self) -> (u32, Option<f64>, Option<f64>) {
        let counts = self.window.counts(self.clock.now());
        if counts.calls == 0 || counts.calls < self.config.minimum_calls {
            return (counts.calls, None, None);
        }
        let n = f64::from(counts.calls);
        (
            counts.calls,
            Some(f64::from(counts.failures) / n),
            Some(f64::from(counts.slow) / n),
        )
    }

    fn should_trip(&mut self) -> bool {
        let (_, failure_rate, slow_rate) = self.rates();
        let by_failures = match self.config.trip {
            TripPolicy::ConsecutiveFailures { failures } => self.consecutive >= failures,
            TripPolicy::FailureRate { rate } => failure_rate.is_some_and(|r| r >= rate),
        };
        let by_slow = match (&self.config.slow_calls, slow_rate) {
            (Some(policy), Some(r)) => r >= policy.rate,
            _ => false,
        };
        by_failures || by_slow
    }

    fn record(&mut self, rec: Record, ctx: &mut Context<Self>) {
        let current = rec.epoch == self.epoch;
        let (outcome, slow) = match rec.result {
            Recorded::Cancelled => {
                if current && rec.trial && self.state == State::HalfOpen {
                    self.trials_admitted = self.trials_admitted.saturating_sub(1);
                }
                return;
            }
            Recorded::Done { outcome, slow } => (outcome, slow),
        };
        let failed = match outcome {
            Outcome::Ignore => {
                self.totals.ignored += 1;
                if current && rec.trial && self.state == State::HalfOpen {
                    self.trials_admitted = self.trials_admitted.saturating_sub(1);
                }
                return;
            }
            Outcome::Failure => true,
            Outcome::Success => false,
        };
        let slow = slow && self.config.slow_calls.is_some();
        self.totals.calls += 1;
        self.totals.failures += u64::from(failed);
        self.totals.slow += u64::from(slow);
        if !current {
            return;
        }
        let now = self.clock.now();
        match self.state {
            State::Closed => {
                self.window.record(now, failed, slow);
                self.consecutive = if failed { self.consecutive + 1 } else { 0 };
                if self.should_trip() {
                    self.transition(State::Open, ctx);
                }
            }
            State::Disabled => {
                self.window.record(now, failed, slow);
                self.consecutive = if failed { self.consecutive + 1 } else { 0 };
            }
            State::HalfOpen if rec.trial => {
                if failed || slow {
                    self.transition(State::Open, ctx);
                } else {
                    self.trial_successes += 1;
                    if self.trial_successes >= self.config.half_open_trials {
                        self.transition(State::Closed, ctx);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A ticket to run one call. A trial permit (half-open) that is dropped
/// before its outcome was reported gives its slot back from `Drop`.
pub(super) struct Permit {
    pub addr: Option<WeakAddr<Books>>,
    pub epoch: u64,
    pub trial: bool,
}

impl Permit {
    /// Reports the outcome; consumes the permit without the cancel report.
    ///
    /// A plain success is fire-and-forget (one control-lane message). A
    /// failure, a slow call or a trial waits until the actor has recorded
    /// it, so the caller's next call already sees any transition it caused.
    /// The report is delivered before the wait: cancelling the wait loses
    /// nothing.
    pub async fn report(mut self, outcome: Outcome, slow: bool, addr: &crate::Addr<Books>) {
        self.addr = None;
        let needs_ack = self.trial || slow || outcome == Outcome::Failure;
        let (ack, reply) = if needs_ack {
            let (port, reply) = ReplyTo::pair();
            (Some(port), Some(reply))
        } else {
            (None, None)
        };
        let sent = addr.tell_urgent(Record {
            epoch: self.epoch,
            trial: self.trial,
            result: Recorded::Done { outcome, slow },
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
                ack: None,
            });
        }
    }
}

/// Asks for admission.
pub(super) struct Acquire;
impl Message for Acquire {
    type Reply = Result<Permit, Rejected>;
}

impl Handler<Acquire> for Books {
    async fn handle(&mut self, _: Acquire, ctx: &mut Context<Self>) -> Result<Permit, Rejected> {
        metrics::counter(
            "retinue_breaker_calls_total",
            &[metrics::path_label(ctx.path())],
        )
        .increment(1);
        if self.state == State::Open
            && self
                .open_until
                .is_none_or(|until| self.clock.now() >= until)
        {
            self.transition(State::HalfOpen, ctx);
        }
        match self.state {
            State::Closed | State::Disabled => Ok(Permit {
                addr: None,
                epoch: self.epoch,
                trial: false,
            }),
            State::HalfOpen if self.trials_admitted < self.config.half_open_trials => {
                self.trials_admitted += 1;
                Ok(Permit {
                    addr: Some(ctx.weak_addr()),
                    epoch: self.epoch,
                    trial: true,
                })
            }
            _ => {
                metrics::counter(
                    "retinue_breaker_rejections_total",
                    &[metrics::path_label(ctx.path())],
                )
                .increment(1);
                Err(self.reject())
            }
        }
    }
}

pub(super) enum Recorded {
    Done { outcome: Outcome, slow: bool },
    Cancelled,
}

/// A call's outcome (sent on the control lane).
pub(super) struct Record {
    pub epoch: u64,
    pub trial: bool,
    pub result: Recorded,
    /// Answered once recorded, when the reporter waits for it.
    pub ack: Option<ReplyTo<()>>,
}
impl Message for Record {
    type Reply = ();
}

impl Handler<Record> for Books {
    async fn handle(&mut self, mut msg: Record, ctx: &mut Context<Self>) {
        let ack = msg.ack.take();
        if let Recorded::Done {
            outcome: Outcome::Failure,
            ..
        } = msg.result
        {
            metrics::counter(
                "retinue_breaker_failures_total",
                &[metrics::path_label(ctx.path())],
            )
            .increment(1);
        }
        self.record(msg, ctx);
        if let Some(ack) = ack {
            let _ = ack.send(());
        }
    }
}

/// The open wait of `epoch` is over (automatic transition).
pub(super) struct WaitOver {
    epoch: u64,
}
impl Message for WaitOver {
    type Reply = ();
}

impl Handler<WaitOver> for Books {
    async fn handle(&mut self, msg: WaitOver, ctx: &mut Context<Self>) {
        if msg.epoch == self.epoch && self.state == State::Open {
            self.transition(State::HalfOpen, ctx);
        }
    }
}

/// Manual control.
#[derive(Debug, Clone, Copy)]
pub(super) enum Manual {
    ForceOpen,
    ForceClosed,
    Disable,
    Reset,
}
impl Message for Manual {
    type Reply = ();
}

impl Handler<Manual> for Books {
    async fn handle(&mut self, msg: Manual, ctx: &mut Context<Self>) {
        match msg {
            Manual::ForceOpen => self.transition(State::ForcedOpen, ctx),
            Manual::Disable => self.transition(State::Disabled, ctx),
            Manual::ForceClosed => self.transition(State::Closed, ctx),
            Manual::Reset => {
                self.transition(State::Closed, ctx);
                self.totals = Totals::default();
                self.openings = 0;
                self.consecutive = 0;
                self.window = Sliding::new(self.config.window, self.clock.now());
            }
        }
    }
}

/// Asks for a metrics snapshot.
pub(super) struct GetMetrics;
impl Message for GetMetrics {
    type Reply = Metrics;
}

impl Handler<GetMetrics> for Books {
    async fn handle(&mut self, _: GetMetrics, _: &mut Context<Self>) -> Metrics {
        let (window_calls, failure_rate, slow_rate) = self.rates();
        Metrics {
            state: self.state,
            calls: self.totals.calls,
            failures: self.totals.failures,
            slow: self.totals.slow,
            ignored: self.totals.ignored,
            rejected: self.totals.rejected,
            window_calls,
            failure_rate,
            slow_rate: slow_rate.filter(|_| self.config.slow_calls.is_some()),
            consecutive_failures: self.consecutive,
            retry_after: self.retry_after(),
        }
    }
}

/// Registers a transition subscriber.
pub(super) struct Subscribe;
impl Message for Subscribe {
    type Reply = async_channel::Receiver<Transition>;
}

impl Handler<Subscribe> for Books {
    async fn handle(
        &mut self,
        _: Subscribe,
        _: &mut Context<Self>,
    ) -> async_channel::Receiver<Transition> {
        let (tx, rx) = async_channel::unbounded();
        self.subscribers.push(tx);
        rx
    }
}
