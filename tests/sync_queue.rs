//! Queue: unit tests, a model-based property test and a stress test.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_lite::StreamExt;
use futures_lite::future::poll_once;
use proptest::prelude::*;
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
        let _ = poll_once(&mut get).await; // may or may not be ready yet
        q.status().await.unwrap();
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

// ---- model-based property test -------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Put,
    /// put_many of this many fresh values.
    PutMany(usize),
    TryPut,
    Get,
    /// get_many(max).
    GetMany(usize),
    TryGet,
    CancelGet(usize),
    CancelPut(usize),
    /// Put, then drop a pending getter before the actor is seen to react:
    /// the item may be in flight to it.
    PutThenCancelGet(usize),
    TaskDone,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Put),
        2 => (0..4usize).prop_map(Op::PutMany),
        1 => Just(Op::TryPut),
        4 => Just(Op::Get),
        2 => (1..4usize).prop_map(Op::GetMany),
        1 => Just(Op::TryGet),
        1 => (0..3usize).prop_map(Op::CancelGet),
        1 => (0..3usize).prop_map(Op::CancelPut),
        2 => (0..3usize).prop_map(Op::PutThenCancelGet),
        1 => Just(Op::TaskDone),
    ]
}

type PendingGet = Pin<Box<dyn Future<Output = Result<Vec<u32>, GetError>> + Send>>;
type PendingPut = Pin<Box<dyn Future<Output = Result<(), ()>> + Send>>;

#[derive(Default)]
struct Model {
    lifo: bool,
    maxsize: usize,
    items: VecDeque<u32>,
    /// (id, max items)
    getters: VecDeque<(u64, usize)>,
    /// (id, values not yet accepted)
    putters: VecDeque<(u64, VecDeque<u32>)>,
    unfinished: usize,
    got: BTreeMap<u64, Vec<u32>>,
    put_ok: BTreeSet<u64>,
}

impl Model {
    fn room(&self) -> bool {
        self.maxsize == 0 || self.items.len() < self.maxsize
    }
    fn push(&mut self, v: u32) {
        self.items.push_back(v);
        self.unfinished += 1;
    }
    fn pop(&mut self) -> Option<u32> {
        if self.lifo {
            self.items.pop_back()
        } else {
            self.items.pop_front()
        }
    }
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while !self.items.is_empty() && !self.getters.is_empty() {
                let (g, max) = self.getters.pop_front().unwrap();
                let mut batch = Vec::new();
                while batch.len() < max {
                    match self.pop() {
                        Some(v) => batch.push(v),
                        None => break,
                    }
                }
                self.got.insert(g, batch);
                progressed = true;
            }
            while self.room() && !self.putters.is_empty() {
                let (p, values) = self.putters.front_mut().unwrap();
                let p = *p;
                if let Some(v) = values.pop_front() {
                    self.push(v);
                }
                if self.putters.front().unwrap().1.is_empty() {
                    self.putters.pop_front();
                    self.put_ok.insert(p);
                }
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }
    fn put(&mut self, id: u64, values: Vec<u32>) {
        if values.is_empty() {
            // An empty batch is answered at once, even behind other putters.
            self.put_ok.insert(id);
        } else {
            self.putters.push_back((id, values.into()));
        }
        self.pump();
    }
}

