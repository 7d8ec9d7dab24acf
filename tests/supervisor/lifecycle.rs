//! Supervisor shutdown policies, start rollback, admin API, significant
//! children, stable addresses and backoff.

use crate::common;

use std::time::Duration;

use common::{Behaviour, Exit, Hold, HoldThenPanic, Instance, Log, Worker, panicked};
use futures_lite::future;
use retinue::supervisor::{
    AutoShutdown, ChildSpec, ChildState, Flags, Restart, Shutdown, Strategy, Supervisor,
    SupervisorError,
};
use retinue::{AskError, Backoff, ExitReason, Jitter, rt};

fn spec(name: &'static str, log: &Log) -> ChildSpec {
    ChildSpec::worker(name, Worker::factory(name, log))
}

#[test]
fn a_child_that_overruns_its_shutdown_timeout_is_killed_without_stopped() {
    rt::block_on(async {
        let log = Log::default();
        let slow = ChildSpec::worker(
            "slow",
            Worker::factory_with("slow", &log, Behaviour::HangInStopped),
        )
        .shutdown(Shutdown::Timeout(Duration::from_millis(20)));
        let slow_addr = slow.addr::<Worker>().unwrap();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(slow)
            .spawn()
            .await
            .unwrap();
        sup.shutdown().await;
        assert_eq!(slow_addr.wait_stopped().await, ExitReason::Killed);
        assert_eq!(log.take(), ["start slow", "hanging slow"]);
    });
}

#[test]
fn a_child_stuck_in_a_handler_is_killed_after_its_timeout() {
    rt::block_on(async {
        let log = Log::default();
        let stuck = spec("stuck", &log).shutdown(Shutdown::Timeout(Duration::from_millis(20)));
        let addr = stuck.addr::<Worker>().unwrap();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(stuck)
            .spawn()
            .await
            .unwrap();
        let (_gate, held) = async_channel::bounded(1);
        addr.ask(Instance).await.unwrap();
        addr.tell(Hold(held)).await.unwrap();
        while addr.mailbox_len() > 0 {
            rt::yield_now().await;
        }
        sup.shutdown().await;
        assert_eq!(addr.wait_stopped().await, ExitReason::Killed);
    });
}

#[test]
fn brutal_kill_does_not_run_stopped() {
    rt::block_on(async {
        let log = Log::default();
        let brutal = spec("b", &log).shutdown(Shutdown::Brutal);
        let addr = brutal.addr::<Worker>().unwrap();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(brutal)
            .spawn()
            .await
            .unwrap();
        sup.shutdown().await;
        assert_eq!(addr.wait_stopped().await, ExitReason::Killed);
        assert_eq!(log.take(), ["start b"]);
    });
}

#[test]
fn infinity_waits_for_stopped_however_long_it_takes() {
    rt::block_on(async {
        let log = Log::default();
        let patient = spec("p", &log).shutdown(Shutdown::Infinity);
        let addr = patient.addr::<Worker>().unwrap();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(patient)
            .spawn()
            .await
            .unwrap();
        let (gate, held) = async_channel::bounded(1);
        addr.ask(Instance).await.unwrap();
        addr.tell(Hold(held)).await.unwrap();
        while addr.mailbox_len() > 0 {
            rt::yield_now().await;
        }
        let mut shutdown = Box::pin(sup.shutdown());
        // Well past any timeout a worker would get by default:
        for _ in 0..100 {
            assert!(future::poll_once(&mut shutdown).await.is_none());
            rt::yield_now().await;
        }
        gate.send(()).await.unwrap();
        shutdown.await;
        assert_eq!(addr.wait_stopped().await, ExitReason::Shutdown);
        assert_eq!(log.take(), ["start p", "stop p: shutdown"]);
    });
}

#[test]
fn a_failed_start_rolls_back_the_children_already_started() {
    rt::block_on(async {
        let log = Log::default();
        let bad = ChildSpec::worker("c", Worker::factory_with("c", &log, Behaviour::FailStart));
        let result = Supervisor::new(Strategy::OneForOne)
            .child(spec("a", &log))
            .child(spec("b", &log))
            .child(bad)
            .child(spec("d", &log))
            .spawn()
            .await;
        match result {
            Err(SupervisorError::StartFailed { id, reason }) => {
                assert_eq!(id, "c");
                assert_eq!(reason.to_string(), "failed: c cannot start");
            }
            other => panic!("expected StartFailed, got {other:?}"),
        }
        assert_eq!(
            log.take(),
            [
                "start a",
                "start b",
                "failed c",
                "stop b: shutdown",
                "stop a: shutdown"
            ]
        );
    });
}

