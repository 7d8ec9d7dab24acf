//! The breaker actor: it keeps the books and decides the state. It never
//! runs a protected call. Its messages and handlers are in `protocol`.
//!
//! Invariants:
//! - Every state change goes through [`BreakerActor::transition`], which
//!   does nothing when the target equals the current state; so subscribers
//!   see each real transition exactly once and never `X -> X`.
//! - Each transition bumps the epoch. A call admitted in one epoch that
//!   reports in another only feeds the lifetime totals: it cannot trip,
//!   close or re-open the breaker it no longer belongs to.
//! - Half-open admits at most `half_open_trials` calls at a time; a trial
//!   that ends without a verdict (ignored, or its caller was cancelled —
//!   its `Permit` reports from `Drop`) frees its slot again.
//! - Rejected calls are counted in `rejected` and nowhere else.
//! - The published word (epoch << 3 | state) always matches `state`.
//! - The window in force belongs to the state: closed and disabled record
//!   into a fresh configured window (entering closed, also a forced close
//!   of a closed breaker, starts a new one); half-open records its trials
//!   into a window of `half_open_trials` calls, so its metrics never show
//!   the closed window that tripped; open and forced-open keep the window
//!   they were entered with.
//! - Every outcome is dated when its call ended (the handle reads the
//!   clock then), not when the actor reads the report; a transition it
//!   causes is dated the same.
//! - Looking (`GetMetrics`) changes nothing but the eviction of expired
//!   time buckets, which no later answer could tell apart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::metrics;
use crate::sync::{Clock, SystemClock};
use crate::{Actor, BoxError, Context, TaskHandle, WeakAddr};

use super::config::{BreakerConfig, ConfigError, TripPolicy, Window};
use super::error::Rejected;
use super::protocol::{Parts, Record, Recorded, WaitOver};
use super::state::{CallEvent, CallKind, Metrics, Outcome, State, Transition};
use super::window::Sliding;

/// What the actor shares with its handles: the state word for the
/// lock-free closed fast path, and whether anyone listens to call events
/// (then handles time every call).
pub(super) struct Shared {
    word: AtomicU64,
    timed: AtomicBool,
}

impl Shared {
    pub fn new() -> Self {
        Shared {
            word: AtomicU64::new(0),
            timed: AtomicBool::new(false),
        }
    }

    /// (epoch, state code).
    pub fn load(&self) -> (u64, u64) {
        let w = self.word.load(Ordering::Acquire);
        (w >> 3, w & 7)
    }

    /// Whether call-event subscribers want each call's elapsed time.
    pub fn timed(&self) -> bool {
        self.timed.load(Ordering::Relaxed)
    }

    fn publish(&self, epoch: u64, state: State) {
        self.word
            .store((epoch << 3) | state.code(), Ordering::Release);
    }
}

/// The circuit breaker actor: it admits calls and keeps the books; the
/// calls themselves run in the callers' tasks. Usually reached through a
/// [`CircuitBreaker`](super::CircuitBreaker); spawn it yourself (or let a
/// supervisor or a config file do it) and wrap the address with
/// [`CircuitBreaker::from_addr`](super::CircuitBreaker::from_addr), e.g.
/// after `System::lookup::<BreakerActor>(name)`.
///
/// ```
/// use retinue::sync::{BreakerActor, BreakerConfig, CircuitBreaker, State};
/// # retinue::rt::block_on(async {
/// let actor = BreakerActor::new(BreakerConfig::default()).unwrap();
/// let addr = retinue::spawn(actor);
/// let breaker = CircuitBreaker::from_addr(addr).await.unwrap();
/// assert_eq!(breaker.call(|| async { Ok::<_, ()>(1) }).await, Ok(1));
/// assert_eq!(breaker.state(), State::Closed);
/// # });
/// ```
pub struct BreakerActor {
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    shared: Arc<Shared>,
    state: State,
    epoch: u64,
    window: Sliding,
    /// Calls the window in force must hold before a rate is computed.
    window_minimum: u32,
    consecutive: u32,
    open_until: Option<Instant>,
    openings: u32,
    trials_admitted: u32,
    trial_successes: u32,
    totals: Totals,
    subscribers: Vec<async_channel::Sender<Transition>>,
    call_subscribers: Vec<async_channel::Sender<CallEvent>>,
    timer: Option<TaskHandle>,
    pub(super) meters: Meters,
}

/// The breaker's metric handles, made once per instance start (no-ops
/// until then, and without the `metrics` feature).
#[derive(Default)]
pub(super) struct Meters {
    state: metrics::Gauge,
    pub calls: metrics::Counter,
    pub rejections: metrics::Counter,
    pub failures: metrics::Counter,
}

