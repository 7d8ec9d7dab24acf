//! Event: unit tests per behaviour, a model-based property test, a stress test.

use crate::common;

use common::wait::{LONG, wait_until};

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{Event, EventError, EventOptions};
use serde::Deserialize;

async fn waiting(event: &Event, n: usize) {
    wait_until(&format!("{n} waiting"), || async {
        event.waiting().await.unwrap() == n
    })
    .await;
}

#[test]
fn set_clear_is_set_and_try_wait() {
    rt::block_on(async {
        let event = Event::new();
        assert!(!event.is_set().await.unwrap());
        assert_eq!(event.try_wait().await, Err(EventError::NotSet));
        event.set().await.unwrap();
        assert!(event.is_set().await.unwrap());
        assert_eq!(event.try_wait().await, Ok(()));
        event.wait().await.unwrap(); // set: returns at once
        event.set().await.unwrap(); // idempotent
        event.clear().await.unwrap();
        assert!(!event.is_set().await.unwrap());
        assert_eq!(
            event.wait_timeout(Duration::from_millis(5)).await,
            Err(EventError::Timeout)
        );
    });
}

#[test]
fn starts_set_from_options() {
    rt::block_on(async {
        let event = Event::with_options(EventOptions { set: true });
        event.wait().await.unwrap();
    });
    use serde::de::value::{BoolDeserializer, Error, MapDeserializer};
    let map: MapDeserializer<'_, _, Error> =
        MapDeserializer::new(vec![("set", BoolDeserializer::<Error>::new(true))].into_iter());
    assert!(EventOptions::deserialize(map).unwrap().set);
}

#[test]
fn set_releases_every_waiter_even_if_cleared_at_once() {
    rt::block_on(async {
        let event = Event::new();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let e = event.clone();
            tasks.push(rt::spawn(async move { e.wait().await }));
        }
        waiting(&event, 10).await;
        event.set().await.unwrap();
        event.clear().await.unwrap();
        for t in tasks {
            assert_eq!(rt::timeout(LONG, t).await.unwrap().unwrap(), Ok(()));
        }
        // a wait after the clear parks again
        assert_eq!(
            event.wait_timeout(Duration::from_millis(5)).await,
            Err(EventError::Timeout)
        );
    });
}

#[test]
fn gave_up_waiters_leave_nothing_behind() {
    rt::block_on(async {
        let event = Event::new();
        for _ in 0..200 {
            let _ = event.wait_timeout(Duration::from_micros(1)).await;
        }
        assert_eq!(event.waiting().await.unwrap(), 0);
    });
}

#[test]
fn stopped_actor_gives_errors_not_hangs() {
    rt::block_on(async {
        let event = Event::new();
        let e = event.clone();
        let waiter = rt::spawn(async move { e.wait().await });
        waiting(&event, 1).await;
        event.addr().stop();
        event.addr().wait_stopped().await;
        let err = waiter.await.unwrap().unwrap_err();
        assert!(
            matches!(err, EventError::Interrupted | EventError::Closed),
            "{err:?}"
        );
        assert_eq!(event.set().await, Err(EventError::Closed));
        assert_eq!(event.wait().await, Err(EventError::Closed));
    });
}

#[test]
fn stress_many_rounds_of_waiters() {
    rt::block_on(async {
        let event = Event::new();
        for _round in 0..20 {
            let mut tasks = Vec::new();
            for _ in 0..25 {
                let e = event.clone();
                tasks.push(rt::spawn(async move { e.wait().await }));
            }
            waiting(&event, 25).await;
            event.set().await.unwrap();
            event.clear().await.unwrap();
            for t in tasks {
                rt::timeout(LONG, t).await.unwrap().unwrap().unwrap();
            }
        }
    });
}

// ---- model-based property test ------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Wait(usize),
    Cancel(usize),
    Set,
    Clear,
    Settle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..6usize).prop_map(Op::Wait),
        1 => (0..6usize).prop_map(Op::Cancel),
        1 => Just(Op::Set),
        1 => Just(Op::Clear),
        2 => Just(Op::Settle),
    ]
}

type Pending = Pin<Box<dyn Future<Output = Result<(), EventError>> + Send>>;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn event_matches_sequential_model(ops in proptest::collection::vec(op(), 1..40)) {
        rt::block_on(async move {
            let event = Event::new();
            let mut pending: Vec<Option<Pending>> = (0..6).map(|_| None).collect();
            // model: the flag, who waits, who has been released
            let mut set = false;
            let mut waiting = BTreeSet::new();
            let mut released = BTreeSet::new();
            for op in ops {
                match op {
                    Op::Wait(i) if pending[i].is_none() => {
                        let e = event.clone();
                        let mut fut: Pending = Box::pin(async move { e.wait().await });
                        if poll_once(&mut fut).await.is_some() {
                            assert!(set, "wait returned on a clear event");
                        } else {
                            pending[i] = Some(fut);
                            if set { released.insert(i); } else { waiting.insert(i); }
                        }
                    }
                    Op::Cancel(i) if pending[i].is_some() => {
                        pending[i] = None;
                        waiting.remove(&i);
                        released.remove(&i);
                    }
                    Op::Set => {
                        event.set().await.unwrap();
                        set = true;
                        released.append(&mut waiting);
                    }
                    Op::Clear => {
                        event.clear().await.unwrap();
                        set = false;
                    }
                    Op::Settle => {
                        assert_eq!(event.is_set().await.unwrap(), set);
                        assert_eq!(event.waiting().await.unwrap(), waiting.len());
                        for (i, slot) in pending.iter_mut().enumerate() {
                            if let Some(fut) = slot {
                                match poll_once(fut).await {
                                    Some(result) => {
                                        result.unwrap();
                                        assert!(released.remove(&i), "{i} released wrongly");
                                        *slot = None;
                                    }
                                    None => assert!(waiting.contains(&i), "{i} not released"),
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        });
    }
}