#[test]
fn invalid_specs_are_refused_before_anything_starts() {
    rt::block_on(async {
        let log = Log::default();
        let dup = Supervisor::new(Strategy::OneForOne)
            .child(spec("a", &log))
            .child(spec("a", &log))
            .spawn()
            .await;
        assert!(
            matches!(dup, Err(SupervisorError::InvalidSpec(_))),
            "{dup:?}"
        );

        let permanent_significant =
            Supervisor::with_flags(Flags::default().auto_shutdown(AutoShutdown::AnySignificant))
                .child(spec("a", &log).significant(true))
                .spawn()
                .await;
        assert!(matches!(
            permanent_significant,
            Err(SupervisorError::InvalidSpec(_))
        ));

        let never = Supervisor::new(Strategy::OneForOne)
            .child(
                spec("a", &log)
                    .restart(Restart::Transient)
                    .significant(true),
            )
            .spawn()
            .await;
        assert!(matches!(never, Err(SupervisorError::InvalidSpec(_))));
        assert!(log.take().is_empty(), "nothing started");
    });
}

#[test]
fn the_admin_api_reports_otp_errors() {
    rt::block_on(async {
        let log = Log::default();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(spec("a", &log))
            .spawn()
            .await
            .unwrap();
        let missing = SupervisorError::NotFound("zz".into());
        assert_eq!(sup.terminate_child("zz").await, Err(missing.clone()));
        assert_eq!(sup.restart_child("zz").await, Err(missing.clone()));
        assert_eq!(sup.delete_child("zz").await, Err(missing));

        let again = sup.start_child(spec("a", &log)).await.unwrap_err();
        assert_eq!(again, SupervisorError::AlreadyStarted("a".into()));
        assert_eq!(
            sup.restart_child("a").await,
            Err(SupervisorError::Running("a".into()))
        );
        assert_eq!(
            sup.delete_child("a").await,
            Err(SupervisorError::Running("a".into()))
        );

        let old = sup.child("a").await.unwrap().addr::<Worker>().unwrap();
        sup.terminate_child("a").await.unwrap();
        sup.terminate_child("a").await.unwrap(); // idempotent
        assert_eq!(
            old.ask(Instance).await,
            Err(AskError::Closed),
            "stopped means closed"
        );
        let present = sup.start_child(spec("a", &log)).await.unwrap_err();
        assert_eq!(present, SupervisorError::AlreadyPresent("a".into()));

        sup.restart_child("a").await.unwrap();
        let new = sup.child("a").await.unwrap().addr::<Worker>().unwrap();
        assert_eq!(new.ask(Instance).await, Ok(2));

        sup.terminate_child("a").await.unwrap();
        sup.delete_child("a").await.unwrap();
        assert_eq!(sup.count_children().await.unwrap().specs, 0);

        let info = sup.start_child(spec("b", &log)).await.unwrap();
        assert_eq!(info.state, ChildState::Running);
        let counts = sup.count_children().await.unwrap();
        assert_eq!((counts.specs, counts.active, counts.workers), (1, 1, 1));
    });
}

#[test]
fn start_child_reports_a_start_failure_and_keeps_nothing() {
    rt::block_on(async {
        let log = Log::default();
        let sup = Supervisor::new(Strategy::OneForOne).spawn().await.unwrap();
        let bad = ChildSpec::worker("x", Worker::factory_with("x", &log, Behaviour::FailStart));
        let err = sup.start_child(bad).await.unwrap_err();
        assert!(matches!(err, SupervisorError::StartFailed { ref id, .. } if id == "x"));
        assert_eq!(sup.count_children().await.unwrap().specs, 0);
    });
}

