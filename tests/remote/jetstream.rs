//! The cross-machine lock and queue over a real nats-server (JetStream),
//! several nodes in one process. `procs.rs` kills processes.

#![cfg(feature = "nats")]

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::nats::NatsServer;
use common::wait::{LONG, wait_until};
use retinue::pool::{Pool, Routing};
use retinue::remote::{Node, RemoteErrorKind, RemoteLockOptions, RemoteQueueOptions};
use retinue::sync::{AckSource, Delivery};
use retinue::{Actor, Context, Handler, Message, rt};
use serde::{Deserialize, Serialize};

async fn node(server: &NatsServer, name: &str) -> Node {
    common::nats::connect(&server.url(), name).await
}

#[test]
fn lock_grants_one_holder_at_a_time_with_increasing_tokens() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        let opts = RemoteLockOptions {
            lease: Duration::from_secs(30),
        };
        let la = a.lock("l", opts).await.unwrap();
        let lb = b.lock("l", opts).await.unwrap();
        let first = la.acquire().await.unwrap();
        assert!(lb.is_locked().await.unwrap());
        assert_eq!(lb.holder_token().await.unwrap(), Some(first.token()));
        let err = lb.try_acquire().await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::WouldBlock, "{err}");
        let err = lb
            .acquire_timeout(Duration::from_millis(100))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::Timeout, "{err}");

        let waiting = {
            let lb = lb.clone();
            rt::spawn(async move { lb.acquire().await })
        };
        let t1 = first.token();
        first.release().await.unwrap();
        let second = rt::timeout(LONG, waiting).await.unwrap().unwrap().unwrap();
        assert!(second.token() > t1, "{} > {t1}", second.token());
        assert!(second.is_current().await.unwrap());
        drop(second); // releases in the background
        let third = la.acquire_timeout(LONG).await.unwrap();
        assert!(third.token() > t1);
    });
}

#[test]
fn a_lease_expires_and_the_old_token_is_stale() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        let opts = RemoteLockOptions {
            lease: Duration::from_millis(400),
        };
        let la = a.lock("lease", opts).await.unwrap();
        let lb = b.lock("lease", opts).await.unwrap();
        let old = la.acquire().await.unwrap();
        // b waits; the holder never releases; the lease ends it.
        let new = lb.acquire_timeout(LONG).await.unwrap();
        assert!(new.token() > old.token());
        assert!(!old.is_current().await.unwrap());
        let err = old.release().await.unwrap_err();
        assert_eq!(err.kind(), RemoteErrorKind::Stale, "{err}");
        assert!(
            new.is_current().await.unwrap(),
            "a stale release changes nothing"
        );
    });
}

#[test]
fn queue_put_get_ack_and_redelivery_with_counts() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let b = node(&server, "b").await;
        let opts = RemoteQueueOptions {
            ack_wait: Duration::from_millis(500),
            max_deliveries: 3,
        };
        let qa = a.queue::<String>("jobs", opts).await.unwrap();
        let qb = b.queue::<String>("jobs", opts).await.unwrap();
        qa.put(&"one".to_string()).await.unwrap();
        qa.put(&"two".to_string()).await.unwrap();
        assert_eq!(qa.len().await.unwrap(), 2);

        let d = qb.get().await.unwrap();
        assert_eq!((d.value().as_str(), d.delivery_count()), ("one", 1));
        assert_eq!(d.ack().await.unwrap(), "one");

        // Taken and never acked (a hung worker): redelivered after ack_wait.
        let hung = qb.get().await.unwrap();
        assert_eq!(hung.value(), "two");
        std::mem::forget(hung); // neither ack nor the drop's hand-back
        let again = qa.get_timeout(LONG).await.unwrap().expect("redelivered");
        assert_eq!((again.value().as_str(), again.delivery_count()), ("two", 2));
        // Dropped unacked: handed back at once.
        drop(again);
        let third = qa.get_timeout(LONG).await.unwrap().expect("handed back");
        assert_eq!(third.delivery_count(), 3);
        third.ack().await.unwrap();
        assert!(qa.is_empty().await.unwrap());
        assert!(
            qa.get_timeout(Duration::from_millis(200))
                .await
                .unwrap()
                .is_none()
        );
    });
}