impl Meters {
    fn new(path: Option<&str>) -> Self {
        let path = [metrics::path_label(path)];
        Meters {
            state: metrics::gauge("retinue_breaker_state", &path),
            calls: metrics::counter("retinue_breaker_calls_total", &path),
            rejections: metrics::counter("retinue_breaker_rejections_total", &path),
            failures: metrics::counter("retinue_breaker_failures_total", &path),
        }
    }
}

#[derive(Default)]
struct Totals {
    calls: u64,
    failures: u64,
    slow: u64,
    ignored: u64,
    rejected: u64,
}

impl Actor for BreakerActor {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.meters = Meters::new(ctx.path());
        self.meters.state.set(self.state as u8 as f64);
        Ok(())
    }
}

impl BreakerActor {
    /// Validates `config`; a breaker on real time, starting closed.
    pub fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        Self::with_clock(config, SystemClock)
    }

    /// Validates `config`; a breaker on the given clock (tests use
    /// [`ManualClock`](crate::sync::ManualClock)).
    pub fn with_clock(config: BreakerConfig, clock: impl Clock) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::build(
            config,
            Arc::new(clock),
            Arc::new(Shared::new()),
        ))
    }

    /// Books over an existing shared word (a supervised breaker's factory
    /// builds each instance with the handle's word). `config` is valid.
    pub(super) fn build(config: BreakerConfig, clock: Arc<dyn Clock>, shared: Arc<Shared>) -> Self {
        let now = clock.now();
        // A restarted instance (supervised breakers) starts closed again,
        // with no subscribers: make the handles agree.
        shared.publish(0, State::Closed);
        shared.timed.store(false, Ordering::Relaxed);
        BreakerActor {
            window: Sliding::new(config.window, now),
            window_minimum: config.effective_minimum_calls(),
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
            call_subscribers: Vec::new(),
            timer: None,
            meters: Meters::default(),
        }
    }

    /// What a handle needs to share these books.
    pub(super) fn parts(&self) -> Parts {
        Parts {
            shared: self.shared.clone(),
            clock: self.clock.clone(),
            call_timeout: self.config.call_timeout,
            slow_threshold: self.config.slow_calls.map(|s| s.threshold),
        }
    }

    pub(super) fn state(&self) -> State {
        self.state
    }

    pub(super) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// A fresh window of the given shape, as of `now`.
    fn fresh_window(&mut self, window: Window, now: Instant) {
        self.window = Sliding::new(window, now);
        self.window_minimum = match window {
            Window::Count(n) => self.config.minimum_calls.min(n),
            Window::Time(_) => self.config.minimum_calls,
        };
        self.consecutive = 0;
    }

    pub(super) fn transition(&mut self, to: State, ctx: &mut Context<Self>) {
        let now = self.clock.now();
        self.transition_at(to, now, ctx);
    }

    fn transition_at(&mut self, to: State, now: Instant, ctx: &mut Context<Self>) {
        if to == self.state {
            return;
        }
        let from = self.state;
        self.state = to;
        self.meters.state.set(to as u8 as f64);
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
                let trials = Window::Count(self.config.half_open_trials);
                self.fresh_window(trials, now);
            }
            State::Closed => {
                self.openings = 0;
                self.fresh_window(self.config.window, now);
            }
            State::Disabled => self.fresh_window(self.config.window, now),
            State::ForcedOpen => {}
        }
        if to != State::Open {
            self.open_until = None;
        }
        self.shared.publish(self.epoch, to);
        tracing::debug!(%from, %to, "circuit breaker transition");
        let t = Transition { from, to, at: now };
        self.subscribers.retain(|s| s.try_send(t).is_ok());
    }

    /// A forced close: a closed breaker starts a fresh window too.
    pub(super) fn force_closed(&mut self, ctx: &mut Context<Self>) {
        if self.state == State::Closed {
            let now = self.clock.now();
            self.fresh_window(self.config.window, now);
        } else {
            self.transition(State::Closed, ctx);
        }
    }

    /// Back to a fresh closed breaker with cleared totals and backoff.
    pub(super) fn reset(&mut self, ctx: &mut Context<Self>) {
        self.force_closed(ctx);
        self.totals = Totals::default();
        self.openings = 0;
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

    /// Admission: moves an open breaker whose wait is over to half-open,
    /// then says whether a call may run and whether it is a trial.
    pub(super) fn admit(&mut self, ctx: &mut Context<Self>) -> Result<bool, Rejected> {
        if self.state == State::Open
            && self
                .open_until
                .is_none_or(|until| self.clock.now() >= until)
        {
            self.transition(State::HalfOpen, ctx);
        }
        match self.state {
            State::Closed | State::Disabled => Ok(false),
            State::HalfOpen if self.trials_admitted < self.config.half_open_trials => {
                self.trials_admitted += 1;
                Ok(true)
            }
            _ => Err(self.reject()),
        }
    }

    /// Whether a report measured elsewhere takes a free trial slot.
    pub(super) fn take_trial_slot(&mut self) -> bool {
        let free =
            self.state == State::HalfOpen && self.trials_admitted < self.config.half_open_trials;
        self.trials_admitted += u32::from(free);
        free
    }

    fn reject(&mut self) -> Rejected {
        self.totals.rejected += 1;
        let at = self.clock.now();
        self.emit(CallEvent {
            kind: CallKind::Rejected,
            elapsed: None,
            slow: false,
            at,
        });
        Rejected {
            state: self.state,
            retry_after: if self.state == State::Open {
                self.retry_after()
            } else {
                None
            },
        }
    }

    fn rates(&mut self, now: Instant) -> (u32, Option<f64>, Option<f64>) {
        let counts = self.window.counts(now);
        if counts.calls == 0 || counts.calls < self.window_minimum {
            return (counts.calls, None, None);
        }
        let n = f64::from(counts.calls);
        (
            counts.calls,
            Some(f64::from(counts.failures) / n),
            Some(f64::from(counts.slow) / n),
        )
    }

    fn should_trip(&mut self, now: Instant) -> bool {
        let (_, failure_rate, slow_rate) = self.rates(now);
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

    /// Whether a call that ran this long counts as slow.
    pub(super) fn is_slow(&self, elapsed: Duration) -> bool {
        self.config
            .slow_calls
            .is_some_and(|policy| elapsed > policy.threshold)
    }

    fn free_trial_slot(&mut self, current: bool, trial: bool) {
        if current && trial && self.state == State::HalfOpen {
            self.trials_admitted = self.trials_admitted.saturating_sub(1);
        }
    }

    fn emit(&mut self, event: CallEvent) {
        if self.call_subscribers.is_empty() {
            return;
        }
        self.call_subscribers.retain(|s| s.try_send(event).is_ok());
        if self.call_subscribers.is_empty() {
            self.shared.timed.store(false, Ordering::Relaxed);
        }
    }

    pub(super) fn record(&mut self, rec: Record, ctx: &mut Context<Self>) {
        let current = rec.epoch == self.epoch;
        let Recorded::Done {
            outcome,
            slow,
            timeout,
        } = rec.result
        else {
            self.free_trial_slot(current, rec.trial);
            return;
        };
        let now = rec.at.unwrap_or_else(|| self.clock.now());
        let slow = slow && self.config.slow_calls.is_some();
        let kind = match (outcome, timeout) {
            (_, true) => CallKind::Timeout,
            (Outcome::Success, _) => CallKind::Success,
            (Outcome::Failure, _) => CallKind::Failure,
            (Outcome::Ignore, _) => CallKind::Ignored,
        };
        self.emit(CallEvent {
            kind,
            elapsed: rec.elapsed,
            slow,
            at: now,
        });
        let failed = match outcome {
            Outcome::Ignore => {
                self.totals.ignored += 1;
                self.free_trial_slot(current, rec.trial);
                return;
            }
            Outcome::Failure => true,
            Outcome::Success => false,
        };
        self.totals.calls += 1;
        self.totals.failures += u64::from(failed);
        self.totals.slow += u64::from(slow);
        if current {
            self.judge(failed, slow, rec.trial, now, ctx);
        }
    }

    /// Feeds an outcome of the current epoch to the state's books.
    fn judge(
        &mut self,
        failed: bool,
        slow: bool,
        trial: bool,
        now: Instant,
        ctx: &mut Context<Self>,
    ) {
        match self.state {
            State::Closed | State::Disabled => {
                self.window.record(now, failed, slow);
                self.consecutive = if failed { self.consecutive + 1 } else { 0 };
                if self.state == State::Closed && self.should_trip(now) {
                    self.transition_at(State::Open, now, ctx);
                }
            }
            State::HalfOpen if trial => {
                self.window.record(now, failed, slow);
                if failed || slow {
                    self.transition_at(State::Open, now, ctx);
                } else {
                    self.trial_successes += 1;
                    if self.trial_successes >= self.config.half_open_trials {
                        self.transition_at(State::Closed, now, ctx);
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn metrics(&mut self) -> Metrics {
        let now = self.clock.now();
        let (window_calls, failure_rate, slow_rate) = self.rates(now);
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

    pub(super) fn subscribe(&mut self) -> async_channel::Receiver<Transition> {
        let (tx, rx) = async_channel::unbounded();
        self.subscribers.push(tx);
        rx
    }

    pub(super) fn subscribe_calls(&mut self) -> async_channel::Receiver<CallEvent> {
        let (tx, rx) = async_channel::unbounded();
        self.call_subscribers.push(tx);
        self.shared.timed.store(true, Ordering::Relaxed);
        rx
    }
}
