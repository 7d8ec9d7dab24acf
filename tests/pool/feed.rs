//! A pool fed from an acknowledged source (`Pool::feed_from`) when the
//! source or the workers fail: an unavailable source is retried, a shut
//! down one ends the feed, and a worker gone for good gives its delivery
//! back and stops taking more (instead of taking it again and again).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use retinue::pool::{Pool, Routing};
use retinue::supervisor::Flags;
use retinue::sync::{AckSource, Delivery, DeliveryError, Queue, QueueDelivery};
use retinue::{Actor, Context, Handler, Message, rt};

const LONG: Duration = Duration::from_secs(10);

fn run<F: std::future::Future>(f: F) -> F::Output {
    rt::block_on(rt::timeout(LONG, f)).expect("test hung")
}

#[derive(Clone)]
struct Job(u64);
impl Message for Job {
    type Reply = ();
}

struct Worker {
    done: async_channel::Sender<u64>,
}
impl Actor for Worker {}
impl Handler<Job> for Worker {
    async fn handle(&mut self, job: Job, _: &mut Context<Self>) {
        if job.0 == u64::MAX {
            panic!("poison (expected by the test)");
        }
        let _ = self.done.send(job.0).await;
    }
}

/// A real queue behind a source that is unavailable for its first
/// `outages` calls, and that counts its live clones (the feeders' copies).
#[derive(Clone)]
struct Flaky {
    queue: Queue<Job>,
    outages: Arc<AtomicUsize>,
    alive: Arc<()>,
}

impl Flaky {
    fn new(queue: &Queue<Job>, outages: usize) -> Self {
        Flaky {
            queue: queue.clone(),
            outages: Arc::new(AtomicUsize::new(outages)),
            alive: Arc::new(()),
        }
    }

    /// Clones held by feeders (the test holds one, the pool's list of
    /// feeds another, to feed the workers a resize adds).
    fn feeders(&self) -> usize {
        Arc::strong_count(&self.alive) - 2
    }
}

impl AckSource for Flaky {
    type Item = Job;
    type Delivery = QueueDelivery<Job>;

    async fn next_delivery(&self) -> Result<QueueDelivery<Job>, DeliveryError> {
        let down = self
            .outages
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if down.is_ok() {
            return Err(DeliveryError::Unavailable(
                "the broker is restarting".into(),
            ));
        }
        self.queue.next_delivery().await
    }
}

/// A pool of `size` workers reporting each job they finish to `done`.
fn workers(size: usize, done: async_channel::Sender<u64>) -> retinue::pool::PoolBuilder<Worker> {
    Pool::builder(move || Worker { done: done.clone() }).size(size)
}

async fn until(what: &str, f: impl Fn() -> bool) {
    rt::timeout(LONG, async {
        while !f() {
            rt::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never reached: {what}"));
}

#[test]
fn an_unavailable_source_is_asked_again_and_nothing_is_lost() {
    run(async {
        let (done, seen) = async_channel::unbounded();
        let pool = workers(2, done)
            .routing(Routing::RoundRobin)
            .spawn()
            .await
            .unwrap();
        let queue = Queue::fifo(0);
        let source = Flaky::new(&queue, 5);
        pool.feed_from(source.clone(), 1);
        for j in 0..20 {
            queue.put(Job(j)).await.unwrap();
        }
        queue.join().await.unwrap();
        let mut got: Vec<u64> = (0..20).map(|_| seen.try_recv().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, (0..20).collect::<Vec<_>>());
        assert_eq!(
            source.outages.load(Ordering::SeqCst),
            0,
            "every outage seen"
        );
        assert_eq!(source.feeders(), 2, "both feeders still feeding");
        pool.shutdown().await;
    });
}

#[test]
fn a_shut_down_source_ends_the_feed() {
    run(async {
        let (done, _seen) = async_channel::unbounded();
        let pool = workers(2, done).spawn().await.unwrap();
        let queue = Queue::fifo(0);
        let source = Flaky::new(&queue, 0);
        pool.feed_from(source.clone(), 1);
        until("two feeders", || source.feeders() == 2).await;
        queue.shutdown(true).await.unwrap();
        until("the feeders ended", || source.feeders() == 0).await;
        pool.shutdown().await;
    });
}

#[test]
fn a_worker_gone_for_good_gives_its_delivery_back_and_its_feed_stops() {
    run(async {
        let (done, _seen) = async_channel::unbounded();
        // No restart allowed: the first crash ends the pool's supervisor.
        let pool = workers(1, done)
            .flags(Flags::default().intensity(0, Duration::from_secs(5)))
            .spawn()
            .await
            .unwrap();
        let queue = Queue::fifo(0);
        let source = Flaky::new(&queue, 0);
        pool.feed_from(source.clone(), 1);
        queue.put(Job(u64::MAX)).await.unwrap();
        queue.put(Job(1)).await.unwrap();
        pool.workers()[0].wait_stopped().await;
        until("the feeder ended", || source.feeders() == 0).await;
        // Nothing lost: the poison came back (taken again while the
        // supervisor was giving up, so maybe more than once) and job 1,
        // behind it, was never taken.
        let status = queue.status().await.unwrap();
        assert_eq!((status.len, status.unfinished), (2, 2));
        let poison = queue.get_delivery().await.unwrap();
        assert_eq!(poison.item().0, u64::MAX);
        assert!(poison.delivery_count() >= 2, "it was handed out before");
        let next = queue.get_delivery().await.unwrap();
        assert_eq!((next.item().0, next.delivery_count()), (1, 1));
        pool.shutdown().await;
    });
}

#[test]
fn shutting_down_a_pool_whose_tree_never_started_returns_at_once() {
    run(async {
        let (done, _seen) = async_channel::unbounded();
        let (_spec, pool) = workers(2, done)
            .routing(Routing::Balancing)
            .child_spec("never-started")
            .unwrap();
        let queue = Queue::fifo(0);
        let source = Flaky::new(&queue, 0);
        pool.feed_from(source.clone(), 1);
        pool.tell(Job(1)).await.unwrap(); // waits in the shared mailbox
        pool.shutdown().await;
        assert_eq!(source.feeders(), 0, "feeding stopped");
        assert_eq!(pool.stats().queued, 0, "the shared mailbox is closed");
        assert!(matches!(
            pool.tell(Job(2)).await,
            Err(retinue::pool::PoolError::Closed(_))
        ));
    });
}
