//! RwLock: unit tests per behaviour, a model-based property test, a stress test.

use crate::common;

use common::wait::{LONG, wait_until};

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{RwLock, RwLockError, RwLockReadGuard, RwLockWriteGuard};

async fn queued(rw: &RwLock, n: usize) {
    wait_until(&format!("{n} queued"), || async {
        rw.status().await.unwrap().queued == n
    })
    .await;
}

fn spawn_read(rw: &RwLock) -> rt::JoinHandle<Result<RwLockReadGuard, RwLockError>> {
    let rw = rw.clone();
    rt::spawn(async move { rw.read().await })
}

fn spawn_write(rw: &RwLock) -> rt::JoinHandle<Result<RwLockWriteGuard, RwLockError>> {
    let rw = rw.clone();
    rt::spawn(async move { rw.write().await })
}

#[test]
fn many_readers_or_one_writer() {
    rt::block_on(async {
        let rw = RwLock::new();
        let r1 = rw.read().await.unwrap();
        let r2 = rw.try_read().await.unwrap();
        assert_eq!(rw.status().await.unwrap().readers, 2);
        assert_eq!(rw.try_write().await.unwrap_err(), RwLockError::WouldBlock);
        drop((r1, r2));
        let w = rw.try_write().await.unwrap();
        assert!(rw.status().await.unwrap().writer);
        assert_eq!(rw.try_read().await.unwrap_err(), RwLockError::WouldBlock);
        assert_eq!(rw.try_write().await.unwrap_err(), RwLockError::WouldBlock);
        drop(w);
        let s = rw.status().await.unwrap();
        assert!(!s.writer && s.readers == 0 && s.queued == 0);
    });
}

#[test]
fn queued_writer_blocks_new_readers() {
    rt::block_on(async {
        let rw = RwLock::new();
        let r1 = rw.read().await.unwrap();
        let writer = spawn_write(&rw);
        queued(&rw, 1).await;
        assert_eq!(rw.try_read().await.unwrap_err(), RwLockError::WouldBlock);
        let reader = spawn_read(&rw);
        queued(&rw, 2).await;
        drop(r1);
        let w = writer.await.unwrap().unwrap();
        let s = rw.status().await.unwrap();
        assert!(s.writer);
        assert_eq!(s.readers, 0, "the reader must wait behind the writer");
        drop(w);
        let r2 = reader.await.unwrap().unwrap();
        drop(r2);
    });
}

#[test]
fn readers_behind_a_writer_that_gives_up_proceed() {
    rt::block_on(async {
        let rw = RwLock::new();
        let r1 = rw.read().await.unwrap();
        let w = rw.clone();
        let mut writer = Box::pin(async move { w.write().await });
        assert!(poll_once(&mut writer).await.is_none());
        let reader = spawn_read(&rw);
        queued(&rw, 2).await;
        drop(writer); // gives up while r1 is still held
        let r2 = rt::timeout(LONG, reader).await.unwrap().unwrap().unwrap();
        assert_eq!(rw.status().await.unwrap().readers, 2);
        drop((r1, r2));
        // and by timeout
        let r1 = rw.read().await.unwrap();
        assert_eq!(
            rw.write_timeout(Duration::from_millis(5))
                .await
                .unwrap_err(),
            RwLockError::Timeout
        );
        let r2 = rw.try_read().await.unwrap();
        drop((r1, r2));
        assert_eq!(rw.status().await.unwrap().queued, 0);
    });
}

#[test]
fn writers_are_fifo() {
    rt::block_on(async {
        let rw = RwLock::new();
        let first = rw.write().await.unwrap();
        let (tx, rx) = async_channel::unbounded();
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (rw2, tx) = (rw.clone(), tx.clone());
            tasks.push(rt::spawn(async move {
                let w = rw2.write().await.unwrap();
                tx.send(i).await.unwrap();
                rt::yield_now().await;
                drop(w);
            }));
            queued(&rw, i + 1).await;
        }
        drop(first);
        let mut order = Vec::new();
        for _ in 0..5 {
            order.push(rx.recv().await.unwrap());
        }
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
        for t in tasks {
            t.await.unwrap();
        }
    });
}

#[test]
fn downgrade_admits_readers_but_not_writers() {
    rt::block_on(async {
        let rw = RwLock::new();
        let w = rw.write().await.unwrap();
        let reader = spawn_read(&rw);
        queued(&rw, 1).await;
        let writer = spawn_write(&rw);
        queued(&rw, 2).await;
        let r = w.downgrade();
        let r2 = rt::timeout(LONG, reader).await.unwrap().unwrap().unwrap();
        let s = rw.status().await.unwrap();
        assert_eq!((s.readers, s.writer, s.queued), (2, false, 1));
        drop((r, r2));
        drop(rt::timeout(LONG, writer).await.unwrap().unwrap().unwrap());
    });
}

