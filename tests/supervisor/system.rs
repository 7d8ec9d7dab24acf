//! System, registry, tree snapshots and the dynamic supervisor.

use crate::common;

use std::time::Duration;

use common::{Exit, Instance, Log, Worker, panicked};
use retinue::supervisor::{
    ChildSpec, ChildState, DynamicSupervisor, Flags, Strategy, Supervisor, SupervisorError, System,
    Template,
};
use retinue::{ExitReason, rt};

#[test]
fn names_resolve_while_alive_survive_restarts_and_are_freed_on_stop() {
    rt::block_on(async {
        let log = Log::default();
        let system = System::new().await;
        let w = system.spawn("w", Worker::factory("w", &log)).await.unwrap();
        system.register("worker", &w).unwrap();
        assert!(system.register("worker", &w).is_err(), "taken while alive");

        w.tell(Exit(panicked("restart me"))).await.unwrap();
        let found = system.lookup::<Worker>("worker").unwrap();
        assert_eq!(
            found.ask(Instance).await,
            Ok(2),
            "the name follows the restart"
        );
        assert!(
            system.lookup::<Supervisor>("worker").is_none(),
            "wrong type"
        );

        system.root().terminate_child("w").await.unwrap();
        assert!(
            system.lookup::<Worker>("worker").is_none(),
            "freed when stopped for good"
        );
        let other = retinue::spawn(Worker::factory("o", &log)());
        system.register("worker", &other).unwrap();
        assert_eq!(system.shutdown().await, ExitReason::Shutdown);
    });
}

#[test]
fn the_tree_snapshot_prints_and_serializes() {
    rt::block_on(async {
        let log = Log::default();
        let inner_log = log.clone();
        let root = Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::worker("db", Worker::factory("db", &log)))
            .child(ChildSpec::supervisor("workers", move || {
                Supervisor::new(Strategy::RestForOne).child(ChildSpec::worker(
                    "fetcher",
                    Worker::factory("fetcher", &inner_log),
                ))
            }));
        let system = System::with_root(root).await.unwrap();
        let tree = system.tree().await.unwrap();
        assert_eq!(
            tree.to_string(),
            "root (Supervisor) running\n\
             ├── db (Worker) running\n\
             └── workers (Supervisor) running\n    \
                 └── fetcher (Worker) running\n"
        );
        let fetcher = tree.find("workers/fetcher").unwrap();
        assert_eq!(fetcher.state, ChildState::Running);
        let json = serde_json::to_value(&tree).unwrap();
        assert_eq!(json["children"][1]["children"][0]["id"], "fetcher");
        assert_eq!(json["children"][0]["state"], "running");
        system.shutdown().await;
    });
}

#[test]
fn a_dynamic_supervisor_starts_children_on_demand_up_to_its_limit() {
    rt::block_on(async {
        let log = Log::default();
        let template = Template {
            max_children: Some(2),
            ..Template::default()
        };
        let dynamic = DynamicSupervisor::spawn(Flags::default(), template)
            .await
            .unwrap();
        let a = dynamic
            .start_child(Worker::factory("a", &log))
            .await
            .unwrap();
        let b = dynamic
            .start_child(Worker::factory("b", &log))
            .await
            .unwrap();
        let full = dynamic.start_child(Worker::factory("c", &log)).await;
        assert_eq!(full.unwrap_err(), SupervisorError::MaxChildren(2));

        // Transient by default: a crash restarts, a normal exit removes.
        a.tell(Exit(panicked("oops"))).await.unwrap();
        assert_eq!(a.ask(Instance).await, Ok(2));
        b.tell(Exit(ExitReason::Normal)).await.unwrap();
        b.wait_stopped().await;
        assert_eq!(dynamic.count().await.unwrap(), 1);

        dynamic.terminate_child(&a).await.unwrap();
        assert_eq!(dynamic.count().await.unwrap(), 0);
        assert_eq!(dynamic.shutdown().await, ExitReason::Shutdown);
    });
}

#[test]
fn a_supervisor_restart_builds_fresh_children() {
    rt::block_on(async {
        let log = Log::default();
        let inner_log = log.clone();
        let sys = System::with_flags(Flags::default().intensity(5, Duration::from_secs(60)))
            .await
            .unwrap();
        sys.start_child(ChildSpec::supervisor("inner", move || {
            Supervisor::new(Strategy::OneForOne).child(ChildSpec::worker(
                "leaf",
                Worker::factory("leaf", &inner_log),
            ))
        }))
        .await
        .unwrap();
        let inner = sys
            .root()
            .child("inner")
            .await
            .unwrap()
            .addr::<Supervisor>()
            .unwrap();
        inner.stop_with(ExitReason::failed("inner broke"));
        while sys.root().child("inner").await.unwrap().restarts == 0 {
            rt::yield_now().await;
        }
        let tree = sys.tree().await.unwrap();
        assert_eq!(tree.find("inner/leaf").unwrap().state, ChildState::Running);
        assert_eq!(
            log.take(),
            ["start leaf", "stop leaf: shutdown", "start leaf"]
        );
        sys.shutdown().await;
    });
}
