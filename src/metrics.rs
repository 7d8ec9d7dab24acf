//! Metrics through the [`metrics`](https://docs.rs/metrics) facade (cargo
//! feature `metrics`): install any recorder (Prometheus, StatsD, ...) and
//! retinue's figures appear in it.
//!
//! Every actor metric has the labels `actor_type` (the type's last path
//! segment) and `path` (the supervised path such as `workers/fetcher`, or
//! `""` for an actor no supervisor runs):
//!
//! | metric | kind | what |
//! |---|---|---|
//! | `retinue_messages_handled_total` | counter | messages handled (told and asked) |
//! | `retinue_handler_seconds` | histogram | time in a handler, sampled: one message in 64 (the first of each instance, then every 64th) |
//! | `retinue_mailbox_depth` | gauge | messages waiting, as last seen by the actor (0 when it goes idle) |
//! | `retinue_actors_running` | gauge | instances running now |
//! | `retinue_asks_total` | counter | asks sent (`ask`, `ask_timeout`, `ask_with`) |
//! | `retinue_ask_timeouts_total` | counter | `ask_timeout` calls that timed out |
//! | `retinue_exits_total` | counter | instance exits; label `reason`: `normal`, `stopped`, `shutdown`, `failed`, `panicked`, `killed` |
//! | `retinue_restarts_total` | counter | instances started after the first on the same mailbox |
//!
//! `path` is the way to tell supervised children apart; unsupervised actors
//! of one type share one series (their mailbox depth is the last one seen).
//!
//! The circuit breaker reports through the same facade, labelled by
//! `path`:
//!
//! | metric | kind | what |
//! |---|---|---|
//! | `retinue_breaker_state` | gauge | 0 closed, 1 open, 2 half-open, 3 disabled |
//! | `retinue_breaker_calls_total` | counter | permits asked for |
//! | `retinue_breaker_rejections_total` | counter | calls rejected (open, or half-open trials used up) |
//! | `retinue_breaker_failures_total` | counter | calls recorded as failures |
//!
//! The queue, lock and semaphore report the same way, labelled by `path`
//! (histograms sum seconds):
//!
//! | metric | kind | what |
//! |---|---|---|
//! | `retinue_queue_length` | gauge | items stored (not yet handed to a getter) |
//! | `retinue_queue_puts_total` | counter | items accepted (a dead letter counts in its dead-letter queue) |
//! | `retinue_queue_gets_total` | counter | items handed to getters (an item given back and handed out again counts again) |
//! | `retinue_lock_wait_seconds` | histogram | `acquire`: from the lock actor receiving the request to the grant |
//! | `retinue_lock_holders` | gauge | 1 while a grant is current, else 0 |
//! | `retinue_semaphore_wait_seconds` | histogram | `acquire`: from the semaphore actor receiving the request to the grant |
//! | `retinue_semaphore_holders` | gauge | permits out (granted, neither released nor forgotten) |
//!
//! Each primitive makes its handles once, when its instance starts, and
//! keeps them: a handled message costs no registry lookup.
//!
//! They use the helpers below ([`counter`], [`gauge`], [`histogram`],
//! [`path_label`], [`Stopwatch`]), which any crate may use too: without the
//! feature they are empty types whose methods do nothing, so calling code
//! needs no `cfg`. A handle's [`Default`] is a detached one that records
//! nothing, a placeholder until the real one is made (in `started`).
//!
//! ```
//! let puts = retinue::metrics::counter("my_queue_puts_total", &[("queue", "jobs".into())]);
//! puts.increment(1); // a no-op unless the `metrics` feature is on and a recorder installed
//! ```
//!
//! Invariants:
//! - Without the feature nothing here holds data or does work: the actor
//!   loop and `tell` compile to what they were.
//! - With it, the hot path touches only handles made when the instance
//!   started (no key lookup per message). Per message it does one
//!   compare before the handler and one decrement and compare after it;
//!   once every [`SAMPLE`] messages it times one message and publishes
//!   the handled count and the mailbox depth (the count also whenever the
//!   actor goes idle or stops, the depth when it changed).

