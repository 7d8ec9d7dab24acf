//! Queue: unit tests and a stress test (the model test is in
//! `queue_model.rs`).

use std::time::Duration;

use futures_lite::StreamExt;
use futures_lite::future::poll_once;
use retinue::rt;
use retinue::sync::{
    GetError, PutError, Queue, QueueError, QueueOptions, QueueOrder, TryGetError, TryPutError,
};

const LONG: Duration = Duration::from_secs(10);

async fn until<T: Send + 'static>(
    q: &Queue<T>,
    what: &str,
    f: impl Fn(&retinue::sync::queue::QueueStatus) -> bool,
) {
    rt::timeout(LONG, async {
        while !f(&q.status().await.unwrap()) {
            rt::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never reached: {what}"));
}

#[test]
fn orders_fifo_lifo_priority() {
    rt::block_on(async {
        let fifo = Queue::fifo(0);
        let lifo = Queue::lifo(0);
        let prio = Queue::priority(0);
        let by_key = Queue::priority_by_key(0, |(p, _): &(u8, &str)| *p);
        for v in [3, 1, 2] {
            fifo.put(v).await.unwrap();
            lifo.put(v).await.unwrap();
            prio.put(v).await.unwrap();
        }
        for item in [(2, "a"), (1, "b"), (2, "c"), (1, "d")] {
            by_key.put(item).await.unwrap();
        }
        let mut out = (vec![], vec![], vec![]);
        for _ in 0..3 {
            out.0.push(fifo.get().await.unwrap());
            out.1.push(lifo.get().await.unwrap());
            out.2.push(prio.get().await.unwrap());
        }
        assert_eq!(out, (vec![3, 1, 2], vec![2, 1, 3], vec![1, 2, 3]));
        let mut keyed = vec![];
        while let Ok((_, name)) = by_key.try_get().await {
            keyed.push(name);
        }
        assert_eq!(
            keyed,
            ["b", "d", "a", "c"],
            "smallest first, ties in put order"
        );
        let opts = QueueOptions {
            maxsize: 0,
            order: QueueOrder::Priority,
        };
        let from_opts: Queue<i32> = Queue::new(opts);
        from_opts.put(5).await.unwrap();
        from_opts.put(-5).await.unwrap();
        assert_eq!(from_opts.get().await, Ok(-5));
    });
}

#[test]
fn bounded_try_put_gives_the_item_back_and_put_waits_for_room() {
    rt::block_on(async {
        let q = Queue::fifo(2);
        q.try_put("a").await.unwrap();
        q.put("b").await.unwrap();
        match q.try_put("c").await {
            Err(TryPutError::Full(item)) => assert_eq!(item, "c"),
            other => panic!("expected Full, got {other:?}"),
        }
        let blocked = {
            let q = q.clone();
            rt::spawn(async move { q.put("c").await })
        };
        until(&q, "one putter", |s| s.putters == 1).await;
        // A try_put never overtakes a queued putter.
        assert!(matches!(q.try_put("x").await, Err(TryPutError::Full("x"))));
        assert_eq!(q.get().await, Ok("a"));
        blocked.await.unwrap().unwrap();
        assert_eq!(q.len().await, Ok(2));
        assert_eq!(q.get().await, Ok("b"));
        assert_eq!(q.get().await, Ok("c"));
    });
}

#[test]
fn put_hands_the_item_straight_to_a_waiting_getter() {
    rt::block_on(async {
        let q = Queue::fifo(1);
        let getter = {
            let q = q.clone();
            rt::spawn(async move { q.get().await })
        };
        until(&q, "one getter", |s| s.getters == 1).await;
        q.put(7).await.unwrap();
        assert_eq!(getter.await.unwrap(), Ok(7));
        let s = q.status().await.unwrap();
        assert_eq!((s.len, s.getters, s.unfinished), (0, 0, 1));
    });
}

#[test]
fn try_and_timeout_forms() {
    rt::block_on(async {
        let q = Queue::fifo(1);
        assert_eq!(q.try_get().await, Err(TryGetError::Empty));
        assert_eq!(
            q.get_timeout(Duration::from_millis(10)).await,
            Err(GetError::Timeout)
        );
        q.put(1).await.unwrap();
        match q.put_timeout(2, Duration::from_millis(10)).await {
            Err(PutError::Timeout(item)) => assert_eq!(item, 2),
            other => panic!("expected Timeout(2), got {other:?}"),
        }
        let s = q.status().await.unwrap();
        assert_eq!((s.len, s.putters, s.getters, s.unfinished), (1, 0, 0, 1));
        assert_eq!(q.get_timeout(LONG).await, Ok(1));
        assert_eq!(q.put_timeout(3, LONG).await, Ok(()));
        assert_eq!(q.try_get().await, Ok(3));
    });
}

#[test]
fn task_done_and_join() {
    rt::block_on(async {
        let q = Queue::fifo(0);
        q.join().await.unwrap(); // fresh queue: at once
        assert_eq!(q.task_done().await, Err(QueueError::TaskDoneTooMany));
        q.put(1).await.unwrap();
        q.put(2).await.unwrap();
        let joiner = {
            let q = q.clone();
            rt::spawn(async move { q.join().await })
        };
        assert_eq!(
            q.join_timeout(Duration::from_millis(10)).await,
            Err(QueueError::Timeout)
        );
        q.get().await.unwrap();
        q.task_done().await.unwrap();
        q.get().await.unwrap();
        q.task_done().await.unwrap();
        assert_eq!(rt::timeout(LONG, joiner).await.unwrap().unwrap(), Ok(()));
        assert_eq!(q.task_done().await, Err(QueueError::TaskDoneTooMany));
    });
}

#[test]
fn shutdown_drain() {
    rt::block_on(async {
        let q = Queue::fifo(1);
        q.put("kept").await.unwrap();
        let blocked = {
            let q = q.clone();
            rt::spawn(async move { q.put("blocked").await })
        };
        until(&q, "one putter", |s| s.putters == 1).await;
        q.shutdown(false).await.unwrap();
        assert!(matches!(
            blocked.await.unwrap(),
            Err(PutError::ShutDown("blocked"))
        ));
        assert!(matches!(
            q.put("late").await,
            Err(PutError::ShutDown("late"))
        ));
        assert!(matches!(
            q.try_put("late").await,
            Err(TryPutError::ShutDown("late"))
        ));
        assert_eq!(q.get().await, Ok("kept"));
        assert_eq!(q.get().await, Err(GetError::ShutDown));
        assert_eq!(q.try_get().await, Err(TryGetError::ShutDown));
    });
}

#[test]
fn shutdown_drain_wakes_blocked_getters() {
    rt::block_on(async {
        let q: Queue<u8> = Queue::fifo(0);
        let getter = {
            let q = q.clone();
            rt::spawn(async move { q.get().await })
        };
        until(&q, "one getter", |s| s.getters == 1).await;
        q.shutdown(false).await.unwrap();
        assert_eq!(getter.await.unwrap(), Err(GetError::ShutDown));
    });
}

#[test]
fn shutdown_immediate_drops_items_counting_them_done() {
    rt::block_on(async {
        let q = Queue::fifo(0);
        for i in 0..3 {
            q.put(i).await.unwrap();
        }
        q.get().await.unwrap(); // taken, not yet done
        let joiner = {
            let q = q.clone();
            rt::spawn(async move { q.join().await })
        };
        q.shutdown(true).await.unwrap();
        assert_eq!(q.try_get().await, Err(TryGetError::ShutDown));
        let s = q.status().await.unwrap();
        assert_eq!((s.len, s.unfinished), (0, 1));
        q.task_done().await.unwrap();
        assert_eq!(rt::timeout(LONG, joiner).await.unwrap().unwrap(), Ok(()));
    });
}

#[test]
fn cancelled_getter_loses_no_item_whichever_side_of_the_race() {
    rt::block_on(async {
        for order in [QueueOrder::Fifo, QueueOrder::Lifo, QueueOrder::Priority] {
            let q: Queue<u32> = Queue::new(QueueOptions { maxsize: 0, order });
            // 1. The item was stored in the getter's reply slot, never taken.
            let mut get = Box::pin(q.get());
            assert!(poll_once(&mut get).await.is_none());
            q.put(1).await.unwrap(); // handed straight to the getter
            q.status().await.unwrap(); // the hand-over has happened
            drop(get); // ... and the getter never looks
            until(&q, "item back", |s| s.len == 1).await;
            q.put(2).await.unwrap();
            // The returned item is next out (front / top / first among equals).
            let first = q.get().await.unwrap();
            if order == QueueOrder::Lifo {
                assert_eq!(first, 2);
            } else {
                assert_eq!(first, 1);
            }
            q.get().await.unwrap();
            // 2. The getter gave up before the put: the put skips it.
            let mut get = Box::pin(q.get());
            assert!(poll_once(&mut get).await.is_none());
            drop(get);
            q.put(3).await.unwrap();
            assert_eq!(q.try_get().await, Ok(3));
            let s = q.status().await.unwrap();
            assert_eq!((s.len, s.getters, s.unfinished), (0, 0, 3));
        }
    });
}

#[test]
fn batches_keep_order_and_come_back_whole() {
    rt::block_on(async {
        let q = Queue::fifo(0);
        assert_eq!(q.get_many(0).await, Err(GetError::ZeroCount));
        q.put_many(vec![1, 2, 3, 4]).await.unwrap();
        // A batch stored in a reply slot and never taken comes back, in order.
        let mut get = Box::pin(q.get_many(3));
        if let Some(taken) = poll_once(&mut get).await {
            // On two workers the reply can beat the first poll: then the
            // batch was legitimately taken, and only the rest remains.
            assert_eq!(taken, Ok(vec![1, 2, 3]));
            assert_eq!(q.get_many(10).await, Ok(vec![4]));
            return;
        }
        q.status().await.unwrap(); // the batch now sits in the reply slot
        drop(get);
        until(&q, "batch back", |s| s.len == 4).await;
        assert_eq!(q.get_many(10).await, Ok(vec![1, 2, 3, 4]));
        assert_eq!(q.status().await.unwrap().unfinished, 4);
    });
}

#[test]
fn put_many_waits_for_room_and_shutdown_returns_the_rest() {
    rt::block_on(async {
        let q = Queue::fifo(2);
        let producer = {
            let q = q.clone();
            rt::spawn(async move { q.put_many(vec!["a", "b", "c", "d", "e"]).await })
        };
        until(&q, "batch parked", |s| s.len == 2 && s.putters == 1).await;
        assert_eq!(q.get().await, Ok("a"));
        until(&q, "room refilled", |s| s.len == 2).await;
        q.shutdown(false).await.unwrap();
        match producer.await.unwrap() {
            Err(PutError::ShutDown(rest)) => assert_eq!(rest, ["d", "e"]),
            other => panic!("expected the rest back, got {other:?}"),
        }
        assert_eq!(q.get_many(5).await, Ok(vec!["b", "c"]));
        assert_eq!(q.get_many(5).await, Err(GetError::ShutDown));
    });
}

#[test]
fn stream_consumes_until_drained_shutdown() {
    rt::block_on(async {
        let q = Queue::fifo(2);
        let producer = {
            let q = q.clone();
            rt::spawn(async move {
                for i in 0..10 {
                    q.put(i).await.unwrap();
                }
                q.shutdown(false).await.unwrap();
            })
        };
        let got: Vec<i32> = q.stream().collect().await;
        producer.await.unwrap();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
    });
}

#[test]
fn stopped_actor_gives_items_back() {
    rt::block_on(async {
        let q = Queue::fifo(0);
        q.addr().stop();
        q.addr().wait_stopped().await;
        assert!(matches!(q.put(1).await, Err(PutError::Closed(1))));
        assert!(matches!(q.try_put(2).await, Err(TryPutError::Closed(2))));
        assert!(matches!(q.get().await, Err(GetError::Unavailable(_))));
    });
}

#[test]
fn options_deserialize() {
    use serde::de::value::{Error, MapDeserializer};
    let opts: QueueOptions = serde::Deserialize::deserialize(MapDeserializer::<_, Error>::new(
        [("order", "priority")].into_iter(),
    ))
    .unwrap();
    assert_eq!(
        opts,
        QueueOptions {
            maxsize: 0,
            order: QueueOrder::Priority
        }
    );
}

#[test]
fn stress_every_item_got_exactly_once() {
    rt::block_on(async {
        const PRODUCERS: u32 = 4;
        const PER: u32 = 500;
        let q = Queue::fifo(16);
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let q = q.clone();
                rt::spawn(async move {
                    for i in 0..PER {
                        let item = p * PER + i;
                        if p == 0 && i % 10 == 0 {
                            // A batch of ten.
                            q.put_many((item..item + 10).collect()).await.unwrap();
                        } else if p == 0 {
                            // covered by the batch
                        } else if i % 5 == 0 {
                            // Some puts time out and are retried with the returned item.
                            let mut item = item;
                            loop {
                                match q.put_timeout(item, Duration::from_micros(30)).await {
                                    Ok(()) => break,
                                    Err(PutError::Timeout(back)) => item = back,
                                    Err(e) => panic!("{e}"),
                                }
                            }
                        } else {
                            q.put(item).await.unwrap();
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..6)
            .map(|c| {
                let q = q.clone();
                rt::spawn(async move {
                    let mut got = Vec::new();
                    let mut n = 0u32;
                    loop {
                        n += 1;
                        if c == 0 && n % 2 == 0 {
                            match q.get_many(7).await {
                                Ok(items) => {
                                    for item in items {
                                        got.push(item);
                                        q.task_done().await.unwrap();
                                    }
                                    continue;
                                }
                                Err(GetError::ShutDown) => return got,
                                Err(e) => panic!("{e}"),
                            }
                        }
                        let r = if (n + c) % 3 == 0 {
                            // Cancelled gets (tiny timeouts) must not lose items.
                            match q.get_timeout(Duration::from_micros(20)).await {
                                Err(GetError::Timeout) => continue,
                                r => r,
                            }
                        } else {
                            q.get().await
                        };
                        match r {
                            Ok(item) => {
                                got.push(item);
                                q.task_done().await.unwrap();
                            }
                            Err(GetError::ShutDown) => return got,
                            Err(e) => panic!("{e}"),
                        }
                    }
                })
            })
            .collect();
        for p in producers {
            p.await.unwrap();
        }
        q.join_timeout(LONG).await.unwrap();
        q.shutdown(false).await.unwrap();
        let mut all = Vec::new();
        for c in consumers {
            all.extend(c.await.unwrap());
        }
        all.sort_unstable();
        assert_eq!(
            all,
            (0..PRODUCERS * PER).collect::<Vec<_>>(),
            "lost or duplicated"
        );
    });
}

/// An item that records its own drop (proof that no one holds it any more).
struct Tracked(#[allow(dead_code)] async_channel::Sender<()>);

fn tracked() -> (Tracked, async_channel::Receiver<()>) {
    let (tx, rx) = async_channel::bounded(1);
    (Tracked(tx), rx)
}

fn is_dropped(rx: &async_channel::Receiver<()>) -> bool {
    rx.try_recv() == Err(async_channel::TryRecvError::Closed)
}

/// Issue 12, defect 2: a put parked on a full queue is granted room by a
/// get, then dropped from outside before it is polled again. The cancelled
/// put must not have happened, and a retry must land exactly once.
#[test]
fn put_cancelled_as_a_get_frees_room_never_lands_and_retry_does_not_duplicate() {
    rt::block_on(async {
        let q = Queue::fifo(1);
        q.put(0u32).await.unwrap();
        let mut parked = Box::pin(q.put(1));
        assert!(poll_once(&mut parked).await.is_none());
        until(&q, "the put is parked", |s| s.putters == 1).await;
        assert_eq!(q.get().await, Ok(0)); // frees the slot: room goes to the parked put
        q.status().await.unwrap(); // the actor has finished that handler
        drop(parked); // cancelled from outside, its answer unread
        let s = q.status().await.unwrap();
        assert_eq!((s.len, s.putters, s.unfinished), (0, 0, 1), "never landed");
        // The retry finds the slot (no hang on maxsize 1) and lands once.
        rt::timeout(LONG, q.put(1))
            .await
            .expect("retry hung")
            .unwrap();
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.try_get().await, Err(TryGetError::Empty), "no duplicate");
    });
}

/// The same race for `try_put`: answered with room, dropped unread.
#[test]
fn try_put_dropped_after_its_answer_never_lands() {
    rt::block_on(async {
        let q = Queue::fifo(1);
        // The actor runs on another thread and may answer within the first
        // poll; such a put legitimately landed, so take it back and try
        // again until the answer arrives after the poll (the race under test).
        for _ in 0..1_000 {
            let mut fut = Box::pin(q.try_put(5u32));
            if poll_once(&mut fut).await.is_some() {
                assert_eq!(q.try_get().await, Ok(5));
                continue;
            }
            q.status().await.unwrap(); // answered (a permit waits in the reply)
            drop(fut);
            assert_eq!(q.status().await.unwrap().len, 0);
            q.try_put(6).await.unwrap(); // the reserved slot came back
            assert_eq!(q.try_get().await, Ok(6));
            return;
        }
        panic!("the answer never arrived after the first poll in 1000 tries");
    });
}

/// Issue 12, defect 3: 50 puts abandoned behind a live one release their
/// items and leave the putter list at once, without anyone calling
/// `status` first (which only looks), and the live one is still served.
#[test]
fn abandoned_puts_release_their_items_and_leave_promptly() {
    rt::block_on(async {
        let q = Queue::fifo(1);
        let (first, _) = tracked();
        q.put(first).await.unwrap();
        let (live_item, live_rx) = tracked();
        let mut live = Box::pin(q.put(live_item));
        assert!(poll_once(&mut live).await.is_none());
        let mut abandoned = Vec::new();
        let mut receivers = Vec::new();
        for _ in 0..50 {
            let (item, rx) = tracked();
            let mut fut = Box::pin(q.put(item));
            assert!(poll_once(&mut fut).await.is_none());
            abandoned.push(fut);
            receivers.push(rx);
        }
        until(&q, "51 parked putters", |s| s.putters == 51).await;
        drop(abandoned);
        assert!(receivers.iter().all(is_dropped), "the items are released");
        let s = q.status().await.unwrap();
        assert_eq!(s.putters, 1, "only the live putter is still held");
        assert_eq!(q.status().await.unwrap(), s, "looking changes nothing");
        drop(q.get().await.unwrap());
        rt::timeout(LONG, live).await.expect("live put").unwrap();
        assert!(!is_dropped(&live_rx), "the live item is in the queue");
        assert_eq!(q.status().await.unwrap().len, 1);
    });
}

/// Abandoned getters and joiners leave their lists at once too.
#[test]
fn abandoned_getters_and_joiners_leave_promptly() {
    rt::block_on(async {
        let q = Queue::<u32>::fifo(0);
        let mut gets: Vec<_> = (0..20).map(|_| Box::pin(q.get())).collect();
        for g in &mut gets {
            assert!(poll_once(g).await.is_none());
        }
        until(&q, "20 getters", |s| s.getters == 20).await;
        gets.truncate(1);
        assert_eq!(q.status().await.unwrap().getters, 1);
        q.put(3).await.unwrap();
        assert_eq!(rt::timeout(LONG, gets.pop().unwrap()).await, Ok(Ok(3)));
    });
}

/// A put cancelled by a timeout from outside, in a loop against a consumer:
/// every item that `put` said `Ok` to arrives exactly once, and no item
/// whose put was cancelled ever arrives.
#[test]
fn puts_cancelled_from_outside_never_land() {
    rt::block_on(async {
        let q = Queue::fifo(1);
        let consumer = {
            let q = q.clone();
            rt::spawn(async move {
                let mut got = Vec::new();
                while let Ok(v) = q.get().await {
                    got.push(v);
                    rt::yield_now().await;
                }
                got
            })
        };
        let mut accepted = Vec::new();
        for v in 0..2000u32 {
            let put = q.put(v);
            let mut put = Box::pin(put);
            // Cancel at a random point: after 0..3 polls.
            let mut done = None;
            for _ in 0..fastrand::usize(0..3) {
                if let Some(r) = poll_once(&mut put).await {
                    done = Some(r);
                    break;
                }
                rt::yield_now().await;
            }
            if let Some(r) = done {
                r.unwrap();
                accepted.push(v);
            }
        }
        q.shutdown(false).await.unwrap();
        let got = consumer.await.unwrap();
        assert_eq!(got, accepted, "exactly the accepted puts, once, in order");
    });
}
