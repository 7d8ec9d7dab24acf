//! Task groups: joins, fail-fast cancellation, nested spawns, owners.

use crate::common;

use common::cancel::{dropped, guard, run};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use retinue::task::{Group, SpawnError, TaskError};
use retinue::{Actor, BoxError, Context, ExitReason, rt};

async fn forever() {
    std::future::pending::<()>().await
}

#[test]
fn join_waits_for_every_child() {
    run(async {
        let group: Group<()> = Group::new();
        let (tx, rx) = async_channel::unbounded();
        let (gate_tx, gate_rx) = async_channel::bounded::<()>(1);
        for i in 0..5 {
            let tx = tx.clone();
            let gate = gate_rx.clone();
            group
                .spawn(async move {
                    let _ = gate.recv().await; // all wait until the gate closes
                    tx.send(i).await.map_err(|_| ())
                })
                .unwrap();
        }
        drop(tx);
        let joined = rt::spawn(group.join());
        assert!(rx.try_recv().is_err(), "nothing finished before the gate");
        drop(gate_tx);
        joined.await.unwrap().unwrap();
        assert_eq!(rx.len(), 5);
    });
}

#[test]
fn first_failure_cancels_the_rest_and_cancellations_are_not_errors() {
    run(async {
        let group = Group::new();
        let mut guards = Vec::new();
        for _ in 0..3 {
            let (g, rx) = guard();
            guards.push(rx);
            group
                .spawn(async move {
                    let _g = g;
                    forever().await;
                    Ok(())
                })
                .unwrap();
        }
        let (fail_tx, fail_rx) = async_channel::bounded::<()>(1);
        group
            .spawn(async move {
                let _ = fail_rx.recv().await;
                Err("first")
            })
            .unwrap();
        drop(fail_tx);
        let err = group.join().await.unwrap_err();
        assert_eq!(err.errors, vec![TaskError::Failed("first")]);
        for rx in &guards {
            assert!(
                dropped(rx),
                "a cancelled child's cleanup ran before join returned"
            );
        }
    });
}

#[test]
fn every_real_failure_is_returned() {
    run(async {
        // Two children fail in the same instant: each waits (blocking its
        // executor thread, bounded) for the other before returning, so
        // neither can be cancelled first. On a single-threaded executor
        // they cannot meet, and only the first failure can be observed.
        let arrived = Arc::new(AtomicUsize::new(0));
        let group = Group::new();
        for name in ["a", "b"] {
            let arrived = arrived.clone();
            group
                .spawn(async move {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let start = Instant::now();
                    while arrived.load(Ordering::SeqCst) < 2
                        && start.elapsed() < Duration::from_secs(2)
                    {
                        std::thread::yield_now();
                    }
                    Err(name)
                })
                .unwrap();
        }
        let mut errors: Vec<&str> = group
            .join()
            .await
            .unwrap_err()
            .errors
            .into_iter()
            .filter_map(TaskError::into_failed)
            .collect();
        errors.sort();
        if arrived.load(Ordering::SeqCst) == 2 && errors.len() == 2 {
            assert_eq!(errors, vec!["a", "b"]);
        } else {
            assert_eq!(errors.len(), 1, "{errors:?}");
        }
    });
}

#[test]
fn a_panic_is_a_failure() {
    run(async {
        let group = Group::<()>::new();
        let (g, rx) = guard();
        group
            .spawn(async move {
                let _g = g;
                forever().await;
                Ok(())
            })
            .unwrap();
        group.spawn(async { panic!("kaboom") }).unwrap();
        let err = group.join().await.unwrap_err();
        assert_eq!(err.errors, vec![TaskError::Panicked("kaboom".into())]);
        assert!(dropped(&rx));
    });
}

