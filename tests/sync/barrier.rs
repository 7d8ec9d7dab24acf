//! Barrier: unit tests, a model-based property test and a stress test.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{Barrier, BarrierError, BarrierWaitResult};

const LONG: Duration = Duration::from_secs(10);

async fn until_waiting(b: &Barrier, waiting: usize) {
    rt::timeout(LONG, async {
        while b.status().await.unwrap().waiting != waiting {
            rt::yield_now().await;
        }
    })
    .await
    .expect("waiting count never reached");
}

fn spawn_wait(b: &Barrier) -> rt::JoinHandle<Result<BarrierWaitResult, BarrierError>> {
    let b = b.clone();
    rt::spawn(async move { b.wait().await })
}

#[test]
fn zero_parties_is_an_error_and_one_party_passes_alone() {
    rt::block_on(async {
        assert_eq!(Barrier::new(0).unwrap_err(), BarrierError::ZeroParties);
        let b = Barrier::new(1).unwrap();
        for g in 0..3 {
            let r = b.wait().await.unwrap();
            assert_eq!((r.index, r.leader, r.generation), (0, true, g));
        }
    });
}

#[test]
fn distinct_indices_one_leader_reusable_generations() {
    rt::block_on(async {
        let b = Barrier::new(3).unwrap();
        for generation in 0..4u64 {
            let tasks: Vec<_> = (0..3).map(|_| spawn_wait(&b)).collect();
            let mut results = Vec::new();
            for t in tasks {
                results.push(t.await.unwrap().unwrap());
            }
            let mut indices: Vec<_> = results.iter().map(|r| r.index).collect();
            indices.sort();
            assert_eq!(indices, [0, 1, 2]);
            assert_eq!(results.iter().filter(|r| r.leader).count(), 1);
            assert!(results.iter().all(|r| r.generation == generation));
        }
    });
}

#[test]
fn try_wait_only_passes_when_it_trips() {
    rt::block_on(async {
        let b = Barrier::new(2).unwrap();
        assert_eq!(b.try_wait().await, Err(BarrierError::WouldBlock));
        assert_eq!(b.status().await.unwrap().waiting, 0);
        let first = spawn_wait(&b);
        until_waiting(&b, 1).await;
        let me = b.try_wait().await.unwrap();
        assert!(me.leader);
        assert_eq!(first.await.unwrap().unwrap().index, 0);
    });
}

#[test]
fn a_waiter_that_gives_up_does_not_count() {
    rt::block_on(async {
        let b = Barrier::new(2).unwrap();
        assert_eq!(
            b.wait_timeout(Duration::from_millis(20)).await,
            Err(BarrierError::Timeout)
        );
        until_waiting(&b, 0).await;
        let aborted = spawn_wait(&b);
        until_waiting(&b, 1).await;
        aborted.abort();
        assert!(aborted.await.is_err());
        until_waiting(&b, 0).await;
        // Two fresh parties are needed: one alone does not pass.
        assert_eq!(b.try_wait().await, Err(BarrierError::WouldBlock));
        let first = spawn_wait(&b);
        until_waiting(&b, 1).await;
        let second = b.wait().await.unwrap();
        let first = first.await.unwrap().unwrap();
        assert_eq!((first.index, second.index), (0, 1));
    });
}

#[test]
fn reset_fails_waiters_and_stays_usable() {
    rt::block_on(async {
        let b = Barrier::new(3).unwrap();
        let w1 = spawn_wait(&b);
        let w2 = spawn_wait(&b);
        until_waiting(&b, 2).await;
        let before = b.status().await.unwrap().generation;
        b.reset().await.unwrap();
        assert_eq!(w1.await.unwrap(), Err(BarrierError::Reset));
        assert_eq!(w2.await.unwrap(), Err(BarrierError::Reset));
        let status = b.status().await.unwrap();
        assert!(status.generation > before);
        assert!(!status.broken);
        let tasks: Vec<_> = (0..3).map(|_| spawn_wait(&b)).collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().generation, status.generation);
        }
    });
}

#[test]
fn abort_breaks_until_reset() {
    rt::block_on(async {
        let b = Barrier::new(2).unwrap();
        let w = spawn_wait(&b);
        until_waiting(&b, 1).await;
        b.abort().await.unwrap();
        assert_eq!(w.await.unwrap(), Err(BarrierError::Broken));
        assert_eq!(b.wait().await, Err(BarrierError::Broken));
        assert_eq!(b.try_wait().await, Err(BarrierError::Broken));
        b.reset().await.unwrap();
        let w = spawn_wait(&b);
        assert!(b.wait().await.is_ok());
        assert!(w.await.unwrap().is_ok());
    });
}

#[test]
fn stopped_actor_fails_waiters() {
    rt::block_on(async {
        let b = Barrier::new(2).unwrap();
        let w = spawn_wait(&b);
        until_waiting(&b, 1).await;
        b.addr().stop();
        assert!(matches!(
            rt::timeout(LONG, w).await.unwrap().unwrap(),
            Err(BarrierError::Unavailable(_))
        ));
    });
}

