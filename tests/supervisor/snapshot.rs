//! What a tree snapshot tells an operator about each child: messages
//! handled, mailbox capacity, uptime, recent exits with reasons, the
//! parent's restart intensity spent, and the backoff countdown.

use crate::common;

use std::time::Duration;

use common::wait::wait_until;
use common::{Behaviour, Exit, Instance, Log, Worker, panicked};
use retinue::supervisor::{ChildSpec, ChildState, Flags, Strategy, Supervisor, System};
use retinue::{Backoff, Capacity, ExitReason, rt};

#[test]
fn a_snapshot_counts_messages_and_keeps_exits_and_the_budget() {
    rt::block_on(async {
        let log = Log::default();
        let root = Supervisor::with_flags(
            Flags::new(Strategy::OneForOne).intensity(5, Duration::from_secs(60)),
        )
        .child(ChildSpec::worker("w", Worker::factory("w", &log)).capacity(Capacity::Bounded(8)));
        let system = System::with_root(root).await.unwrap();
        let w = system.lookup_path::<Worker>("w").await.unwrap();
        for _ in 0..3 {
            w.ask(Instance).await.unwrap();
        }
        let node = system.tree().await.unwrap().find("w").unwrap().clone();
        assert_eq!(node.handled, 3);
        assert_eq!(node.capacity, Some(8));
        assert!(node.uptime.is_some(), "running: {node:?}");
        assert!(node.exits.is_empty());
        let budget = node.budget.expect("a child spends its parent's budget");
        assert_eq!((budget.used, budget.max), (0, 5));
        assert_eq!(budget.within, Duration::from_secs(60));

        w.tell(Exit(panicked("boom"))).await.unwrap();
        assert_eq!(
            w.ask(Instance).await,
            Ok(2),
            "restarted on the same mailbox"
        );
        let node = system.tree().await.unwrap().find("w").unwrap().clone();
        assert_eq!(node.restarts, 1);
        assert_eq!(node.handled, 5, "the count goes on across restarts");
        assert_eq!(node.budget.unwrap().used, 1);
        let exit = node.exits.last().expect("the crash is kept");
        assert!(exit.abnormal && exit.reason.contains("boom"), "{exit:?}");
        let root = system.tree().await.unwrap();
        assert_eq!(root.budget, None, "the root has no parent");
        assert_eq!(system.shutdown().await, ExitReason::Shutdown);
    });
}

#[test]
fn a_child_waiting_out_its_backoff_shows_the_countdown() {
    rt::block_on(async {
        let log = Log::default();
        let flags = Flags::new(Strategy::OneForOne)
            .backoff(Backoff::constant(Duration::from_secs(30)).jitter(retinue::Jitter::None));
        let root =
            Supervisor::with_flags(flags).child(ChildSpec::worker("w", Worker::factory("w", &log)));
        let system = System::with_root(root).await.unwrap();
        let w = system.lookup_path::<Worker>("w").await.unwrap();
        w.tell(Exit(panicked("boom"))).await.unwrap();
        wait_until("w is restarting", || async {
            system.tree().await.unwrap().find("w").unwrap().state == ChildState::Restarting
        })
        .await;
        let node = system.tree().await.unwrap().find("w").unwrap().clone();
        let due = node.restart_in.expect("a countdown while restarting");
        assert!(
            due > Duration::ZERO && due <= Duration::from_secs(30),
            "{due:?}"
        );
        assert_eq!(node.uptime, None, "not running");
        assert_eq!(node.exits.len(), 1);
        assert_eq!(system.shutdown().await, ExitReason::Shutdown);
    });
}

#[test]
fn only_the_most_recent_exits_are_kept() {
    rt::block_on(async {
        let log = Log::default();
        let root = Supervisor::with_flags(
            Flags::new(Strategy::OneForOne).intensity(100, Duration::from_secs(60)),
        )
        .child(ChildSpec::worker("w", Worker::factory("w", &log)));
        let system = System::with_root(root).await.unwrap();
        let w = system.lookup_path::<Worker>("w").await.unwrap();
        let crashes = retinue::supervisor::TreeNode::EXITS_KEPT as u64 + 3;
        for n in 1..=crashes {
            w.tell(Exit(panicked(&format!("crash {n}")))).await.unwrap();
            assert_eq!(w.ask(Instance).await, Ok(n + 1));
        }
        let node = system.tree().await.unwrap().find("w").unwrap().clone();
        assert_eq!(node.exits.len(), retinue::supervisor::TreeNode::EXITS_KEPT);
        let last = node.exits.last().unwrap();
        assert!(
            last.reason.contains(&format!("crash {crashes}")),
            "{last:?}"
        );
        assert_eq!(system.shutdown().await, ExitReason::Shutdown);
    });
}

#[test]
fn a_failed_restart_is_kept_as_an_exit_too() {
    rt::block_on(async {
        let log = Log::default();
        let worker_log = log.clone();
        let mut built = 0;
        // The first instance starts; every later one fails in `started`.
        let factory = move || {
            built += 1;
            Worker {
                name: "w",
                log: worker_log.clone(),
                behaviour: if built == 1 {
                    Behaviour::Normal
                } else {
                    Behaviour::FailStart
                },
                instance: built,
            }
        };
        // The first restart comes at once; the next one only after a minute.
        let backoff = Backoff::exponential(Duration::from_millis(1))
            .multiplier(100_000.0)
            .max(Duration::from_secs(60))
            .jitter(retinue::Jitter::None);
        let root = Supervisor::with_flags(Flags::new(Strategy::OneForOne).backoff(backoff))
            .child(ChildSpec::worker("w", factory));
        let system = System::with_root(root).await.unwrap();
        let w = system.lookup_path::<Worker>("w").await.unwrap();
        w.tell(Exit(panicked("boom"))).await.unwrap();
        wait_until("the failed restart is recorded", || async {
            let tree = system.tree().await.unwrap();
            tree.find("w").unwrap().exits.len() == 2
        })
        .await;
        let node = system.tree().await.unwrap().find("w").unwrap().clone();
        assert!(node.exits[0].reason.contains("boom"), "{:?}", node.exits);
        assert!(
            node.exits[1].reason.contains("w cannot start"),
            "{:?}",
            node.exits
        );
        assert_eq!(node.state, ChildState::Restarting);
        assert!(node.restart_in.is_some_and(|d| d > Duration::from_secs(30)));
        assert_eq!(system.shutdown().await, ExitReason::Shutdown);
    });
}
