//! OTP conformance of supervisors and dynamic supervisors, after
//! `lib/stdlib/test/supervisor_SUITE.erl` and the `supervisor` /
//! Elixir `DynamicSupervisor` docs. Each test names the behaviour it follows.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::cancel::run;
use common::wait::wait_until;
use common::{Behaviour, Exit, Instance, Log, Worker, panicked};
use retinue::supervisor::{
    AutoShutdown, ChildSpec, ChildState, DynamicSupervisor, Flags, Ignore, Restart, Shutdown,
    Strategy, Supervisor, SupervisorError, Template,
};
use retinue::{Actor, Backoff, BoxError, Context, ExitReason, Handler, Message};

fn lenient() -> Flags {
    Flags::default().intensity(100, Duration::from_secs(60))
}

/// A worker that finishes its job (exits Normal) when told.
struct Job(#[allow(dead_code)] Arc<()>);
impl Actor for Job {}
struct Finish;
impl Message for Finish {
    type Reply = ();
}
impl Handler<Finish> for Job {
    async fn handle(&mut self, _: Finish, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// OTP (simple_one_for_one / DynamicSupervisor): a child that terminates
/// and is not restarted is removed from the supervisor. A transient child
/// exiting `normal` and any temporary child leave no slot, and their
/// factories' captures are released.
#[test]
fn finished_dynamic_children_are_removed_with_their_factories() {
    run(async {
        for restart in [Restart::Transient, Restart::Temporary] {
            let template = Template {
                restart,
                ..Template::default()
            };
            let jobs = DynamicSupervisor::spawn(lenient(), template).await.unwrap();
            let captured = Arc::new(());
            for _ in 0..50 {
                let c = captured.clone();
                let job = jobs.start_child(move || Job(c.clone())).await.unwrap();
                job.tell(Finish).await.unwrap();
            }
            wait_until("all jobs are gone", || async {
                jobs.supervisor().count_children().await.unwrap().specs == 0
            })
            .await;
            assert!(jobs.supervisor().which_children().await.unwrap().is_empty());
            assert!(
                jobs.supervisor()
                    .tree("jobs")
                    .await
                    .unwrap()
                    .children
                    .is_empty()
            );
            assert_eq!(jobs.count().await.unwrap(), 0);
            wait_until("the factories' captures are released", || async {
                Arc::strong_count(&captured) == 1
            })
            .await;
            jobs.shutdown().await;
        }
    });
}

/// OTP rejects a restart period of zero (`period` must be a positive
/// integer); our config loader does too. A zero window would forget every
/// restart at once, so a crash loop would never escalate.
#[test]
fn a_zero_intensity_window_is_rejected() {
    run(async {
        let flags = Flags::default().intensity(3, Duration::ZERO);
        let err = Supervisor::with_flags(flags.clone())
            .spawn()
            .await
            .unwrap_err();
        assert!(matches!(err, SupervisorError::InvalidFlags(ref why) if why.contains("within")));
        let err = DynamicSupervisor::spawn(flags, Template::default())
            .await
            .unwrap_err();
        assert!(matches!(err, SupervisorError::InvalidFlags(_)));
    });
}

/// OTP's DynamicSupervisor / simple_one_for_one terminate their children
/// concurrently at shutdown (all get the exit signal, then one wait), so N
/// children in a slow `stopped` take about one shutdown time, not N.
/// Each child's `stopped` waits at a barrier for all the others: stopped
/// one after another, the first would be killed at its timeout.
#[test]
fn dynamic_children_shut_down_concurrently() {
    struct Slow(Arc<async_lock::Barrier>, Log);
    impl Actor for Slow {
        async fn stopped(&mut self, _: &mut Context<Self>, reason: &ExitReason) {
            self.0.wait().await;
            self.1.push(format!("stopped: {reason}"));
        }
    }
    run(async {
        const N: usize = 4;
        let template = Template {
            shutdown: Shutdown::Timeout(Duration::from_secs(3)),
            ..Template::default()
        };
        let sup = DynamicSupervisor::spawn(lenient(), template).await.unwrap();
        let barrier = Arc::new(async_lock::Barrier::new(N));
        let log = Log::default();
        for _ in 0..N {
            let (b, l) = (barrier.clone(), log.clone());
            sup.start_child(move || Slow(b.clone(), l.clone()))
                .await
                .unwrap();
        }
        let started = std::time::Instant::now();
        assert_eq!(sup.shutdown().await, ExitReason::Shutdown);
        assert_eq!(log.take(), vec!["stopped: shutdown"; N]);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "took {:?}",
            started.elapsed()
        );
    });
}

/// A worker whose start fails while its shared budget of failures lasts.
struct Flaky {
    name: &'static str,
    log: Log,
    fail_budget: Arc<AtomicUsize>,
}
impl Actor for Flaky {
    async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
        let budget = self.fail_budget.load(Ordering::SeqCst);
        if budget > 0 {
            self.fail_budget.store(budget - 1, Ordering::SeqCst);
            self.log.push(format!("failed {}", self.name));
            return Err("cannot start now".into());
        }
        self.log.push(format!("start {}", self.name));
        Ok(())
    }
    async fn stopped(&mut self, _: &mut Context<Self>, reason: &ExitReason) {
        self.log.push(format!("stop {}: {reason}", self.name));
    }
}
impl Handler<Exit> for Flaky {
    async fn handle(&mut self, msg: Exit, ctx: &mut Context<Self>) {
        ctx.stop_with(msg.0);
    }
}

/// Children a, b, c of `strategy`, where `flaky` fails its next start once;
/// crashes `crash` and returns the log from the crash until all three run.
async fn failed_group_restart(strategy: Strategy, flaky: &str, crash: &str) -> Vec<String> {
    let log = Log::default();
    let budget = Arc::new(AtomicUsize::new(0));
    let specs: Vec<ChildSpec> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let log = log.clone();
            let fail_budget = if name == flaky {
                budget.clone()
            } else {
                Arc::new(AtomicUsize::new(0))
            };
            ChildSpec::worker(name, move || Flaky {
                name,
                log: log.clone(),
                fail_budget: fail_budget.clone(),
            })
        })
        .collect();
    let crashed = specs.iter().find(|s| s.id() == crash).unwrap();
    let crashed = crashed.addr::<Flaky>().unwrap();
    let flags = Flags::new(strategy).intensity(10, Duration::from_secs(60));
    let sup = specs
        .into_iter()
        .fold(Supervisor::with_flags(flags), Supervisor::child)
        .spawn()
        .await
        .unwrap();
    log.take();
    budget.store(1, Ordering::SeqCst); // the next start of `flaky` fails once
    let why = format!("{crash} broke");
    crashed.tell(Exit(ExitReason::failed(why))).await.unwrap();
    wait_until("the group is running again", || async {
        let children = sup.which_children().await.unwrap();
        children.iter().all(|c| c.state == ChildState::Running)
            && children.iter().any(|c| c.id == crash && c.restarts > 0)
    })
    .await;
    let lines = log.take();
    sup.shutdown().await;
    lines
}

