//! The meters the actor loop and the mailbox keep (crate-private): with
//! the `metrics` feature the real ones, without it empty types whose
//! methods are empty and inline, so the loop compiles to what it was.
//!
//! Invariants: see the `metrics` module (handles made once per actor type
//! and path; per message one compare before the handler and one decrement
//! and compare after it).

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

    use super::super::{Counter, Gauge, Histogram, Label, SAMPLE, counter, gauge, histogram};
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
