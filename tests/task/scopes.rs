//! Leaving a scope (a group, a gather, an as_completed stream) means every
//! descendant has finished its cleanup, at any nesting depth; an error
//! from a scope's body cancels the children.
//!
//! The anchor is asyncio's TaskGroup (`Lib/test/test_asyncio/test_taskgroups.py`):
//! `__aexit__` waits for every task, a task cancelled by a sibling's
//! failure included, and a nested TaskGroup inside a cancelled task is
//! itself cancelled and awaited before the outer group exits
//! (`test_taskgroup_07`/`_08`, `test_taskgroup_nested`). An exception from
//! the `async with` body cancels every task and is reported in the group
//! (`test_taskgroup_20`, "body raises").

use crate::common;

use common::cancel::run;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_lite::StreamExt;
use retinue::task::{Group, TaskError, as_completed, gather, gather_all, gather_leave_running};
use retinue::{Actor, Context, ExitReason, rt};

async fn forever() {
    std::future::pending::<()>().await
}

/// A cleanup that takes a while (it blocks its thread in `Drop`, where no
/// await is possible) and then says it is done. A scope that returns
/// before a descendant's cleanup has finished shows it as "not done".
struct SlowCleanup(Arc<AtomicBool>);

impl Drop for SlowCleanup {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(30));
        self.0.store(true, Ordering::SeqCst);
    }
}

fn flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

/// A task that never finishes and cleans up slowly when cancelled (even
/// when cancelled before its first poll: the cleanup is made up front).
fn slow_to_cancel(
    done: Arc<AtomicBool>,
) -> impl std::future::Future<Output = Result<(), &'static str>> + Send {
    let cleanup = SlowCleanup(done);
    async move {
        let _cleanup = cleanup;
        forever().await;
        Ok(())
    }
}

#[test]
fn an_error_from_the_scope_body_cancels_every_child_and_is_reported() {
    run(async {
        let done = [flag(), flag()];
        let (d0, d1) = (done[0].clone(), done[1].clone());
        let result = Group::scope(|g| async move {
            g.spawn(slow_to_cancel(d0)).unwrap();
            g.spawn(async {
                rt::sleep(Duration::from_secs(60)).await; // would outlast the test's bound
                Ok(())
            })
            .unwrap();
            g.spawn(slow_to_cancel(d1)).unwrap();
            Err::<(), _>("body failed")
        })
        .await;
        assert_eq!(
            result.unwrap_err().errors,
            vec![TaskError::Failed("body failed")]
        );
        assert!(done.iter().all(|d| d.load(Ordering::SeqCst)));
    });
}

/// Outer group → child → inner group → child → inner-inner group → child:
/// cancelling the outer group (a sibling fails) must not return before
/// the deepest child has finished its cleanup.
#[test]
fn a_cancelled_nested_group_is_waited_for_at_any_depth() {
    run(async {
        for depth in 1..=3usize {
            let done = flag();
            let outer: Group<&str> = Group::new();
            let d = done.clone();
            outer.spawn(nested(depth, d)).unwrap();
            // Let the nesting build up before the sibling fails.
            let (ready_tx, ready_rx) = async_channel::bounded::<()>(1);
            outer
                .spawn(async move {
                    let _ = ready_rx.recv().await;
                    Err("sibling failed")
                })
                .unwrap();
            rt::sleep(Duration::from_millis(5)).await;
            drop(ready_tx);
            let err = outer.join().await.unwrap_err();
            assert_eq!(err.errors, vec![TaskError::Failed("sibling failed")]);
            assert!(
                done.load(Ordering::SeqCst),
                "depth {depth}: the outer group returned before the inner child's cleanup ran"
            );
        }
    });
}

/// A child that opens `depth` nested groups, the innermost of which runs a
/// slow-to-cancel task.
fn nested(
    depth: usize,
    done: Arc<AtomicBool>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), &'static str>> + Send>> {
    Box::pin(async move {
        let inner: Group<&str> = Group::new();
        if depth <= 1 {
            inner.spawn(slow_to_cancel(done)).unwrap();
        } else {
            inner.spawn(nested(depth - 1, done)).unwrap();
        }
        inner.join().await.map_err(|_| "inner failed")
    })
}

#[test]
fn a_group_dropped_inside_a_cancelled_scope_body_is_waited_for() {
    run(async {
        let done = flag();
        let d = done.clone();
        let result = Group::<&str>::scope(|g| async move {
            let inner: Group<&str> = Group::new();
            inner.spawn(slow_to_cancel(d)).unwrap();
            g.spawn(async { Err("child failed") }).unwrap();
            inner.join().await.map_err(|_| "inner")?;
            Ok(())
        })
        .await;
        assert_eq!(
            result.unwrap_err().errors,
            vec![TaskError::Failed("child failed")]
        );
        assert!(done.load(Ordering::SeqCst));
    });
}