fn run_model(maxsize: usize, lifo: bool, ops: Vec<Op>) {
    rt::block_on(async move {
        let q: Queue<u32> = if lifo {
            Queue::lifo(maxsize)
        } else {
            Queue::fifo(maxsize)
        };
        let mut model = Model {
            lifo,
            maxsize,
            ..Model::default()
        };
        let mut gets: BTreeMap<u64, PendingGet> = BTreeMap::new();
        let mut puts: BTreeMap<u64, PendingPut> = BTreeMap::new();
        let mut got: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        let mut put_ok: BTreeSet<u64> = BTreeSet::new();
        let mut taken: Vec<u32> = Vec::new(); // try_get results
        let mut dropped_puts: Vec<u32> = Vec::new();
        let mut accepted: Vec<u32> = Vec::new();
        let mut rejected: Vec<u32> = Vec::new();
        let mut next = 0u64;
        let mut value = 0u32;
        for op in ops {
            match op {
                Op::Put | Op::PutThenCancelGet(_) | Op::PutMany(_) => {
                    let id = next;
                    next += 1;
                    let count = if let Op::PutMany(k) = op { k } else { 1 };
                    let values: Vec<u32> = (value..value + count as u32).collect();
                    value += count as u32;
                    let qq = q.clone();
                    let vs = values.clone();
                    let mut fut: PendingPut = if let Op::PutMany(_) = op {
                        Box::pin(async move { qq.put_many(vs).await.map_err(|_| ()) })
                    } else {
                        Box::pin(async move { qq.put(vs[0]).await.map_err(|_| ()) })
                    };
                    match poll_once(&mut fut).await {
                        Some(r) => {
                            r.unwrap();
                            put_ok.insert(id);
                        }
                        None => {
                            puts.insert(id, fut);
                        }
                    }
                    if let Op::PutThenCancelGet(k) = op {
                        // Drop a getter the model still has waiting, racing the hand-over.
                        if let Some(&(g, _)) = model.getters.get(k) {
                            gets.remove(&g);
                            model.getters.retain(|&(x, _)| x != g);
                        }
                    }
                    model.put(id, values);
                }
                Op::TryPut => {
                    let v = value;
                    value += 1;
                    let real = q.try_put(v).await;
                    let fits = model.putters.is_empty() && model.room();
                    assert_eq!(real.is_ok(), fits, "try_put");
                    if fits {
                        model.push(v);
                        model.pump();
                    } else {
                        assert!(matches!(real, Err(TryPutError::Full(x)) if x == v));
                        rejected.push(v);
                    }
                }
                Op::Get | Op::GetMany(_) => {
                    let id = next;
                    next += 1;
                    let qq = q.clone();
                    let (max, mut fut): (usize, PendingGet) = match op {
                        Op::GetMany(max) => (max, Box::pin(async move { qq.get_many(max).await })),
                        _ => (1, Box::pin(async move { qq.get().await.map(|v| vec![v]) })),
                    };
                    match poll_once(&mut fut).await {
                        Some(r) => {
                            got.insert(id, r.unwrap());
                        }
                        None => {
                            gets.insert(id, fut);
                        }
                    }
                    model.getters.push_back((id, max));
                    model.pump();
                }
                Op::TryGet => {
                    let real = q.try_get().await;
                    let expect = if model.getters.is_empty() {
                        model.pop()
                    } else {
                        None
                    };
                    assert_eq!(real.ok(), expect, "try_get");
                    if let Some(v) = expect {
                        taken.push(v);
                        model.pump();
                    }
                }
                Op::CancelGet(k) => {
                    if let Some(&(g, _)) = model.getters.get(k) {
                        gets.remove(&g);
                        model.getters.retain(|&(x, _)| x != g);
                    }
                }
                Op::CancelPut(k) => {
                    if let Some((p, values)) = model.putters.get(k).cloned() {
                        puts.remove(&p);
                        model.putters.retain(|(x, _)| *x != p);
                        dropped_puts.extend(values);
                    }
                }
                Op::TaskDone => {
                    let real = q.task_done().await;
                    assert_eq!(real.is_ok(), model.unfinished > 0);
                    model.unfinished = model.unfinished.saturating_sub(1);
                }
            }
            let status = q.status().await.unwrap();
            for id in gets.keys().copied().collect::<Vec<_>>() {
                if let Some(r) = poll_once(gets.get_mut(&id).unwrap()).await {
                    gets.remove(&id);
                    got.insert(id, r.unwrap());
                }
            }
            for id in puts.keys().copied().collect::<Vec<_>>() {
                if let Some(r) = poll_once(puts.get_mut(&id).unwrap()).await {
                    puts.remove(&id);
                    r.unwrap();
                    put_ok.insert(id);
                }
            }
            assert_eq!(got, model.got, "gets (FIFO order among getters and items)");
            assert_eq!(put_ok, model.put_ok, "puts accepted");
            assert_eq!(status.len, model.items.len());
            assert_eq!(status.getters, model.getters.len());
            assert_eq!(status.putters, model.putters.len());
            assert_eq!(status.unfinished, model.unfinished);
        }
        // Conservation: every value is accounted for exactly once: got by a
        // getter or try_get, still stored (in model order), rejected by
        // try_put, or dropped with a cancelled put.
        drop(gets);
        drop(puts);
        dropped_puts.extend(model.putters.iter().flat_map(|(_, vs)| vs.iter().copied()));
        while let Ok(v) = q.try_get().await {
            accepted.push(v);
        }
        let mut expect_rest = Vec::new();
        while let Some(v) = model.pop() {
            expect_rest.push(v);
        }
        assert_eq!(accepted, expect_rest, "stored items in order");
        let mut seen: Vec<u32> = got
            .values()
            .flatten()
            .copied()
            .chain(taken)
            .chain(accepted)
            .collect();
        seen.extend(dropped_puts);
        seen.extend(rejected);
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..value).collect::<Vec<_>>(),
            "an item was lost or duplicated"
        );
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn model_no_loss_no_dup_fifo(maxsize in 0..3usize, lifo in any::<bool>(), ops in prop::collection::vec(op(), 1..48)) {
        run_model(maxsize, lifo, ops);
    }
}