#[test]
fn stress_phases_never_mix() {
    rt::block_on(async {
        const PARTIES: usize = 8;
        const PHASES: usize = 40;
        let b = Barrier::new(PARTIES).unwrap();
        let arrived = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..PARTIES)
            .map(|_| {
                let (b, arrived) = (b.clone(), arrived.clone());
                rt::spawn(async move {
                    let mut leaders = 0;
                    for phase in 0..PHASES {
                        arrived.fetch_add(1, Ordering::SeqCst);
                        let r = b.wait().await.unwrap();
                        // Everyone of this phase has arrived before anyone passes.
                        assert!(arrived.load(Ordering::SeqCst) >= (phase + 1) * PARTIES);
                        assert_eq!(r.generation, phase as u64);
                        leaders += usize::from(r.leader);
                    }
                    leaders
                })
            })
            .collect();
        let mut leaders = 0;
        for t in tasks {
            leaders += t.await.unwrap();
        }
        assert_eq!(leaders, PHASES);
    });
}

// ---- model-based property test -------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Wait,
    TryWait,
    Cancel(usize),
    Reset,
    Abort,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => Just(Op::Wait),
        1 => Just(Op::TryWait),
        2 => (0..4usize).prop_map(Op::Cancel),
        1 => Just(Op::Reset),
        1 => Just(Op::Abort),
    ]
}

type Pending = Pin<Box<dyn Future<Output = Result<BarrierWaitResult, BarrierError>> + Send>>;

fn run_model(parties: usize, ops: Vec<Op>) {
    rt::block_on(async move {
        let b = Barrier::new(parties).unwrap();
        // model
        let mut waiting: Vec<u64> = Vec::new();
        let mut broken = false;
        let mut generation = 0u64;
        let mut expect: BTreeMap<u64, Result<BarrierWaitResult, BarrierError>> = BTreeMap::new();
        // real
        let mut pending: BTreeMap<u64, Pending> = BTreeMap::new();
        let mut got: BTreeMap<u64, Result<BarrierWaitResult, BarrierError>> = BTreeMap::new();
        let mut next = 0u64;
        let trip =
            |waiting: &mut Vec<u64>,
             generation: &mut u64,
             expect: &mut BTreeMap<u64, Result<BarrierWaitResult, BarrierError>>| {
                for (index, id) in waiting.drain(..).enumerate() {
                    let leader = index + 1 == parties;
                    expect.insert(
                        id,
                        Ok(BarrierWaitResult {
                            index,
                            leader,
                            generation: *generation,
                        }),
                    );
                }
                *generation += 1;
            };
        for op in ops {
            match op {
                Op::Wait => {
                    let id = next;
                    next += 1;
                    let bb = b.clone();
                    let mut fut: Pending = Box::pin(async move { bb.wait().await });
                    match poll_once(&mut fut).await {
                        Some(r) => {
                            got.insert(id, r);
                        }
                        None => {
                            pending.insert(id, fut);
                        }
                    }
                    if broken {
                        expect.insert(id, Err(BarrierError::Broken));
                    } else {
                        waiting.push(id);
                        if waiting.len() == parties {
                            trip(&mut waiting, &mut generation, &mut expect);
                        }
                    }
                }
                Op::TryWait => {
                    let real = b.try_wait().await;
                    let model = if broken {
                        Err(BarrierError::Broken)
                    } else if waiting.len() + 1 == parties {
                        waiting.push(u64::MAX);
                        trip(&mut waiting, &mut generation, &mut expect);
                        expect.remove(&u64::MAX).unwrap()
                    } else {
                        Err(BarrierError::WouldBlock)
                    };
                    assert_eq!(real, model);
                }
                Op::Cancel(k) => {
                    if let Some(&id) = pending.keys().nth(k) {
                        // Only cancel waiters the model still has waiting.
                        if waiting.contains(&id) {
                            pending.remove(&id);
                            waiting.retain(|&w| w != id);
                        }
                    }
                }
                Op::Reset => {
                    b.reset().await.unwrap();
                    for id in waiting.drain(..) {
                        expect.insert(id, Err(BarrierError::Reset));
                    }
                    broken = false;
                    generation += 1;
                }
                Op::Abort => {
                    b.abort().await.unwrap();
                    for id in waiting.drain(..) {
                        expect.insert(id, Err(BarrierError::Broken));
                    }
                    broken = true;
                }
            }
            let status = b.status().await.unwrap();
            let ids: Vec<u64> = pending.keys().copied().collect();
            for id in ids {
                if let Some(r) = poll_once(pending.get_mut(&id).unwrap()).await {
                    pending.remove(&id);
                    got.insert(id, r);
                }
            }
            for (id, r) in &got {
                assert_eq!(expect.get(id), Some(r), "waiter {id}");
            }
            for id in expect.keys() {
                assert!(got.contains_key(id), "model released {id}, real did not");
            }
            assert_eq!(status.waiting, waiting.len());
            assert_eq!(status.generation, generation);
            assert_eq!(status.broken, broken);
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn model_generations_indices_and_cancellation(parties in 1..4usize, ops in prop::collection::vec(op(), 1..40)) {
        run_model(parties, ops);
    }
}
