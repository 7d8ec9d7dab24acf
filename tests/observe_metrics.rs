//! The `metrics` feature, end to end: a Prometheus recorder, the example's
//! scrape endpoint on a free loopback port, a supervised pool that handles,
//! asks, times out, crashes and restarts; the scraped figures are exactly
//! what the test did.

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
            // Sampled: the first of the instance's 6 messages (1 in 16).
            (key("retinue_handler_seconds_count", "pool/w1", ""), 1.0),
        ];
        let mut last = BTreeMap::new();
        wait::wait_until("the scrape shows what the test did", || {
            last = samples(&scrape(addr).expect("the endpoint answers"));
            let ok = expected.iter().all(|(k, v)| last.get(k) == Some(v));
            async move { ok }
        })
        .await;
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