/// OTP one_for_all (`supervisor.erl`, `restart_multiple_children` →
/// `try_again_restart`): when a child fails to start during the group
/// restart, the children already restarted are terminated again and the
/// whole group is restarted, the failure counting as a restart.
#[test]
fn one_for_all_redoes_the_whole_group_when_a_restart_fails() {
    run(async {
        let log = failed_group_restart(Strategy::OneForAll, "b", "c").await;
        assert_eq!(
            log,
            [
                "stop c: failed: c broke",
                "stop b: shutdown",
                "stop a: shutdown",
                "start a",
                "failed b",
                "stop a: shutdown", // the one restarted before b goes again
                "start a",
                "start b",
                "start c",
            ]
        );
    });
}

/// The same for rest_for_one: the failed restart redoes the rest group.
#[test]
fn rest_for_one_redoes_the_rest_group_when_a_restart_fails() {
    run(async {
        let log = failed_group_restart(Strategy::RestForOne, "c", "b").await;
        assert_eq!(
            log,
            [
                "stop b: failed: b broke",
                "stop c: shutdown",
                "start b",
                "failed c",
                "stop b: shutdown",
                "start b",
                "start c",
            ]
        );
    });
}

/// Redone group restarts count against the intensity: a child that can
/// never start again makes the supervisor escalate instead of looping.
#[test]
fn a_group_restart_that_keeps_failing_escalates() {
    run(async {
        let log = Log::default();
        let budget = Arc::new(AtomicUsize::new(0));
        let b_log = log.clone();
        let b_budget = budget.clone();
        let a = ChildSpec::worker("a", Worker::factory("a", &log));
        let a_addr = a.addr::<Worker>().unwrap();
        let sup = Supervisor::with_flags(
            Flags::new(Strategy::OneForAll).intensity(3, Duration::from_secs(60)),
        )
        .child(a)
        .child(ChildSpec::worker("b", move || Flaky {
            name: "b",
            log: b_log.clone(),
            fail_budget: b_budget.clone(),
        }))
        .spawn()
        .await
        .unwrap();
        budget.store(usize::MAX, Ordering::SeqCst);
        a_addr.tell(Exit(panicked("a broke"))).await.unwrap();
        let reason = sup.addr().wait_stopped().await;
        assert!(matches!(reason, ExitReason::Failed(ref e) if e.to_string().contains("restarts")));
    });
}

