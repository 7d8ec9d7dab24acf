//! Scenario 7, worker pools: `jobs` jobs, each a fixed small amount of
//! work (`WORK` rounds of an LCG, a few hundred ns), told to a pool of 1,
//! 2, 4 and 8 workers by one producer; the time runs until the last job is
//! done. Per framework, its own pool as its docs write it:
//!
//! - retinue: `retinue::pool::Pool` with its default routing (round-robin
//!   over the workers' own mailboxes), `Pool::tell`.
//! - kameo: `kameo_actors::pool::ActorPool` (least-connections over worker
//!   actors), `tell(Dispatch(job))`.
//! - ractor: a `ractor::factory::Factory` with `RoundRobinRouting` and the
//!   default queue, `dispatch((), job)`.
//! - floor: N bare tasks pulling from one bounded async-channel (256).
//!
//! Invariants: every framework runs the same jobs and the same work, and
//! each run checks that every job was done exactly once (a count that must
//! reach `jobs`, no more).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common::{Outcome, Sizes, median, per_op};

/// LCG rounds per job.
pub const WORK: u64 = 200;

/// Pool sizes measured, one metric each (`pool 1` .. `pool 8`).
pub const WORKERS: [(usize, &str); 4] =
    [(1, "pool 1"), (2, "pool 2"), (4, "pool 4"), (8, "pool 8")];

/// The job's work.
pub fn work(seed: u64) -> u64 {
    let mut h = seed;
    for _ in 0..WORK {
        h = h
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
    }
    std::hint::black_box(h)
}

/// Counts finished jobs and signals when the last one is done.
pub struct Done {
    count: AtomicU64,
    n: u64,
    tx: async_channel::Sender<()>,
    rx: async_channel::Receiver<()>,
}

impl Done {
    pub fn new(n: u64) -> Arc<Done> {
        let (tx, rx) = async_channel::bounded(1);
        Arc::new(Done {
            count: AtomicU64::new(0),
            n,
            tx,
            rx,
        })
    }

    /// One job done.
    pub fn job(&self, seed: u64) {
        work(seed);
        let done = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        assert!(done <= self.n, "a job was done twice");
        if done == self.n {
            let _ = self.tx.try_send(());
        }
    }

    /// Waits for the last job.
    pub async fn all(&self) {
        self.rx.recv().await.expect("the counter lives");
        assert_eq!(self.count.load(Ordering::Relaxed), self.n);
    }
}

/// Runs `round(workers, jobs)` `rounds` times per pool size; the medians.
pub async fn measure<F, Fut>(z: &Sizes, mut round: F) -> Outcome
where
    F: FnMut(usize, u64) -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    let mut metrics = Vec::new();
    for (workers, key) in WORKERS {
        let mut samples = Vec::new();
        for _ in 0..z.rounds {
            samples.push(per_op(round(workers, z.pool_jobs).await, z.pool_jobs));
        }
        metrics.push((key, median(&mut samples)));
    }
    Outcome::many(metrics)
}

/// The floor: bare tasks on one channel.
pub mod floor {
    use super::*;
    use retinue::rt;

    pub async fn round(workers: usize, n: u64) -> Duration {
        let done = Done::new(n);
        let (tx, rx) = async_channel::bounded::<u64>(256);
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let (rx, done) = (rx.clone(), done.clone());
                rt::spawn(async move {
                    while let Ok(job) = rx.recv().await {
                        done.job(job);
                    }
                })
            })
            .collect();
        let start = Instant::now();
        for i in 0..n {
            tx.send(i).await.unwrap();
        }
        done.all().await;
        let elapsed = start.elapsed();
        drop(tx);
        for t in tasks {
            t.await.unwrap();
        }
        elapsed
    }
}

/// retinue's `Pool`.
pub mod on_retinue {
    use super::*;
    use retinue::pool::Pool;
    use retinue::{Actor, Context, Handler, Message};

