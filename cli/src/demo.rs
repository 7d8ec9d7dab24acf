//! Demo kinds shipped with the CLI, so `retinue run` has something worth
//! watching: a producer filling a queue, workers that take jobs, hold a
//! semaphore permit, call a flaky service through a circuit breaker and
//! sometimes crash (to be restarted by their supervisor), and the flaky
//! service itself, with periodic outages that trip the breaker.
//!
//! Invariants: no handler panics (a crash is `ctx.fail`); counters are
//! process-wide atomics read by the live view.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use retinue::config::{ConfigKind, Kinds, Ref, Refs};
use retinue::sync::{CallError, CircuitBreaker, Queue, Semaphore};
use retinue::{Actor, Addr, BoxError, Context, Handler, Message};
use serde::Deserialize;

/// Process-wide demo counters.
pub struct Stats {
    /// Jobs put into the queue.
    pub produced: AtomicU64,
    /// Jobs dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Jobs a worker finished.
    pub processed: AtomicU64,
    /// Service calls that failed.
    pub service_errors: AtomicU64,
    /// Service calls the breaker rejected.
    pub rejected: AtomicU64,
    /// Worker crashes (each one restarted by its supervisor).
    pub crashes: AtomicU64,
}

/// The demo's counters.
pub static STATS: Stats = Stats {
    produced: AtomicU64::new(0),
    dropped: AtomicU64::new(0),
    processed: AtomicU64::new(0),
    service_errors: AtomicU64::new(0),
    rejected: AtomicU64::new(0),
    crashes: AtomicU64::new(0),
};

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// The demo counters as the live view shows them, in a fixed order.
pub fn counters() -> Vec<(String, u64)> {
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    [
        ("produced", &STATS.produced),
        ("processed", &STATS.processed),
        ("dropped", &STATS.dropped),
        ("service errors", &STATS.service_errors),
        ("rejected", &STATS.rejected),
        ("crashes", &STATS.crashes),
    ]
    .into_iter()
    .map(|(name, c)| (name.to_string(), get(c)))
    .collect()
}

/// The built-in kinds plus the demo kinds.
pub fn kinds() -> Kinds {
    let mut kinds = Kinds::builtin();
    kinds
        .register::<Producer>("demo.producer")
        .register::<Worker>("demo.worker")
        .register::<FlakyService>("demo.flaky_service");
    kinds
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---- producer ----

/// Puts a job into a queue every `every`.
pub struct Producer {
    queue: Queue<String>,
    every: Duration,
    burst: u32,
    next: u64,
}

/// The args of `demo.producer`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerArgs {
    queue: Ref<Queue<String>>,
    #[serde(with = "retinue::duration", default = "default_every")]
    every: Duration,
    #[serde(default = "one")]
    burst: u32,
}

fn default_every() -> Duration {
    ms(50)
}

fn one() -> u32 {
    1
}

impl ConfigKind for Producer {
    type Args = ProducerArgs;
    fn build(args: &ProducerArgs, refs: &Refs) -> Result<Self, BoxError> {
        if args.every.is_zero() {
            return Err("`every` must be longer than zero".into());
        }
        Ok(Producer {
            queue: refs.get(&args.queue)?,
            every: args.every,
            burst: args.burst,
            next: 0,
        })
    }
}

struct Produce;
impl Message for Produce {
    type Reply = ();
}

impl Actor for Producer {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        ctx.interval(self.every, || Produce);
        Ok(())
    }
}

impl Handler<Produce> for Producer {
    async fn handle(&mut self, _: Produce, _: &mut Context<Self>) {
        for _ in 0..self.burst {
            self.next += 1;
            match self.queue.try_put(format!("job-{}", self.next)).await {
                Ok(()) => bump(&STATS.produced),
                Err(_) => bump(&STATS.dropped),
            }
        }
    }
}

// ---- flaky service ----

/// A remote service stand-in: answers after `latency`, fails at
/// `failure_rate`, and fails every call during an outage of `outage_for`
/// every `outage_every`.
pub struct FlakyService {
    args: ServiceArgs,
    born: Instant,
}

/// The args of `demo.flaky_service`.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ServiceArgs {
    #[serde(default)]
    failure_rate: f64,
    #[serde(with = "retinue::duration", default = "default_latency")]
    latency: Duration,
    #[serde(with = "retinue::duration::option", default)]
    outage_every: Option<Duration>,
    #[serde(with = "retinue::duration", default = "default_outage")]
    outage_for: Duration,
}