/// Runs `child` in a group whose other child fails a little later, and
/// checks that `join` returned only after `done` was set.
fn cancelled_group_waits_for<F>(child: impl FnOnce(Arc<AtomicBool>) -> F)
where
    F: std::future::Future<Output = Result<(), &'static str>> + Send + 'static,
{
    run(async {
        let done = flag();
        let group: Group<&str> = Group::new();
        group.spawn(child(done.clone())).unwrap();
        group
            .spawn(async {
                rt::sleep(Duration::from_millis(5)).await;
                Err("sibling failed")
            })
            .unwrap();
        group.join().await.unwrap_err();
        assert!(done.load(Ordering::SeqCst));
    });
}

#[test]
fn a_gather_inside_a_cancelled_group_child_is_waited_for() {
    cancelled_group_waits_for(|d| async move {
        gather(vec![slow_to_cancel(d)])
            .await
            .map_err(|_| "gather")?;
        Ok(())
    });
}

#[test]
fn an_as_completed_stream_inside_a_cancelled_group_child_is_waited_for() {
    cancelled_group_waits_for(|d| async move {
        let mut stream = as_completed(vec![slow_to_cancel(d)]);
        let _ = stream.next().await;
        Ok(())
    });
}

#[test]
fn a_failed_gather_returns_after_its_nested_groups_are_gone() {
    run(async {
        let done = flag();
        let d = done.clone();
        let failed = gather(vec![
            nested(2, d),
            Box::pin(async {
                rt::sleep(Duration::from_millis(5)).await;
                Err("no")
            }),
        ])
        .await
        .unwrap_err();
        assert_eq!(failed.error, TaskError::Failed("no"));
        assert!(done.load(Ordering::SeqCst));
    });
}

#[test]
fn gather_all_returns_after_every_task_and_its_cleanup() {
    run(async {
        let done = flag();
        let d = done.clone();
        let results = gather_all(vec![Box::pin(async move {
            let _cleanup = SlowCleanup(d); // dropped after the result is sent
            Ok::<_, ()>(1)
        })])
        .await;
        assert_eq!(results, vec![Ok(1)]);
        assert!(done.load(Ordering::SeqCst));
    });
}

#[test]
fn as_completed_ends_at_its_deadline_only_after_the_cancelled_tasks_are_gone() {
    run(async {
        let done = flag();
        let d = done.clone();
        let mut stream = as_completed(vec![slow_to_cancel(d)]).deadline(Duration::from_millis(5));
        let item = stream.next().await;
        assert!(matches!(
            item,
            Some(retinue::task::Completion::DeadlineExceeded { pending: 1 })
        ));
        assert!(done.load(Ordering::SeqCst));
        assert_eq!(stream.next().await, None);
    });
}

/// asyncio.gather without return_exceptions: "the first raised exception
/// is immediately propagated to the task that awaits on gather(). Other
/// awaitables in the aws sequence won't be cancelled and will continue to
/// run." (docs of asyncio.gather)
#[test]
fn gather_leave_running_returns_the_first_error_and_lets_the_rest_finish() {
    run(async {
        let (gate_tx, gate_rx) = async_channel::bounded::<()>(1);
        let (out_tx, out_rx) = async_channel::bounded(1);
        let failed = gather_leave_running(vec![
            Box::pin(async move {
                let _ = gate_rx.recv().await;
                out_tx.send("finished").await.unwrap();
                Ok(())
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>,
            Box::pin(async { Err("first") }),
        ])
        .await
        .unwrap_err();
        assert_eq!(
            (failed.index, failed.error),
            (1, TaskError::Failed("first"))
        );
        // Returned while the other one is still waiting on its gate.
        drop(gate_tx);
        assert_eq!(out_rx.recv().await, Ok("finished"));
    });
}

#[test]
fn tasks_left_running_by_gather_keep_the_enclosing_group_busy() {
    run(async {
        let finished = flag();
        let f = finished.clone();
        let group: Group<()> = Group::new();
        group
            .spawn(async move {
                let _ = gather_leave_running(vec![
                    Box::pin(async move {
                        rt::sleep(Duration::from_millis(20)).await;
                        f.store(true, Ordering::SeqCst);
                        Ok(())
                    })
                        as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>,
                    Box::pin(async { Err(()) }),
                ])
                .await;
                Ok(())
            })
            .unwrap();
        group.join().await.unwrap();
        assert!(finished.load(Ordering::SeqCst));
    });
}

struct SlowToStop(Arc<AtomicBool>);

impl Actor for SlowToStop {
    async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
        rt::sleep(Duration::from_millis(20)).await;
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_cancelled_group_waits_for_its_actors_to_stop() {
    run(async {
        let stopped = flag();
        let group: Group<&str> = Group::new();
        let addr = group.spawn_actor(SlowToStop(stopped.clone())).unwrap();
        group.spawn(async { Err("boom") }).unwrap();
        group.join().await.unwrap_err();
        assert!(
            stopped.load(Ordering::SeqCst),
            "join returned before `stopped` ran"
        );
        assert!(!addr.is_alive());
    });
}