    struct Worker(Arc<Done>);
    impl Actor for Worker {}

    struct Job(u64);
    impl Message for Job {
        type Reply = ();
    }
    impl Handler<Job> for Worker {
        async fn handle(&mut self, job: Job, _: &mut Context<Self>) {
            self.0.job(job.0);
        }
    }

    pub async fn round(workers: usize, n: u64) -> Duration {
        let done = Done::new(n);
        let d = done.clone();
        let pool = Pool::builder(move || Worker(d.clone()))
            .size(workers)
            .spawn()
            .await
            .unwrap();
        let start = Instant::now();
        for i in 0..n {
            pool.tell(Job(i)).await.unwrap();
        }
        done.all().await;
        let elapsed = start.elapsed();
        pool.shutdown().await;
        elapsed
    }
}

/// kameo's `ActorPool` (kameo_actors).
pub mod on_kameo {
    use super::*;
    use kameo::Actor;
    use kameo::actor::Spawn;
    use kameo::message::{Context, Message};
    use kameo_actors::pool::{ActorPool, Dispatch};

    #[derive(Actor)]
    struct Worker(Arc<Done>);

    #[derive(Debug)]
    struct Job(u64);
    impl Message<Job> for Worker {
        type Reply = ();
        async fn handle(&mut self, job: Job, _: &mut Context<Self, ()>) {
            self.0.job(job.0);
        }
    }

    pub async fn round(workers: usize, n: u64) -> Duration {
        let done = Done::new(n);
        let d = done.clone();
        let pool = ActorPool::spawn(ActorPool::new(workers, move || {
            Worker::spawn(Worker(d.clone()))
        }));
        let start = Instant::now();
        for i in 0..n {
            pool.tell(Dispatch(Job(i))).await.unwrap();
        }
        done.all().await;
        let elapsed = start.elapsed();
        pool.kill();
        elapsed
    }
}

/// ractor's factory.
pub mod on_ractor {
    use super::*;
    use ractor::factory::{
        Factory, FactoryArguments, FactoryMessage, Job, Worker, WorkerId, queues, routing,
        worker_builder,
    };
    use ractor::{Actor, ActorProcessingErr, ActorRef};

    struct Counting;
    impl Worker for Counting {
        type Key = ();
        type Message = u64;
        type State = Arc<Done>;
        type Arguments = Arc<Done>;
        async fn pre_start(
            &self,
            _: WorkerId,
            _: &ActorRef<FactoryMessage<(), u64>>,
            done: Arc<Done>,
        ) -> Result<Arc<Done>, ActorProcessingErr> {
            Ok(done)
        }
        async fn handle(
            &self,
            _: WorkerId,
            _: &ActorRef<FactoryMessage<(), u64>>,
            Job { msg, key, .. }: Job<(), u64>,
            done: &mut Arc<Done>,
        ) -> Result<(), ActorProcessingErr> {
            done.job(msg);
            Ok(key)
        }
    }

    pub async fn round(workers: usize, n: u64) -> Duration {
        let done = Done::new(n);
        let d = done.clone();
        let def = Factory::<
            (),
            u64,
            Arc<Done>,
            Counting,
            routing::RoundRobinRouting<(), u64>,
            queues::DefaultQueue<(), u64>,
        >::default();
        let args = FactoryArguments::builder()
            .worker_builder(Box::new(worker_builder(move |_| (Counting, d.clone()))))
            .queue(Default::default())
            .router(Default::default())
            .num_initial_workers(workers)
            .build();
        let (factory, handle) = Actor::spawn(None, def, args).await.unwrap();
        let start = Instant::now();
        for i in 0..n {
            if factory.dispatch((), i).is_err() {
                panic!("the factory refused job {i}");
            }
        }
        done.all().await;
        let elapsed = start.elapsed();
        factory.stop(None);
        let _ = handle.await;
        elapsed
    }
}