/// OTP `terminate_child(Sup, Pid)` on a dynamic supervisor: ok for a
/// child; the same call again (the child is gone) is ok as well; a live
/// process that is not a child is `not_found`.
#[test]
fn dynamic_terminate_child_is_idempotent() {
    run(async {
        let sup = DynamicSupervisor::spawn(lenient(), Template::default())
            .await
            .unwrap();
        let log = Log::default();
        let child = sup.start_child(Worker::factory("w", &log)).await.unwrap();
        assert_eq!(sup.terminate_child(&child).await, Ok(()));
        assert_eq!(sup.terminate_child(&child).await, Ok(()));
        assert_eq!(sup.count().await.unwrap(), 0);
        let stranger = retinue::spawn(Worker::factory("x", &log)());
        assert!(matches!(
            sup.terminate_child(&stranger).await,
            Err(SupervisorError::NotFound(_))
        ));
        stranger.stop();
        sup.shutdown().await;
    });
}

/// OTP `handle_start_child`: `{error, {already_started, Pid}}` only when
/// the existing child has a pid; a child waiting to restart (`restarting`)
/// is `already_present`.
#[test]
fn start_child_with_the_id_of_a_restarting_child_is_already_present() {
    run(async {
        let log = Log::default();
        let flags = lenient().backoff(Backoff::constant(Duration::from_secs(30)));
        let spec = ChildSpec::worker("a", Worker::factory("a", &log));
        let a = spec.addr::<Worker>().unwrap();
        let sup = Supervisor::with_flags(flags)
            .child(spec)
            .spawn()
            .await
            .unwrap();
        assert_eq!(
            sup.start_child(ChildSpec::worker("a", Worker::factory("a", &log)))
                .await
                .unwrap_err(),
            SupervisorError::AlreadyStarted("a".into())
        );
        a.tell(Exit(panicked("crash"))).await.unwrap();
        wait_until("a waits for its restart", || async {
            sup.child("a").await.unwrap().state == ChildState::Restarting
        })
        .await;
        assert_eq!(
            sup.start_child(ChildSpec::worker("a", Worker::factory("a", &log)))
                .await
                .unwrap_err(),
            SupervisorError::AlreadyPresent("a".into())
        );
        sup.shutdown().await;
    });
}

/// OTP: `auto_shutdown` other than `never` is not allowed for a
/// simple_one_for_one supervisor (its children cannot be significant).
#[test]
fn a_dynamic_supervisor_rejects_auto_shutdown() {
    run(async {
        for auto in [AutoShutdown::AnySignificant, AutoShutdown::AllSignificant] {
            let err =
                DynamicSupervisor::spawn(Flags::default().auto_shutdown(auto), Template::default())
                    .await
                    .unwrap_err();
            assert!(matches!(err, SupervisorError::InvalidFlags(_)), "{err}");
        }
    });
}