#[test]
fn upgradable_read_is_exclusive_among_upgraders_and_upgrades() {
    rt::block_on(async {
        let rw = RwLock::new();
        let up = rw.upgradable_read().await.unwrap();
        let r1 = rw.try_read().await.unwrap();
        assert_eq!(
            rw.try_upgradable_read().await.unwrap_err(),
            RwLockError::WouldBlock
        );
        assert_eq!(rw.try_write().await.unwrap_err(), RwLockError::WouldBlock);
        let upgrading = {
            let up = up;
            rt::spawn(async move { up.upgrade().await })
        };
        queued(&rw, 1).await; // the pending upgrade
        // a pending upgrade blocks new readers
        assert_eq!(rw.try_read().await.unwrap_err(), RwLockError::WouldBlock);
        drop(r1);
        let w = rt::timeout(LONG, upgrading)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let s = rw.status().await.unwrap();
        assert!(s.writer && !s.upgradable && s.readers == 0);
        drop(w);
        let s = rw.status().await.unwrap();
        assert!(!s.writer && !s.upgradable && s.readers == 0);
    });
}

#[test]
fn dropped_upgrade_releases_the_upgradable_grant() {
    rt::block_on(async {
        let rw = RwLock::new();
        let up = rw.upgradable_read().await.unwrap();
        let r1 = rw.read().await.unwrap();
        let mut upgrade = Box::pin(up.upgrade());
        assert!(poll_once(&mut upgrade).await.is_none());
        queued(&rw, 1).await;
        drop(upgrade);
        let s = rw.status().await.unwrap();
        assert_eq!((s.upgradable, s.queued, s.readers), (false, 0, 1));
        let up2 = rw.try_upgradable_read().await.unwrap();
        let down = up2.downgrade();
        assert!(rw.try_upgradable_read().await.is_ok());
        drop((r1, down));
    });
}

#[test]
fn stopped_actor_gives_errors_not_hangs() {
    rt::block_on(async {
        let rw = RwLock::new();
        let w = rw.write().await.unwrap();
        let reader = spawn_read(&rw);
        queued(&rw, 1).await;
        rw.addr().stop();
        rw.addr().wait_stopped().await;
        let err = reader.await.unwrap().unwrap_err();
        assert!(
            matches!(err, RwLockError::Interrupted | RwLockError::Closed),
            "{err:?}"
        );
        assert_eq!(rw.read().await.unwrap_err(), RwLockError::Closed);
        assert_eq!(rw.try_write().await.unwrap_err(), RwLockError::Closed);
        drop(w); // no panic
    });
}

#[test]
fn stress_readers_never_see_a_half_written_value() {
    rt::block_on(async {
        let rw = RwLock::new();
        let pair = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (rw, pair) = (rw.clone(), pair.clone());
            tasks.push(rt::spawn(async move {
                for _ in 0..50 {
                    let w = rw.write().await.unwrap();
                    let v = pair.0.load(Ordering::SeqCst) + 1;
                    pair.0.store(v, Ordering::SeqCst);
                    rt::yield_now().await; // half-written here
                    pair.1.store(v, Ordering::SeqCst);
                    drop(w);
                }
                0
            }));
        }
        for _ in 0..8 {
            let (rw, pair) = (rw.clone(), pair.clone());
            tasks.push(rt::spawn(async move {
                let mut reads = 0;
                for _ in 0..100 {
                    let r = rw.read().await.unwrap();
                    let a = pair.0.load(Ordering::SeqCst);
                    rt::yield_now().await;
                    let b = pair.1.load(Ordering::SeqCst);
                    assert_eq!(a, b, "a reader saw a half-written value");
                    reads += 1;
                    drop(r);
                }
                reads
            }));
        }
        let mut reads = 0;
        for t in tasks {
            reads += t.await.unwrap();
        }
        assert_eq!(reads, 800);
        assert_eq!(pair.1.load(Ordering::SeqCst), 200);
    });
}

// ---- model-based property test ------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
}

#[derive(Debug, Clone)]
enum Op {
    Request(usize, Kind),
    Cancel(usize),
    Release(usize),
    Try(usize, Kind),
    Settle,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Read), Just(Kind::Write)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..6usize, kind()).prop_map(|(i, k)| Op::Request(i, k)),
        1 => (0..6usize).prop_map(Op::Cancel),
        3 => (0..6usize).prop_map(Op::Release),
        1 => (0..6usize, kind()).prop_map(|(i, k)| Op::Try(i, k)),
        2 => Just(Op::Settle),
    ]
}

#[allow(dead_code)] // the guards are held for their Drop
enum Grant {
    Read(RwLockReadGuard),
    Write(RwLockWriteGuard),
}

type Pending = Pin<Box<dyn Future<Output = Result<Grant, RwLockError>> + Send>>;

enum Client {
    Idle,
    Waiting(Pending),
    Holding(Grant),
}

#[derive(Default)]
struct Model {
    readers: BTreeSet<usize>,
    writer: Option<usize>,
    queue: VecDeque<(usize, Kind)>,
}

impl Model {
    fn can(&self, kind: Kind) -> bool {
        match kind {
            Kind::Read => self.writer.is_none(),
            Kind::Write => self.writer.is_none() && self.readers.is_empty(),
        }
    }