#[test]
fn children_can_spawn_children_and_join_waits_for_them() {
    run(async {
        let group: Group<()> = Group::new();
        let spawner = group.spawner();
        let (tx, rx) = async_channel::unbounded();
        group
            .spawn(async move {
                for i in 0..3 {
                    let tx = tx.clone();
                    let inner = spawner.clone();
                    spawner
                        .spawn(async move {
                            rt::yield_now().await;
                            let tx2 = tx.clone();
                            inner
                                .spawn(async move { tx2.send(i + 100).await.map_err(|_| ()) })
                                .map_err(|_| ())?;
                            tx.send(i).await.map_err(|_| ())
                        })
                        .map_err(|_| ())?;
                }
                Ok(())
            })
            .unwrap();
        group.join().await.unwrap();
        let mut got: Vec<i32> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        got.sort();
        assert_eq!(got, vec![0, 1, 2, 100, 101, 102]);
    });
}

#[test]
fn spawning_after_finish_or_while_cancelling_is_an_error() {
    run(async {
        let group: Group<&str> = Group::new();
        let spawner = group.spawner();
        assert!(spawner.is_open());
        group.join().await.unwrap();
        assert_eq!(spawner.spawn(async { Ok(()) }), Err(SpawnError::Finished));
        assert!(!spawner.is_open());

        let group: Group<&str> = Group::new();
        let spawner = group.spawner();
        group.spawn(async { Err("x") }).unwrap();
        // Wait until the failure has moved the group to cancelling.
        while spawner.is_open() {
            rt::yield_now().await;
        }
        assert_eq!(spawner.spawn(async { Ok(()) }), Err(SpawnError::Cancelling));
        assert!(group.join().await.is_err());
    });
}

#[test]
fn dropping_the_owner_cancels_the_children() {
    run(async {
        let (g1, rx1) = guard();
        let (g2, rx2) = guard();
        let (ready_tx, ready_rx) = async_channel::bounded::<()>(1);
        let owner = rt::spawn(async move {
            let group: Group<()> = Group::new();
            for g in [g1, g2] {
                group
                    .spawn(async move {
                        let _g = g;
                        forever().await;
                        Ok(())
                    })
                    .unwrap();
            }
            let _ = ready_tx.send(()).await;
            group.join().await
        });
        ready_rx.recv().await.unwrap();
        owner.abort();
        assert!(owner.await.is_err());
        // The children are aborted; their futures drop at their next poll.
        assert!(rx1.recv().await.is_err());
        assert!(rx2.recv().await.is_err());
    });
}

#[test]
fn cancel_stops_the_children_without_an_error() {
    run(async {
        let group: Group<()> = Group::new();
        let (g, rx) = guard();
        group
            .spawn(async move {
                let _g = g;
                forever().await;
                Ok(())
            })
            .unwrap();
        group.cancel();
        group.join().await.unwrap();
        assert!(dropped(&rx));
    });
}

#[test]
fn scope_cancels_its_body_when_a_child_fails() {
    run(async {
        let (g, rx) = guard();
        let result = Group::scope(|s| async move {
            let _g = g;
            s.spawn(async { Err("child failed") }).unwrap();
            forever().await;
            Ok("unreachable")
        })
        .await;
        assert_eq!(
            result.unwrap_err().errors,
            vec![TaskError::Failed("child failed")]
        );
        assert!(dropped(&rx), "the body was cancelled");
    });
}

struct Worker {
    fail: bool,
}

impl Actor for Worker {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        if self.fail {
            return Err("could not start".into());
        }
        let _ = ctx;
        Ok(())
    }
}

#[test]
fn actors_in_a_group_fail_it_and_are_stopped_by_it() {
    run(async {
        let group: Group<()> = Group::new();
        let healthy = group.spawn_actor(Worker { fail: false }).unwrap();
        let _broken = group.spawn_actor(Worker { fail: true }).unwrap();
        let err = group.join().await.unwrap_err();
        assert_eq!(err.errors.len(), 1);
        assert!(matches!(
            &err.errors[0],
            TaskError::Exited(ExitReason::Failed(_))
        ));
        // The healthy one was stopped by the cancellation.
        assert_eq!(healthy.wait_stopped().await, ExitReason::Stopped);
    });
}