/// A child whose `started` says [`Ignore`].
struct Ignoring(Arc<AtomicUsize>);
impl Actor for Ignoring {
    async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(Ignore.into())
    }
}

/// OTP: a child start function may return `ignore`; `start_child` then
/// returns `{ok, undefined}`: success with no running child. The spec of a
/// permanent (or transient) child is kept, a temporary child's is not
/// (supervisor_SUITE `temporary_start_child_ignore`/`start_child_ignore`).
#[test]
fn a_child_that_asks_to_be_ignored_starts_with_nothing_running() {
    run(async {
        let sup = Supervisor::new(Strategy::OneForOne).spawn().await.unwrap();
        let starts = Arc::new(AtomicUsize::new(0));
        let s = starts.clone();
        let info = sup
            .start_child(ChildSpec::worker("perm", move || Ignoring(s.clone())))
            .await
            .unwrap();
        assert_eq!(info.state, ChildState::Stopped);
        let s = starts.clone();
        let temp = sup
            .start_child(
                ChildSpec::worker("temp", move || Ignoring(s.clone())).restart(Restart::Temporary),
            )
            .await
            .unwrap();
        assert_eq!(temp.state, ChildState::Stopped);
        let counts = sup.count_children().await.unwrap();
        assert_eq!(
            (counts.specs, counts.active),
            (1, 0),
            "only the permanent spec is kept"
        );
        assert_eq!(sup.child("perm").await.unwrap().state, ChildState::Stopped);
        // restart_child tries again; ignoring again is still not an error.
        assert_eq!(sup.restart_child("perm").await, Ok(()));
        assert_eq!(starts.load(Ordering::SeqCst), 3);
        sup.shutdown().await;
    });
}

/// An ignored child among a supervisor's initial children does not stop
/// the supervisor from starting (OTP `init` children returning ignore).
#[test]
fn an_ignored_initial_child_does_not_fail_the_supervisor() {
    run(async {
        let log = Log::default();
        let starts = Arc::new(AtomicUsize::new(0));
        let s = starts.clone();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::worker("ignored", move || Ignoring(s.clone())))
            .child(ChildSpec::worker("b", Worker::factory("b", &log)))
            .spawn()
            .await
            .unwrap();
        let counts = sup.count_children().await.unwrap();
        assert_eq!((counts.specs, counts.active), (2, 1));
        assert_eq!(log.take(), ["start b"]);
        sup.shutdown().await;
    });
}

/// A dynamic child that asks to be ignored: success, no child, nothing kept.
#[test]
fn an_ignored_dynamic_child_leaves_nothing() {
    run(async {
        let sup = DynamicSupervisor::spawn(lenient(), Template::default())
            .await
            .unwrap();
        let starts = Arc::new(AtomicUsize::new(0));
        let s = starts.clone();
        let addr = sup.start_child(move || Ignoring(s.clone())).await.unwrap();
        assert!(!addr.is_alive());
        assert_eq!(sup.supervisor().count_children().await.unwrap().specs, 0);
        sup.shutdown().await;
    });
}

/// Dynamic children that crash are still restarted (one_for_one), and
/// those that hang in `stopped` are killed at their timeout.
#[test]
fn crashed_dynamic_children_restart_and_stay_listed() {
    run(async {
        let sup = DynamicSupervisor::spawn(lenient(), Template::default())
            .await
            .unwrap();
        let log = Log::default();
        let w = sup
            .start_child(Worker::factory_with("w", &log, Behaviour::Normal))
            .await
            .unwrap();
        w.tell(Exit(panicked("boom"))).await.unwrap();
        assert_eq!(w.ask(Instance).await, Ok(2));
        assert_eq!(sup.count().await.unwrap(), 1);
        sup.shutdown().await;
    });
}