    fn grant(&mut self, i: usize, kind: Kind) {
        match kind {
            Kind::Read => {
                self.readers.insert(i);
            }
            Kind::Write => self.writer = Some(i),
        }
    }

    fn pump(&mut self) {
        while let Some(&(i, kind)) = self.queue.front() {
            if !self.can(kind) {
                return;
            }
            self.queue.pop_front();
            self.grant(i, kind);
        }
    }

    fn holds(&self, i: usize) -> bool {
        self.writer == Some(i) || self.readers.contains(&i)
    }

    fn release(&mut self, i: usize) {
        if self.writer == Some(i) {
            self.writer = None;
        }
        self.readers.remove(&i);
        self.queue.retain(|&(c, _)| c != i);
        self.pump();
    }
}

async fn settle_and_check(rw: &RwLock, clients: &mut [Client], model: &Model) {
    let status = rw.status().await.unwrap();
    for (i, c) in clients.iter_mut().enumerate() {
        if let Client::Waiting(fut) = c {
            if let Some(result) = poll_once(fut).await {
                assert!(model.holds(i), "client {i} granted out of order");
                *c = Client::Holding(result.unwrap());
            }
        }
    }
    let mut readers = BTreeSet::new();
    let mut writers = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        match c {
            Client::Holding(Grant::Read(_)) => {
                readers.insert(i);
            }
            Client::Holding(Grant::Write(_)) => writers.push(i),
            _ => {}
        }
    }
    assert!(writers.len() <= 1, "two writers: {writers:?}");
    assert!(
        writers.is_empty() || readers.is_empty(),
        "writer with readers"
    );
    assert_eq!(readers, model.readers);
    assert_eq!(writers.first().copied(), model.writer);
    assert_eq!(status.readers, model.readers.len());
    assert_eq!(status.writer, model.writer.is_some());
    assert_eq!(status.queued, model.queue.len());
}

fn request(rw: &RwLock, kind: Kind) -> Pending {
    let rw = rw.clone();
    match kind {
        Kind::Read => Box::pin(async move { rw.read().await.map(Grant::Read) }),
        Kind::Write => Box::pin(async move { rw.write().await.map(Grant::Write) }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn rwlock_matches_sequential_model(ops in proptest::collection::vec(op(), 1..40)) {
        rt::block_on(async move {
            let rw = RwLock::new();
            let mut clients: Vec<Client> = (0..6).map(|_| Client::Idle).collect();
            let mut model = Model::default();
            for op in ops {
                match op {
                    Op::Request(i, kind) if matches!(clients[i], Client::Idle) => {
                        let mut fut = request(&rw, kind);
                        let early = poll_once(&mut fut).await;
                        clients[i] = Client::Waiting(fut);
                        model.queue.push_back((i, kind));
                        model.pump();
                        if let Some(result) = early {
                            assert!(model.holds(i));
                            clients[i] = Client::Holding(result.unwrap());
                        }
                    }
                    Op::Cancel(i) if matches!(clients[i], Client::Waiting(_)) => {
                        clients[i] = Client::Idle;
                        model.release(i);
                    }
                    Op::Release(i) if matches!(clients[i], Client::Holding(_)) => {
                        clients[i] = Client::Idle;
                        model.release(i);
                    }
                    Op::Try(i, kind) if matches!(clients[i], Client::Idle) => {
                        settle_and_check(&rw, &mut clients, &model).await;
                        let result = match kind {
                            Kind::Read => rw.try_read().await.map(Grant::Read),
                            Kind::Write => rw.try_write().await.map(Grant::Write),
                        };
                        let expect = model.queue.is_empty() && model.can(kind);
                        match result {
                            Ok(g) => {
                                assert!(expect, "try_{kind:?} granted against the model");
                                model.grant(i, kind);
                                clients[i] = Client::Holding(g);
                            }
                            Err(e) => {
                                assert_eq!(e, RwLockError::WouldBlock);
                                assert!(!expect, "try_{kind:?} refused against the model");
                            }
                        }
                    }
                    Op::Settle => settle_and_check(&rw, &mut clients, &model).await,
                    _ => {}
                }
            }
            settle_and_check(&rw, &mut clients, &model).await;
            for c in &mut clients {
                *c = Client::Idle;
            }
            let s = rw.status().await.unwrap();
            assert!(!s.writer && s.readers == 0 && s.queued == 0, "{s:?}");
            drop(rw.try_write().await.unwrap());
        });
    }
}

#[test]
fn upgrade_timeout_releases_the_upgradable_grant() {
    rt::block_on(async {
        let rw = RwLock::new();
        let up = rw.upgradable_read().await.unwrap();
        let r = rw.read().await.unwrap();
        assert_eq!(
            up.upgrade_timeout(Duration::from_millis(5))
                .await
                .unwrap_err(),
            RwLockError::Timeout
        );
        let s = rw.status().await.unwrap();
        assert_eq!((s.upgradable, s.readers, s.queued), (false, 1, 0));
        drop(r);
        drop(rw.try_write().await.unwrap());
    });
}
