//! Queue: a model-based property test. Random interleavings of puts,
//! gets, batches, try forms, cancellations (including cancelling a getter
//! while an item is in flight to it) and task_done, checked step by step
//! against a simple sequential model: the same getters get the same items
//! in the same order, the same puts are accepted, and at the end every
//! value is accounted for exactly once (no loss, no duplicate).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{GetError, Queue, TryPutError};

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
            // A granted single put lands in its own next poll (it commits
            // its item then), so settle to a fixed point: let the actor catch
            // up (status is a sync point behind every commit), poll the gets,
            // poll the puts; again while some put landed.
            let status = loop {
                let status = q.status().await.unwrap();
                for id in gets.keys().copied().collect::<Vec<_>>() {
                    if let Some(r) = poll_once(gets.get_mut(&id).unwrap()).await {
                        gets.remove(&id);
                        got.insert(id, r.unwrap());
                    }
                }
                let mut landed = false;
                for id in puts.keys().copied().collect::<Vec<_>>() {
                    if let Some(r) = poll_once(puts.get_mut(&id).unwrap()).await {
                        puts.remove(&id);
                        r.unwrap();
                        put_ok.insert(id);
                        landed = true;
                    }
                }
                if !landed {
                    break status;
                }
            };
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