#[test]
fn any_significant_child_exiting_shuts_the_supervisor_down() {
    rt::block_on(async {
        let log = Log::default();
        let job = spec("job", &log)
            .restart(Restart::Transient)
            .significant(true);
        let job_addr = job.addr::<Worker>().unwrap();
        let helper = spec("helper", &log);
        let helper_addr = helper.addr::<Worker>().unwrap();
        let sup =
            Supervisor::with_flags(Flags::default().auto_shutdown(AutoShutdown::AnySignificant))
                .child(helper)
                .child(job)
                .spawn()
                .await
                .unwrap();
        job_addr.tell(Exit(ExitReason::Normal)).await.unwrap();
        assert_eq!(sup.addr().wait_stopped().await, ExitReason::Shutdown);
        assert_eq!(helper_addr.wait_stopped().await, ExitReason::Shutdown);
    });
}

#[test]
fn all_significant_waits_for_every_significant_child() {
    rt::block_on(async {
        let log = Log::default();
        let one = spec("one", &log)
            .restart(Restart::Temporary)
            .significant(true);
        let two = spec("two", &log)
            .restart(Restart::Transient)
            .significant(true);
        let (a1, a2) = (one.addr::<Worker>().unwrap(), two.addr::<Worker>().unwrap());
        let sup =
            Supervisor::with_flags(Flags::default().auto_shutdown(AutoShutdown::AllSignificant))
                .child(one)
                .child(two)
                .spawn()
                .await
                .unwrap();
        a1.tell(Exit(ExitReason::Normal)).await.unwrap();
        a1.wait_stopped().await;
        assert!(
            sup.count_children().await.is_ok(),
            "still up after the first"
        );
        a2.tell(Exit(ExitReason::Normal)).await.unwrap();
        assert_eq!(sup.addr().wait_stopped().await, ExitReason::Shutdown);
    });
}

#[test]
fn queued_messages_survive_a_crash_and_only_the_in_flight_asker_sees_it() {
    rt::block_on(async {
        let log = Log::default();
        let w = spec("w", &log);
        let addr = w.addr::<Worker>().unwrap();
        let _sup = Supervisor::new(Strategy::OneForOne)
            .child(w)
            .spawn()
            .await
            .unwrap();
        let (gate, held) = async_channel::bounded(1);
        let in_flight = {
            let addr = addr.clone();
            rt::spawn(async move { addr.ask(HoldThenPanic(held)).await })
        };
        // Wait until the crashing message is in its handler (counted as the
        // handler starts). Looking at an empty mailbox instead raced with
        // the asker's task: the mailbox is also empty before its push, and
        // then the asks below could be handled first and the wait for three
        // queued messages never ended.
        while addr.handled() == 0 {
            rt::yield_now().await;
        }
        // Queue three asks behind the message that will crash.
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let addr = addr.clone();
                rt::spawn(async move { addr.ask(Instance).await })
            })
            .collect();
        while addr.mailbox_len() < 3 {
            rt::yield_now().await;
        }
        gate.send(()).await.unwrap();
        assert_eq!(in_flight.await.unwrap(), Err(AskError::NoReply));
        for q in queued {
            assert_eq!(q.await.unwrap(), Ok(2), "answered by the new instance");
        }
        assert_eq!(
            log.take(),
            [
                "start w",
                "stop w: panicked: crash while holding",
                "start w"
            ]
        );
    });
}

#[test]
fn during_a_backoff_tells_queue_up_and_reach_the_next_instance() {
    rt::block_on(async {
        let log = Log::default();
        let w = spec("w", &log);
        let addr = w.addr::<Worker>().unwrap();
        let backoff =
            Backoff::new(Duration::from_millis(400), Duration::from_secs(1)).jitter(Jitter::None);
        let sup = Supervisor::with_flags(lenient().backoff(backoff))
            .child(w)
            .spawn()
            .await
            .unwrap();
        addr.tell(Exit(panicked("first"))).await.unwrap();
        while sup.child("w").await.unwrap().state != ChildState::Restarting {
            rt::yield_now().await;
        }
        assert!(addr.is_alive(), "the address stays valid while waiting");
        addr.try_tell(Instance).unwrap();
        let tree = sup.tree("sup").await.unwrap();
        assert_eq!(tree.find("w").unwrap().state, ChildState::Restarting);
        assert_eq!(addr.ask(Instance).await, Ok(2));
        assert_eq!(sup.child("w").await.unwrap().restarts, 1);
    });
}

fn lenient() -> Flags {
    Flags::default().intensity(100, Duration::from_secs(60))
}
