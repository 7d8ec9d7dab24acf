//! Queue: acknowledged (at-least-once) deliveries, redelivery to the front
//! with a count, dead letters, and `join` that counts acked items.

use std::time::Duration;

use futures_lite::future::poll_once;
use retinue::rt;
use retinue::sync::{AckOptions, AckSource, Delivery, Queue};

const LONG: Duration = Duration::from_secs(10);

fn run<F: std::future::Future>(f: F) -> F::Output {
    rt::block_on(rt::timeout(LONG, f)).expect("test hung")
}

#[test]
fn unacked_delivery_goes_back_to_the_front_with_its_count() {
    run(async {
        let q = Queue::fifo(0);
        for job in ["a", "b"] {
            q.put(job).await.unwrap();
        }
        let a = q.get_delivery().await.unwrap();
        assert_eq!((*a.item(), a.delivery_count()), ("a", 1));
        a.nack().await.unwrap();
        let a = q.get_delivery().await.unwrap();
        assert_eq!((*a.item(), a.delivery_count()), ("a", 2), "front, counted");
        drop(a); // dropped unacked: same as a nack
        let a = q.get_delivery().await.unwrap();
        assert_eq!(a.delivery_count(), 3);
        assert!(
            q.join_timeout(Duration::from_millis(20)).await.is_err(),
            "not done before the ack"
        );
        a.ack().await.unwrap();
        let b = q.get_delivery().await.unwrap();
        assert_eq!((*b.item(), b.delivery_count()), ("b", 1));
        b.ack().await.unwrap();
        q.join().await.unwrap();
        assert_eq!(q.status().await.unwrap().unfinished, 0);
    });
}

#[test]
fn a_panicking_or_aborted_consumer_loses_nothing_and_join_returns() {
    run(async {
        let q = Queue::fifo(0);
        q.put(1u32).await.unwrap();
        q.put(2u32).await.unwrap();
        let crashing = {
            let q = q.clone();
            rt::spawn(async move {
                let _d = q.get_delivery().await.unwrap();
                panic!("worker crashed mid-job");
            })
        };
        assert!(crashing.await.is_err(), "the task panicked");
        // The crashed task's nack is a message of its own: wait until the
        // next consumer holds item 1 again (not for `len == 1`, which is
        // also true before that nack lands).
        let (holding_tx, holding) = async_channel::bounded(1);
        let aborted = {
            let q = q.clone();
            rt::spawn(async move {
                let d = q.get_delivery().await.unwrap();
                holding_tx
                    .send((*d.item(), d.delivery_count()))
                    .await
                    .unwrap();
                std::future::pending::<()>().await;
                d.ack().await
            })
        };
        assert_eq!(holding.recv().await, Ok((1, 2)), "back at the front");
        aborted.abort();
        assert!(aborted.await.is_err());
        let mut seen = vec![];
        for _ in 0..2 {
            let got = q.get_delivery().await.unwrap();
            seen.push((*got.item(), got.delivery_count()));
            got.ack().await.unwrap();
        }
        assert_eq!(
            seen,
            [(1, 3), (2, 1)],
            "1 back at the front twice; none lost"
        );
        q.join().await.unwrap();
    });
}

#[test]
fn after_max_deliveries_the_item_goes_to_the_dead_letter_queue() {
    run(async {
        let dead = Queue::fifo(1);
        dead.put("already there").await.unwrap(); // full: dead letters still go in
        let acks = AckOptions {
            max_deliveries: 2,
            dead_letter: Some(dead.clone()),
        };
        let q = Queue::acked(0, acks);
        q.put("poison").await.unwrap();
        q.get_delivery().await.unwrap().nack().await.unwrap();
        let second = q.get_delivery().await.unwrap();
        assert_eq!(second.delivery_count(), 2);
        drop(second); // the last delivery: dead-lettered, counted done
        q.join().await.unwrap();
        assert_eq!(q.status().await.unwrap().len, 0);
        assert_eq!(dead.get().await, Ok("already there"));
        assert_eq!(dead.get().await, Ok("poison"));
    });
}

#[test]
fn without_a_dead_letter_queue_the_last_delivery_is_dropped_and_done() {
    run(async {
        let acks = AckOptions {
            max_deliveries: 1,
            dead_letter: None,
        };
        let q = Queue::acked(0, acks);
        q.put(9u8).await.unwrap();
        q.get_delivery().await.unwrap().nack().await.unwrap();
        q.join().await.unwrap();
        assert_eq!(q.status().await.unwrap().len, 0);
    });
}

#[test]
fn a_delivery_that_reached_no_one_does_not_count() {
    run(async {
        let q = Queue::fifo(0);
        let mut get = Box::pin(q.get_delivery());
        assert!(poll_once(&mut get).await.is_none());
        q.put("x").await.unwrap(); // handed to the waiting getter...
        q.status().await.unwrap();
        drop(get); // ...which gave up before taking it
        let d = q.get_delivery().await.unwrap();
        assert_eq!(d.delivery_count(), 1, "the lost hand-over is no delivery");
        d.ack().await.unwrap();
        q.join().await.unwrap();
    });
}

#[test]
fn the_ack_source_trait_serves_generic_consumers() {
    async fn drain<S: AckSource<Item = u32>>(source: S, n: usize) -> u32 {
        let mut sum = 0;
        for _ in 0..n {
            let d = source.next_delivery().await.unwrap();
            sum += *d.item();
            d.ack().await.unwrap();
        }
        sum
    }
    run(async {
        let q = Queue::fifo(0);
        for v in 1..=4 {
            q.put(v).await.unwrap();
        }
        assert_eq!(drain(q.clone(), 4).await, 10);
        q.shutdown(false).await.unwrap();
        assert_eq!(
            q.next_delivery().await.err(),
            Some(retinue::sync::DeliveryError::ShutDown)
        );
        q.join().await.unwrap();
    });
}
