//! The `metrics` feature, end to end: a Prometheus recorder, the example's
//! scrape endpoint on a free loopback port, a supervised pool that handles,
//! asks, times out, crashes and restarts; the scraped figures are exactly
//! what the test did; likewise a supervised lock, semaphore and queue.

#[path = "../examples/support/scrape_endpoint.rs"]
mod scrape_endpoint;
#[path = "common/wait.rs"]
mod wait;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
use retinue::{Actor, Addr, AskError, Context, Handler, Message, ReplyTo};
use scrape_endpoint::{Endpoint, scrape};

fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("one recorder")
    })
}

/// `name{labels} value` lines of a scrape, by `name{labels}`.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn key(name: &str, path: &str, extra: &str) -> String {
    format!("{name}{{actor_type=\"Worker\",path=\"{path}\"{extra}}}")
}

struct Worker;
impl Actor for Worker {}

struct Job(u32);
impl Message for Job {
    type Reply = u32;
}
impl Handler<Job> for Worker {
    async fn handle(&mut self, Job(n): Job, _: &mut Context<Self>) -> u32 {
        if n == 13 {
            panic!("unlucky");
        }
        n
    }
}

/// Answers only once `gate` opens: an ask that is sure to time out.
struct Wait(retinue::Reply<()>);
impl Message for Wait {
    type Reply = u32;
}
impl Handler<Wait> for Worker {
    async fn handle(&mut self, Wait(gate): Wait, _: &mut Context<Self>) -> u32 {
        let _ = gate.await;
        0
    }
}

/// The pool's workers' addresses, filled by its factory.
type Addrs = Arc<Mutex<Vec<Addr<Worker>>>>;

fn pool(addrs: Addrs) -> impl FnMut() -> Supervisor + Send + 'static {
    move || {
        let specs = [
            ChildSpec::worker("w0", || Worker),
            ChildSpec::worker("w1", || Worker),
        ];
        *addrs.lock().unwrap() = specs.iter().map(|s| s.addr::<Worker>().unwrap()).collect();
        specs
            .into_iter()
            .fold(Supervisor::new(Strategy::OneForOne), Supervisor::child)
    }
}

#[test]
fn scraped_figures_match_what_the_actors_did() {
    recorder();
    let endpoint = Endpoint::start(0, || recorder().render()).expect("a free loopback port");
    let addr = endpoint.addr();
    retinue::rt::block_on(async move {
        let addrs = Addrs::default();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::supervisor("pool", pool(addrs.clone())))
            .spawn()
            .await
            .unwrap();
        let (w0, w1) = {
            let addrs = addrs.lock().unwrap();
            (addrs[0].clone(), addrs[1].clone())
        };

        for n in 0..10 {
            w0.tell(Job(n)).await.unwrap();
        }
        for n in 0..5 {
            assert_eq!(w1.ask(Job(n)).await, Ok(n));
        }
        let (open, gate) = ReplyTo::pair();
        let late = w1.ask_timeout(Wait(gate), Duration::from_millis(10)).await;
        assert_eq!(late, Err(AskError::Timeout));
        open.send(()).unwrap(); // now the handler finishes
        // A crash: w0 restarts behind the same address.
        assert!(w0.ask(Job(13)).await.is_err());
        assert_eq!(w0.ask(Job(1)).await, Ok(1));

        let expected = [
            (key("retinue_messages_handled_total", "pool/w0", ""), 11.0),
            (key("retinue_messages_handled_total", "pool/w1", ""), 6.0),
            (key("retinue_asks_total", "pool/w0", ""), 2.0),
            (key("retinue_asks_total", "pool/w1", ""), 6.0),
            (key("retinue_ask_timeouts_total", "pool/w1", ""), 1.0),
            (
                key("retinue_exits_total", "pool/w0", ",reason=\"panicked\""),
                1.0,
            ),
            (key("retinue_restarts_total", "pool/w0", ""), 1.0),
            (key("retinue_actors_running", "pool/w0", ""), 1.0),
            (key("retinue_mailbox_depth", "pool/w0", ""), 0.0),
            // Sampled: the first of the instance's 6 messages (1 in 64).
            (key("retinue_handler_seconds_count", "pool/w1", ""), 1.0),
        ];
        let last = scraped(addr, &expected).await;
        // Every series exists from the first start, at zero.
        assert_eq!(
            last.get(&key("retinue_restarts_total", "pool/w1", "")),
            Some(&0.0)
        );
        let w1_panics = key("retinue_exits_total", "pool/w1", ",reason=\"panicked\"");
        assert_eq!(last.get(&w1_panics), Some(&0.0));
        assert_eq!(
            last.get(&key("retinue_ask_timeouts_total", "pool/w0", "")),
            Some(&0.0)
        );
        sup.shutdown().await;
    });
    drop(endpoint);
}

/// `name{path="..."}` of a primitive's series.
fn at(name: &str, path: &str) -> String {
    format!("{name}{{path=\"{path}\"}}")
}

