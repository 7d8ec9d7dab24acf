//! OTP supervisor semantics: strategies, restart types, intensity.

use crate::common;

use std::time::Duration;

use common::{Exit, Instance, Log, Worker, panicked};
use retinue::supervisor::{
    ChildSpec, ChildState, Flags, Restart, Strategy, Supervisor, SupervisorError,
};
use retinue::{Addr, ExitReason, rt};

/// A supervisor over workers a, b, c; returns their addresses.
async fn abc(flags: Flags, log: &Log) -> (retinue::supervisor::SupervisorRef, Vec<Addr<Worker>>) {
    let specs: Vec<ChildSpec> = ["a", "b", "c"]
        .into_iter()
        .map(|n| ChildSpec::worker(n, Worker::factory(n, log)))
        .collect();
    let addrs = specs.iter().map(|s| s.addr::<Worker>().unwrap()).collect();
    let sup = specs
        .into_iter()
        .fold(Supervisor::with_flags(flags), Supervisor::child)
        .spawn()
        .await
        .unwrap();
    (sup, addrs)
}

/// Waits until the worker answers with instance `n` (after a restart).
async fn wait_instance(addr: &Addr<Worker>, n: u64) {
    assert_eq!(addr.ask(Instance).await, Ok(n));
}

fn lenient() -> Flags {
    Flags::default().intensity(100, Duration::from_secs(60))
}

#[test]
fn children_start_in_order_and_stop_in_reverse_order() {
    rt::block_on(async {
        let log = Log::default();
        let (sup, _) = abc(lenient(), &log).await;
        assert_eq!(log.take(), ["start a", "start b", "start c"]);
        assert_eq!(sup.shutdown().await, ExitReason::Shutdown);
        assert_eq!(
            log.take(),
            ["stop c: shutdown", "stop b: shutdown", "stop a: shutdown"]
        );
    });
}

#[test]
fn one_for_one_restarts_only_the_child_that_failed() {
    rt::block_on(async {
        let log = Log::default();
        let (_sup, w) = abc(lenient(), &log).await;
        log.take();
        w[1].tell(Exit(panicked("b broke"))).await.unwrap();
        wait_instance(&w[1], 2).await;
        assert_eq!(log.take(), ["stop b: panicked: b broke", "start b"]);
        wait_instance(&w[0], 1).await;
        wait_instance(&w[2], 1).await;
    });
}

#[test]
fn one_for_all_stops_the_others_in_reverse_and_restarts_all_in_order() {
    rt::block_on(async {
        let log = Log::default();
        let (_sup, w) = abc(
            Flags {
                strategy: Strategy::OneForAll,
                ..lenient()
            },
            &log,
        )
        .await;
        log.take();
        w[1].tell(Exit(panicked("b broke"))).await.unwrap();
        // Once b answers as instance 2, a (before it) has been restarted
        // and c (after it) stopped, so asks cannot reach an old instance.
        for i in [1, 0, 2] {
            wait_instance(&w[i], 2).await;
        }
        assert_eq!(
            log.take(),
            [
                "stop b: panicked: b broke",
                "stop c: shutdown",
                "stop a: shutdown",
                "start a",
                "start b",
                "start c"
            ]
        );
    });
}

#[test]
fn rest_for_one_restarts_the_failed_child_and_those_started_after_it() {
    rt::block_on(async {
        let log = Log::default();
        let (_sup, w) = abc(
            Flags {
                strategy: Strategy::RestForOne,
                ..lenient()
            },
            &log,
        )
        .await;
        log.take();
        w[1].tell(Exit(panicked("b broke"))).await.unwrap();
        wait_instance(&w[1], 2).await;
        wait_instance(&w[2], 2).await;
        wait_instance(&w[0], 1).await;
        assert_eq!(
            log.take(),
            [
                "stop b: panicked: b broke",
                "stop c: shutdown",
                "start b",
                "start c"
            ]
        );
    });
}

/// Runs one child of `restart` type, makes it exit with `reason`, and says
/// whether it was restarted (and what state it is left in otherwise).
async fn restarted_after(restart: Restart, reason: ExitReason) -> (bool, Option<ChildState>) {
    let log = Log::default();
    let spec = ChildSpec::worker("w", Worker::factory("w", &log)).restart(restart);
    let w = spec.addr::<Worker>().unwrap();
    let sup = Supervisor::with_flags(lenient())
        .child(spec)
        .spawn()
        .await
        .unwrap();
    w.tell(Exit(reason)).await.unwrap();
    let restarted = w.ask(Instance).await == Ok(2);
    let state = sup.child("w").await.ok().map(|c| c.state);
    (restarted, state)
}

#[test]
fn permanent_children_are_always_restarted() {
    rt::block_on(async {
        for reason in [ExitReason::Normal, ExitReason::Shutdown, panicked("x")] {
            assert_eq!(
                restarted_after(Restart::Permanent, reason).await,
                (true, Some(ChildState::Running))
            );
        }
    });
}

#[test]
fn transient_children_are_restarted_only_after_abnormal_exits() {
    rt::block_on(async {
        for reason in [
            ExitReason::Normal,
            ExitReason::Shutdown,
            ExitReason::Stopped,
        ] {
            assert_eq!(
                restarted_after(Restart::Transient, reason).await,
                (false, Some(ChildState::Stopped))
            );
        }
        let failed = ExitReason::failed("bad input");
        for reason in [panicked("x"), failed] {
            assert_eq!(
                restarted_after(Restart::Transient, reason).await,
                (true, Some(ChildState::Running))
            );
        }
    });
}