fn default_latency() -> Duration {
    ms(10)
}

fn default_outage() -> Duration {
    ms(2000)
}

impl ConfigKind for FlakyService {
    type Args = ServiceArgs;
    fn build(args: &ServiceArgs, _: &Refs) -> Result<Self, BoxError> {
        if !(0.0..=1.0).contains(&args.failure_rate) {
            return Err("`failure_rate` must be within 0..=1".into());
        }
        Ok(FlakyService {
            args: args.clone(),
            born: Instant::now(),
        })
    }
}

impl Actor for FlakyService {}

/// One call to the service.
pub struct Call;
impl Message for Call {
    type Reply = Result<(), String>;
}

impl Handler<Call> for FlakyService {
    async fn handle(&mut self, _: Call, _: &mut Context<Self>) -> Result<(), String> {
        retinue::rt::sleep(self.args.latency).await;
        if let Some(every) = self.args.outage_every.filter(|d| !d.is_zero()) {
            let phase = self.born.elapsed().as_millis() % every.as_millis();
            if phase >= every.saturating_sub(self.args.outage_for).as_millis() {
                return Err("outage".into());
            }
        }
        if fastrand::f64() < self.args.failure_rate {
            return Err("flaked".into());
        }
        Ok(())
    }
}

// ---- worker ----

/// Takes jobs from a queue; for each, holds a permit, calls the service
/// (through the breaker, if any), works a little, and crashes at
/// `failure_rate`.
pub struct Worker {
    jobs: Queue<String>,
    slots: Option<Semaphore>,
    service: Option<Addr<FlakyService>>,
    breaker: Option<CircuitBreaker>,
    failure_rate: f64,
    work: Duration,
}

/// The args of `demo.worker`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerArgs {
    queue: Ref<Queue<String>>,
    #[serde(default)]
    slots: Option<Ref<Semaphore>>,
    #[serde(default)]
    service: Option<Ref<Addr<FlakyService>>>,
    #[serde(default)]
    breaker: Option<Ref<CircuitBreaker>>,
    #[serde(default)]
    failure_rate: f64,
    #[serde(with = "retinue::duration", default = "default_work")]
    work: Duration,
}

fn default_work() -> Duration {
    ms(30)
}

impl ConfigKind for Worker {
    type Args = WorkerArgs;
    fn build(args: &WorkerArgs, refs: &Refs) -> Result<Self, BoxError> {
        if !(0.0..=1.0).contains(&args.failure_rate) {
            return Err("`failure_rate` must be within 0..=1".into());
        }
        Ok(Worker {
            jobs: refs.get(&args.queue)?,
            slots: args.slots.as_ref().map(|r| refs.get(r)).transpose()?,
            service: args.service.as_ref().map(|r| refs.get(r)).transpose()?,
            breaker: args.breaker.as_ref().map(|r| refs.get(r)).transpose()?,
            failure_rate: args.failure_rate,
            work: args.work,
        })
    }
}

struct Next;
impl Message for Next {
    type Reply = ();
}

impl Actor for Worker {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let _ = ctx.addr().try_tell(Next);
        Ok(())
    }
}

impl Worker {
    async fn call_service(&self) {
        let Some(service) = &self.service else {
            return;
        };
        let call = || async { service.ask(Call).await.map_err(|e| e.to_string())? };
        let outcome = match &self.breaker {
            Some(b) => b.call(call).await,
            None => call().await.map_err(CallError::Inner),
        };
        match outcome {
            Ok(()) => {}
            Err(CallError::Rejected(_)) => bump(&STATS.rejected),
            Err(_) => bump(&STATS.service_errors),
        }
    }
}

impl Handler<Next> for Worker {
    async fn handle(&mut self, _: Next, ctx: &mut Context<Self>) {
        if let Ok(job) = self.jobs.get_timeout(ms(200)).await {
            let permit = match &self.slots {
                Some(s) => s.acquire(1).await.ok(),
                None => None,
            };
            self.call_service().await;
            retinue::rt::sleep(self.work).await;
            drop(permit);
            if fastrand::f64() < self.failure_rate {
                bump(&STATS.crashes);
                ctx.fail(format!("crashed while working on {job}"));
                return;
            }
            bump(&STATS.processed);
        }
        let _ = ctx.addr().try_tell(Next);
    }
}