#[test]
fn an_item_delivered_too_often_goes_to_the_dead_letters() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let opts = RemoteQueueOptions {
            ack_wait: Duration::from_secs(30),
            max_deliveries: 2,
        };
        let q = a.queue::<u32>("poison", opts).await.unwrap();
        q.put(&7).await.unwrap();
        for n in 1..=2 {
            let d = q.get_timeout(LONG).await.unwrap().expect("delivered");
            assert_eq!(d.delivery_count(), n);
            d.nack().await.unwrap();
        }
        assert!(
            q.get_timeout(Duration::from_millis(300))
                .await
                .unwrap()
                .is_none()
        );
        assert!(q.is_empty().await.unwrap(), "moved out");
        let dead = q.dead_letters().await.unwrap();
        let d = dead.get_timeout(LONG).await.unwrap().expect("dead letter");
        assert_eq!(*d.value(), 7);
        d.ack().await.unwrap();
        assert!(dead.is_empty().await.unwrap());
    });
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Job(u64);
impl Message for Job {
    type Reply = ();
}

/// Counts the jobs it finished; panics on the first delivery of job 7.
#[derive(Clone, Default)]
struct Worker {
    done: Arc<Mutex<HashMap<u64, u32>>>,
    crashed: Arc<Mutex<Vec<u64>>>,
}
impl Actor for Worker {}
impl Handler<Job> for Worker {
    async fn handle(&mut self, job: Job, _: &mut Context<Self>) {
        {
            let mut crashed = self.crashed.lock().unwrap();
            if job.0 == 7 && crashed.is_empty() {
                crashed.push(job.0);
                drop(crashed);
                panic!("job 7 crashes its worker the first time");
            }
        }
        *self.done.lock().unwrap().entry(job.0).or_insert(0) += 1;
    }
}

#[test]
fn a_pool_fed_from_a_remote_queue_does_every_job_and_redelivers_a_crashed_one() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let options = RemoteQueueOptions {
            ack_wait: Duration::from_secs(30),
            max_deliveries: 5,
        };
        let queue = a.queue::<Job>("pool-jobs", options).await.unwrap();
        for j in 0..40 {
            queue.put(&Job(j)).await.unwrap();
        }
        let worker = Worker::default();
        let w = worker.clone();
        let pool = Pool::builder(move || w.clone())
            .size(3)
            .routing(Routing::Balancing)
            .spawn()
            .await
            .unwrap();
        pool.feed_from(queue.clone(), 1);
        wait_until("every job is done and acked", || async {
            worker.done.lock().unwrap().len() == 40 && queue.is_empty().await.unwrap()
        })
        .await;
        let done = worker.done.lock().unwrap().clone();
        assert!((0..40).all(|j| done.get(&j) == Some(&1)), "{done:?}");
        assert_eq!(*worker.crashed.lock().unwrap(), vec![7]);
        pool.shutdown().await;
        a.close().await;
    });
}

#[test]
fn remote_deliveries_keep_the_ack_contract() {
    let server = NatsServer::start();
    rt::block_on(async {
        let a = node(&server, "a").await;
        let queue = a
            .queue::<Job>("contract", RemoteQueueOptions::default())
            .await
            .unwrap();
        queue.put(&Job(1)).await.unwrap();
        // Through the trait, as a pool sees it.
        let first = AckSource::next_delivery(&queue).await.unwrap();
        assert_eq!((first.item().0, Delivery::delivery_count(&first)), (1, 1));
        Delivery::nack(first).await.unwrap();
        let again = rt::timeout(LONG, AckSource::next_delivery(&queue))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.item().0, Delivery::delivery_count(&again)), (1, 2));
        Delivery::ack(again).await.unwrap();
        assert!(queue.is_empty().await.unwrap());
        a.close().await;
    });
}