#[test]
fn temporary_children_are_never_restarted_and_are_removed() {
    rt::block_on(async {
        for reason in [ExitReason::Normal, panicked("x")] {
            assert_eq!(
                restarted_after(Restart::Temporary, reason).await,
                (false, None)
            );
        }
    });
}

#[test]
fn a_temporary_bystander_is_not_restarted_by_a_group_restart() {
    rt::block_on(async {
        let log = Log::default();
        let a = ChildSpec::worker("a", Worker::factory("a", &log));
        let t = ChildSpec::worker("t", Worker::factory("t", &log)).restart(Restart::Temporary);
        let (wa, wt) = (a.addr::<Worker>().unwrap(), t.addr::<Worker>().unwrap());
        let sup = Supervisor::with_flags(Flags {
            strategy: Strategy::OneForAll,
            ..lenient()
        })
        .child(a)
        .child(t)
        .spawn()
        .await
        .unwrap();
        wa.tell(Exit(panicked("a broke"))).await.unwrap();
        wait_instance(&wa, 2).await;
        assert_eq!(wt.wait_stopped().await, ExitReason::Shutdown);
        assert_eq!(
            sup.child("t").await.unwrap_err(),
            SupervisorError::NotFound("t".into())
        );
    });
}

#[test]
fn exceeding_the_intensity_stops_the_children_and_fails_the_supervisor() {
    rt::block_on(async {
        let log = Log::default();
        let flags = Flags::default().intensity(2, Duration::from_secs(60));
        let (sup, w) = abc(flags, &log).await;
        for n in 1..=2 {
            w[0].tell(Exit(panicked("again"))).await.unwrap();
            wait_instance(&w[0], n + 1).await;
        }
        // The third restart within the window is one too many.
        w[0].tell(Exit(panicked("again"))).await.unwrap();
        let reason = sup.addr().wait_stopped().await;
        assert!(
            reason.to_string().contains("more than 2 restarts"),
            "{reason}"
        );
        for addr in &w[1..] {
            assert_eq!(addr.wait_stopped().await, ExitReason::Shutdown);
        }
    });
}

#[test]
fn restarts_further_apart_than_the_window_never_accumulate() {
    rt::block_on(async {
        let log = Log::default();
        let window = Duration::from_millis(30);
        let flags = Flags::default().intensity(1, window);
        let (sup, w) = abc(flags, &log).await;
        for n in 1..=4 {
            w[0].tell(Exit(panicked("now and then"))).await.unwrap();
            wait_instance(&w[0], n + 1).await;
            // Sleeping guarantees at least the window passes: this can only
            // make the test more lenient, never flaky.
            rt::sleep(window * 2).await;
        }
        assert!(sup.addr().is_alive());
    });
}

#[test]
fn zero_max_restarts_escalates_on_the_first_failure() {
    rt::block_on(async {
        let log = Log::default();
        let (sup, w) = abc(Flags::default().intensity(0, Duration::from_secs(5)), &log).await;
        w[2].tell(Exit(panicked("once"))).await.unwrap();
        assert!(sup.addr().wait_stopped().await.is_abnormal());
    });
}

#[test]
fn escalation_travels_up_two_levels() {
    rt::block_on(async {
        let log = Log::default();
        let inner_log = log.clone();
        // The inner supervisor allows no restart; the outer allows one.
        let inner = ChildSpec::supervisor("inner", move || {
            Supervisor::with_flags(Flags::default().intensity(0, Duration::from_secs(60))).child(
                ChildSpec::worker("leaf", Worker::factory("leaf", &inner_log)),
            )
        });
        let outer = Supervisor::with_flags(Flags::default().intensity(1, Duration::from_secs(60)))
            .child(inner)
            .spawn()
            .await
            .unwrap();
        let leaf = |n| {
            let outer = outer.clone();
            async move {
                let inner = outer.child("inner").await.unwrap();
                let inner_sup = inner.addr::<Supervisor>().unwrap();
                let inner_ref = retinue::supervisor::SupervisorRef::wait_started(inner_sup)
                    .await
                    .unwrap();
                let leaf = inner_ref
                    .child("leaf")
                    .await
                    .unwrap()
                    .addr::<Worker>()
                    .unwrap();
                assert_eq!(leaf.ask(Instance).await, Ok(n));
                leaf
            }
        };
        // First leaf crash: inner fails, outer restarts inner (new leaf).
        leaf(1).await.tell(Exit(panicked("leaf 1"))).await.unwrap();
        while outer.child("inner").await.unwrap().restarts < 1 {
            rt::yield_now().await;
        }
        // Second: inner fails again, outer exceeds its own intensity.
        leaf(1).await.tell(Exit(panicked("leaf 2"))).await.unwrap();
        let reason = outer.addr().wait_stopped().await;
        assert!(
            reason.to_string().contains("more than 1 restarts"),
            "{reason}"
        );
        assert!(
            log.lines()
                .iter()
                .any(|l| l == "stop leaf: panicked: leaf 2")
        );
    });
}
