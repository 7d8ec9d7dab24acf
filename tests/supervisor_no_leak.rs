//! A tree shutdown leaves no task running. In its own test binary because
//! it counts every task of the process.

mod common;

use std::time::Duration;

use common::{Exit, Log, Worker, panicked};
use retinue::rt;
use retinue::supervisor::{
    ChildSpec, DynamicSupervisor, Flags, Strategy, Supervisor, System, Template,
};

#[test]
fn shutting_a_tree_down_leaves_no_task_running() {
    rt::block_on(async {
        let before = rt::live_tasks();
        let log = Log::default();
        let inner_log = log.clone();
        let root = Supervisor::with_flags(Flags::default().intensity(10, Duration::from_secs(60)))
            .child(ChildSpec::worker("a", Worker::factory("a", &log)))
            .child(ChildSpec::supervisor("inner", move || {
                Supervisor::new(Strategy::OneForAll)
                    .child(ChildSpec::worker("b", Worker::factory("b", &inner_log)))
                    .child(ChildSpec::worker("c", Worker::factory("c", &inner_log)))
            }));
        let system = System::with_root(root).await.unwrap();
        let a = system
            .root()
            .child("a")
            .await
            .unwrap()
            .addr::<Worker>()
            .unwrap();
        a.tell(Exit(panicked("churn"))).await.unwrap();
        let dynamic = DynamicSupervisor::spawn(Flags::default(), Template::default())
            .await
            .unwrap();
        for _ in 0..50 {
            dynamic
                .start_child(Worker::factory("d", &log))
                .await
                .unwrap();
        }
        assert!(rt::live_tasks() > before + 50);

        system.shutdown().await;
        dynamic.shutdown().await;
        drop((system, dynamic, a));
        // Aborted tasks are dropped at their next poll: give them a bounded
        // moment, then insist.
        let settled = rt::timeout(Duration::from_secs(10), async {
            while rt::live_tasks() > before {
                rt::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        assert!(
            settled.is_ok(),
            "{} tasks still alive",
            rt::live_tasks() - before
        );
    });
}