use std::borrow::Cow;
use std::time::Duration;

/// A label: name and value.
///
/// ```
/// let label: retinue::metrics::Label = ("queue", "jobs".into());
/// assert_eq!(label.0, "queue");
/// ```
pub type Label = (&'static str, Cow<'static, str>);

/// A counter handle (see the module docs). Cheap to clone.
///
/// ```
/// let sent = retinue::metrics::counter("my_sent_total", &[]);
/// sent.clone().increment(1); // clones share the series
/// ```
#[derive(Clone)]
pub struct Counter(#[cfg(feature = "metrics")] ::metrics::Counter);

/// A gauge handle (see the module docs). Cheap to clone.
///
/// ```
/// let depth = retinue::metrics::gauge("my_depth", &[]);
/// depth.set(3.0);
/// ```
#[derive(Clone)]
pub struct Gauge(#[cfg(feature = "metrics")] ::metrics::Gauge);

/// A histogram handle (see the module docs). Cheap to clone.
///
/// ```
/// let sizes = retinue::metrics::histogram("my_batch_size", &[]);
/// sizes.record(12.0);
/// ```
#[derive(Clone)]
pub struct Histogram(#[cfg(feature = "metrics")] ::metrics::Histogram);

#[cfg(feature = "metrics")]
fn labels(labels: &[Label]) -> Vec<::metrics::Label> {
    labels
        .iter()
        .map(|(k, v)| ::metrics::Label::new(*k, v.clone().into_owned()))
        .collect()
}

/// The `path` label of an actor's own figures: its supervised path (see
/// [`Context::path`](crate::Context::path)), `""` when unsupervised.
///
/// ```
/// let label = retinue::metrics::path_label(Some("limits/db_lock"));
/// assert_eq!(label, ("path", "limits/db_lock".into()));
/// ```
pub fn path_label(path: Option<&str>) -> Label {
    ("path", path.unwrap_or("").to_owned().into())
}

/// A counter named `name` with `labels`, from the installed recorder.
///
/// ```
/// let errors = retinue::metrics::counter("my_errors_total", &[("kind", "io".into())]);
/// errors.increment(1);
/// ```
pub fn counter(name: &'static str, labels: &[Label]) -> Counter {
    #[cfg(feature = "metrics")]
    return Counter(::metrics::counter!(name, self::labels(labels)));
    #[cfg(not(feature = "metrics"))]
    {
        let _ = (name, labels);
        Counter()
    }
}

/// A gauge named `name` with `labels`, from the installed recorder.
///
/// ```
/// let waiting = retinue::metrics::gauge("my_waiters", &[]);
/// waiting.increment(1.0);
/// waiting.decrement(1.0);
/// ```
pub fn gauge(name: &'static str, labels: &[Label]) -> Gauge {
    #[cfg(feature = "metrics")]
    return Gauge(::metrics::gauge!(name, self::labels(labels)));
    #[cfg(not(feature = "metrics"))]
    {
        let _ = (name, labels);
        Gauge()
    }
}

/// A histogram named `name` with `labels`, from the installed recorder.
///
/// ```
/// use std::time::Duration;
/// let wait = retinue::metrics::histogram("my_wait_seconds", &[("lock", "db".into())]);
/// wait.record_duration(Duration::from_millis(3));
/// ```
pub fn histogram(name: &'static str, labels: &[Label]) -> Histogram {
    #[cfg(feature = "metrics")]
    return Histogram(::metrics::histogram!(name, self::labels(labels)));
    #[cfg(not(feature = "metrics"))]
    {
        let _ = (name, labels);
        Histogram()
    }
}

impl Counter {
    /// A handle that records nothing (also its [`Default`]).
    ///
    /// ```
    /// retinue::metrics::Counter::noop().increment(1); // goes nowhere
    /// ```
    pub const fn noop() -> Self {
        #[cfg(feature = "metrics")]
        return Counter(::metrics::Counter::noop());
        #[cfg(not(feature = "metrics"))]
        Counter()
    }

    /// Adds `n`.
    ///
    /// ```
    /// let c = retinue::metrics::Counter::default(); // detached: records nothing
    /// c.increment(5);
    /// ```
    #[inline]
    pub fn increment(&self, n: u64) {
        #[cfg(feature = "metrics")]
        self.0.increment(n);
        #[cfg(not(feature = "metrics"))]
        let _ = n;
    }
}

impl Gauge {
    /// A handle that records nothing (also its [`Default`]).
    ///
    /// ```
    /// let _ = retinue::metrics::Gauge::noop(); // a placeholder until `started`
    /// ```
    pub const fn noop() -> Self {
        #[cfg(feature = "metrics")]
        return Gauge(::metrics::Gauge::noop());
        #[cfg(not(feature = "metrics"))]
        Gauge()
    }

    /// Sets the value.
    ///
    /// ```
    /// let g = retinue::metrics::gauge("my_level", &[]);
    /// g.set(0.5);
    /// ```
    #[inline]
    pub fn set(&self, value: f64) {
        #[cfg(feature = "metrics")]
        self.0.set(value);
        #[cfg(not(feature = "metrics"))]
        let _ = value;
    }

    /// Adds `delta`.
    ///
    /// ```
    /// let g = retinue::metrics::gauge("my_in_flight", &[]);
    /// g.increment(1.0);
    /// ```
    #[inline]
    pub fn increment(&self, delta: f64) {
        #[cfg(feature = "metrics")]
        self.0.increment(delta);
        #[cfg(not(feature = "metrics"))]
        let _ = delta;
    }

    /// Subtracts `delta`.
    ///
    /// ```
    /// let g = retinue::metrics::gauge("my_in_flight", &[]);
    /// g.decrement(1.0);
    /// ```
    #[inline]
    pub fn decrement(&self, delta: f64) {
        #[cfg(feature = "metrics")]
        self.0.decrement(delta);
        #[cfg(not(feature = "metrics"))]
        let _ = delta;
    }
}

impl Histogram {
    /// A handle that records nothing (also its [`Default`]).
    ///
    /// ```
    /// let _ = retinue::metrics::Histogram::noop(); // a placeholder until `started`
    /// ```
    pub const fn noop() -> Self {
        #[cfg(feature = "metrics")]
        return Histogram(::metrics::Histogram::noop());
        #[cfg(not(feature = "metrics"))]
        Histogram()
    }

    /// Records one value (durations in seconds, by convention).
    ///
    /// ```
    /// let h = retinue::metrics::histogram("my_payload_bytes", &[]);
    /// h.record(512.0);
    /// ```
    #[inline]
    pub fn record(&self, value: f64) {
        #[cfg(feature = "metrics")]
        self.0.record(value);
        #[cfg(not(feature = "metrics"))]
        let _ = value;
    }

    /// Records a duration, in seconds.
    ///
    /// ```
    /// let h = retinue::metrics::histogram("my_seconds", &[]);
    /// h.record_duration(std::time::Duration::from_millis(250)); // 0.25
    /// ```
    #[inline]
    pub fn record_duration(&self, duration: Duration) {
        self.record(duration.as_secs_f64());
    }

    /// Records the time since `start`, in seconds (nothing, and no clock
    /// read, without the feature).
    ///
    /// ```
    /// use retinue::metrics::{Stopwatch, histogram};
    /// let wait = histogram("my_wait_seconds", &[]);
    /// let start = Stopwatch::start();
    /// // ... wait for something ...
    /// wait.record_since(start);
    /// ```
    #[inline]
    pub fn record_since(&self, start: Stopwatch) {
        #[cfg(feature = "metrics")]
        self.record_duration(start.0.elapsed());
        #[cfg(not(feature = "metrics"))]
        let _ = start;
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::noop()
    }
}

impl Default for Gauge {
    fn default() -> Self {
        Self::noop()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::noop()
    }
}

/// When something started, for [`Histogram::record_since`]. With the
/// `metrics` feature it reads the clock; without it, it is an empty type
/// and [`start`](Self::start) does nothing, so a primitive can keep one
/// per waiter at no cost.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(#[cfg(feature = "metrics")] std::time::Instant);

impl Stopwatch {
    /// Now.
    ///
    /// ```
    /// let start = retinue::metrics::Stopwatch::start();
    /// retinue::metrics::histogram("my_seconds", &[]).record_since(start);
    /// ```
    #[inline]
    pub fn start() -> Self {
        #[cfg(feature = "metrics")]
        return Stopwatch(std::time::Instant::now());
        #[cfg(not(feature = "metrics"))]
        Stopwatch()
    }
}

/// One handled message in this many is timed for `retinue_handler_seconds`.
pub const SAMPLE: u64 = 64;

#[cfg(feature = "metrics")]
pub(crate) use on::{ActorMeter, AskMeter};

#[cfg(not(feature = "metrics"))]
pub(crate) use off::ActorMeter;

/// The real meters.
#[cfg(feature = "metrics")]
mod on {
    use std::any::TypeId;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::Instant;

    use super::{Counter, Gauge, Histogram, Label, SAMPLE, counter, gauge, histogram};
    use crate::exit::ExitReason;

    const REASONS: [&str; 6] = [
        "normal", "stopped", "shutdown", "failed", "panicked", "killed",
    ];

    /// Every handle of one (actor type, path), made once per recorder.
    pub(crate) struct Handles {
        handled: Counter,
        handler_time: Histogram,
        depth: Gauge,
        running: Gauge,
        asks: Counter,
        timeouts: Counter,
        restarts: Counter,
        exits: [Counter; 6],
    }

    impl Handles {
        fn new<A>(path: &str) -> Self {
            let labels: [Label; 2] = [
                ("actor_type", crate::addr::short_type_name::<A>().into()),
                ("path", path.to_owned().into()),
            ];
            let exit = |reason: &'static str| {
                let mut labels = labels.to_vec();
                labels.push(("reason", reason.into()));
                counter("retinue_exits_total", &labels)
            };
            Handles {
                handled: counter("retinue_messages_handled_total", &labels),
                handler_time: histogram("retinue_handler_seconds", &labels),
                depth: gauge("retinue_mailbox_depth", &labels),
                running: gauge("retinue_actors_running", &labels),
                asks: counter("retinue_asks_total", &labels),
                timeouts: counter("retinue_ask_timeouts_total", &labels),
                restarts: counter("retinue_restarts_total", &labels),
                exits: REASONS.map(exit),
            }
        }
    }

    /// Which recorder is current (the facade's no-op one until one is
    /// installed, then that one): handles made for one are not reused for
    /// another.
    fn recorder_id() -> usize {
        ::metrics::with_recorder(|r| r as *const dyn ::metrics::Recorder as *const () as usize)
    }

    type Cache = HashMap<(usize, TypeId), HashMap<Box<str>, Arc<Handles>>>;

    /// The handles of actors of type `A` at `path`: registering a metric
    /// is a key lookup with allocations, too slow to repeat for every
    /// spawned actor, so they are made once and shared.
    pub(crate) fn handles<A: 'static>(path: Option<&str>) -> Arc<Handles> {
        static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
        let path = path.unwrap_or("");
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let of_type = cache.entry((recorder_id(), TypeId::of::<A>())).or_default();
        if let Some(handles) = of_type.get(path) {
            return handles.clone();
        }
        let handles = Arc::new(Handles::new::<A>(path));
        of_type.insert(path.into(), handles.clone());
        handles
    }

    /// What the sending side counts (kept in the mailbox).
    pub(crate) struct AskMeter(Arc<Handles>);

    impl AskMeter {
        pub(crate) fn new<A: 'static>(path: Option<&str>) -> Self {
            AskMeter(handles::<A>(path))
        }

        pub(crate) fn asked(&self) {
            self.0.asks.increment(1);
        }

        pub(crate) fn timed_out(&self) {
            self.0.timeouts.increment(1);
        }
    }

    /// What an instance counts while it runs (kept in its context).
    pub(crate) struct ActorMeter {
        handles: Arc<Handles>,
        /// Messages to end before the next bookkeeping round (1: the
        /// message in hand is the timed one).
        left: u64,
        /// How many messages the current round counts (`left` when it
        /// began): added to `handled` when `left` reaches 0.
        round: u64,
        /// The depth last published.
        depth: Option<usize>,
        /// When the message in hand started, if it is a timed one.
        since: Option<Instant>,
        /// `exited` has run; dropped without it means killed.
        done: bool,
    }

    impl ActorMeter {
        pub(crate) fn new<A: 'static>(path: Option<&str>) -> Self {
            ActorMeter {
                handles: handles::<A>(path),
                left: 1,
                round: 1,
                depth: None,
                since: None,
                done: false,
            }
        }

        /// Instance `instance` has started.
        pub(crate) fn started(&self, instance: u64) {
            self.handles.running.increment(1.0);
            if instance > 1 {
                self.handles.restarts.increment(1);
            }
        }

        /// A message is about to be handled. One in [`SAMPLE`] messages
        /// is timed (the first of an instance, then every 64th): reading
        /// the clock for every message would cost more than the rest of
        /// the bookkeeping together. Per message this is one compare.
        #[inline(always)]
        pub(crate) fn begin(&mut self) {
            if self.left == 1 {
                self.since = Some(Instant::now());
            }
        }

        /// The message in hand is done; `true` when it is time to
        /// [`flush`](Self::flush). Per message this is one decrement and
        /// a compare; the rest happens once a round ([`SAMPLE`] messages).
        #[inline(always)]
        pub(crate) fn end(&mut self) -> bool {
            self.left -= 1;
            self.left == 0 && self.end_round()
        }

        /// A round is over: time its last message, count the round.
        #[cold]
        #[inline(never)]
        fn end_round(&mut self) -> bool {
            if let Some(since) = self.since.take() {
                self.handles.handler_time.record_duration(since.elapsed());
            }
            self.handles.handled.increment(self.round);
            self.left = SAMPLE;
            self.round = SAMPLE;
            true
        }

        /// Publishes the count (and the depth, when known).
        pub(crate) fn flush(&mut self, depth: Option<usize>) {
            // Messages ended in this round so far; the round goes on with
            // the rest.
            let ended = self.round - self.left;
            if ended > 0 {
                self.handles.handled.increment(ended);
                self.round = self.left;
            }
            if depth.is_some() && depth != self.depth {
                self.depth = depth;
                self.handles.depth.set(depth.unwrap_or(0) as f64);
            }
        }

        /// The instance has ended with `reason`.
        pub(crate) fn exited(&mut self, reason: &ExitReason) {
            if std::mem::replace(&mut self.done, true) {
                return;
            }
            self.flush(Some(0));
            self.handles.running.decrement(1.0);
            let index = match reason {
                ExitReason::Normal => 0,
                ExitReason::Stopped => 1,
                ExitReason::Shutdown => 2,
                ExitReason::Failed(_) => 3,
                ExitReason::Panicked(_) => 4,
                ExitReason::Killed => 5,
            };
            self.handles.exits[index].increment(1);
        }
    }

    impl Drop for ActorMeter {
        /// An instance dropped before it ended was killed.
        fn drop(&mut self) {
            self.exited(&ExitReason::Killed);
        }
    }
}

/// Without the feature: empty types, empty inline methods.
#[cfg(not(feature = "metrics"))]
mod off {
    use crate::exit::ExitReason;

    pub(crate) struct ActorMeter;

    impl ActorMeter {
        #[inline(always)]
        #[allow(clippy::extra_unused_type_parameters)] // the same call as with the feature
        pub(crate) fn new<A>(_: Option<&str>) -> Self {
            ActorMeter
        }
        #[inline(always)]
        pub(crate) fn started(&self, _: u64) {}
        #[inline(always)]
        pub(crate) fn begin(&mut self) {}
        #[inline(always)]
        pub(crate) fn end(&mut self) -> bool {
            false
        }
        #[inline(always)]
        pub(crate) fn flush(&mut self, _: Option<usize>) {}
        #[inline(always)]
        pub(crate) fn exited(&mut self, _: &ExitReason) {}
    }
}