/// Waits until every `expected` sample is in the scrape; returns the last.
async fn scraped(addr: std::net::SocketAddr, expected: &[(String, f64)]) -> BTreeMap<String, f64> {
    let mut last = BTreeMap::new();
    wait::wait_until("the scrape shows what the test did", || {
        last = samples(&scrape(addr).expect("the endpoint answers"));
        let ok = expected.iter().all(|(k, v)| last.get(k) == Some(v));
        async move { ok }
    })
    .await;
    last
}

#[test]
fn scraped_primitive_figures_match_what_the_test_did() {
    use retinue::sync::{
        Lock, LockActor, LockOptions, Queue, QueueActor, QueueOptions, Semaphore, SemaphoreActor,
        SemaphoreOptions,
    };
    recorder();
    let endpoint = Endpoint::start(0, || recorder().render()).expect("a free loopback port");
    let addr = endpoint.addr();
    retinue::rt::block_on(async move {
        let lock_spec = ChildSpec::worker("db_lock", || LockActor::new(LockOptions::default()));
        let slots_spec = ChildSpec::worker("slots", || {
            SemaphoreActor::new(SemaphoreOptions {
                permits: 2,
                bounded: false,
            })
        });
        let jobs_spec =
            ChildSpec::worker("jobs", || QueueActor::<u32>::new(QueueOptions::default()));
        let lock = Lock::from_addr(lock_spec.addr::<LockActor>().unwrap());
        let slots = Semaphore::from_addr(slots_spec.addr::<SemaphoreActor>().unwrap());
        let jobs = Queue::from_addr(jobs_spec.addr::<QueueActor<u32>>().unwrap());
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(lock_spec)
            .child(slots_spec)
            .child(jobs_spec)
            .spawn()
            .await
            .unwrap();

        // Lock: three acquires (one of them waits at least `HELD`), one try.
        const HELD: Duration = Duration::from_millis(20);
        let first = lock.acquire().await.unwrap();
        let waiter = retinue::rt::spawn({
            let lock = lock.clone();
            async move { drop(lock.acquire().await.unwrap()) }
        });
        wait::wait_until("the second acquire waits", || {
            let lock = lock.clone();
            async move { lock.queue_len().await == Ok(1) }
        })
        .await;
        retinue::rt::sleep(HELD).await;
        drop(first);
        waiter.await.unwrap();
        drop(lock.try_acquire().await.unwrap());
        let held = lock.acquire().await.unwrap();

        // Semaphore of 2: grants of 1 (waited for), 1 (tried), 2 (waits
        // for both), forgotten, explicitly released, then 1 held.
        let p1 = slots.acquire(1).await.unwrap();
        let p2 = slots.try_acquire(1).await.unwrap();
        let both = retinue::rt::spawn({
            let slots = slots.clone();
            async move { slots.acquire(2).await.unwrap().forget() }
        });
        wait::wait_until("the acquire of 2 waits", || {
            let slots = slots.clone();
            async move { slots.status().await.map(|s| s.waiters) == Ok(1) }
        })
        .await;
        drop((p1, p2));
        both.await.unwrap();
        slots.release(2).await.unwrap();
        let one = slots.acquire(1).await.unwrap();

        // Queue: 5 puts, 3 gets (one of them a try), 2 left.
        for n in 0..5 {
            jobs.put(n).await.unwrap();
        }
        assert_eq!(jobs.get().await, Ok(0));
        assert_eq!(jobs.get().await, Ok(1));
        assert_eq!(jobs.try_get().await, Ok(2));

        let expected = [
            (at("retinue_lock_wait_seconds_count", "db_lock"), 3.0),
            (at("retinue_lock_holders", "db_lock"), 1.0),
            (at("retinue_semaphore_wait_seconds_count", "slots"), 3.0),
            (at("retinue_semaphore_holders", "slots"), 1.0),
            (at("retinue_queue_puts_total", "jobs"), 5.0),
            (at("retinue_queue_gets_total", "jobs"), 3.0),
            (at("retinue_queue_length", "jobs"), 2.0),
        ];
        let last = scraped(addr, &expected).await;
        let waited = last[&at("retinue_lock_wait_seconds_sum", "db_lock")];
        assert!(waited >= HELD.as_secs_f64(), "lock waits sum to {waited}s");

        // Released and emptied, the gauges go back to zero.
        drop((held, one));
        assert_eq!(jobs.get_many(10).await, Ok(vec![3, 4]));
        let expected = [
            (at("retinue_lock_holders", "db_lock"), 0.0),
            (at("retinue_semaphore_holders", "slots"), 0.0),
            (at("retinue_queue_length", "jobs"), 0.0),
            (at("retinue_queue_gets_total", "jobs"), 5.0),
        ];
        scraped(addr, &expected).await;
        sup.shutdown().await;
    });
    drop(endpoint);
}
