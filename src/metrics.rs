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

/// The two figures of a primitive that callers wait for and then hold (a
/// lock, a semaphore): a wait-time histogram and a holders gauge, both
/// labelled with the actor's `path`. Its [`Default`] is detached (records
/// nothing) until [`new`](Self::new) is called in `started`.
///
/// ```
/// use retinue::metrics::{Stopwatch, WaitMeters};
/// let meters = WaitMeters::new("my_pool_wait_seconds", "my_pool_holders", Some("db/pool"));
/// let asked = Stopwatch::start();
/// meters.wait.record_since(asked); // granted
/// meters.holders.increment(1.0);
/// ```
#[derive(Clone, Default)]
pub struct WaitMeters {
    /// How long each grant was waited for, in seconds.
    pub wait: Histogram,
    /// How many grants are held now.
    pub holders: Gauge,
}

impl WaitMeters {
    /// The histogram `wait` and the gauge `holders`, labelled with
    /// [`path_label`]`(path)`; the gauge starts at 0.
    pub fn new(wait: &'static str, holders: &'static str, path: Option<&str>) -> Self {
        let path = [path_label(path)];
        let meters = WaitMeters {
            wait: histogram(wait, &path),
            holders: gauge(holders, &path),
        };
        meters.holders.set(0.0);
        meters
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

mod meter;

#[cfg(feature = "metrics")]
pub(crate) use meter::{ActorMeter, AskMeter};

#[cfg(not(feature = "metrics"))]
pub(crate) use meter::ActorMeter;
