//! Loading valid config files: the three formats agree, references
//! resolve to the right handles, a bad file starts nothing, and a loaded
//! tree behaves like the same tree built in code.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use retinue::config::{ConfigKind, Format, Kinds, Ref, Refs, load_file, load_str};
use retinue::supervisor::{
    ChildSpec, ChildState, Flags, Restart, Strategy, Supervisor, SupervisorRef, System, TreeNode,
};
use retinue::sync::{
    CircuitBreaker, Condition, ConditionActor, LockActor, Queue, Semaphore, State,
};
use retinue::{Actor, BoxError, Context, Handler, Message};

struct Consumer {
    queue: Queue<String>,
    slots: Option<Semaphore>,
}
impl Actor for Consumer {}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsumerArgs {
    queue: Ref<Queue<String>>,
    #[serde(default)]
    slots: Option<Ref<Semaphore>>,
}

impl ConfigKind for Consumer {
    type Args = ConsumerArgs;
    fn build(args: &ConsumerArgs, refs: &Refs) -> Result<Self, BoxError> {
        Ok(Consumer {
            queue: refs.get(&args.queue)?,
            slots: args.slots.as_ref().map(|s| refs.get(s)).transpose()?,
        })
    }
}

struct Take;
impl Message for Take {
    type Reply = Option<String>;
}
impl Handler<Take> for Consumer {
    async fn handle(&mut self, _: Take, _: &mut Context<Self>) -> Option<String> {
        self.queue.get().await.ok()
    }
}

struct Slots;
impl Message for Slots {
    type Reply = Option<usize>;
}
impl Handler<Slots> for Consumer {
    async fn handle(&mut self, _: Slots, _: &mut Context<Self>) -> Option<usize> {
        self.slots.as_ref()?.available().await.ok()
    }
}

/// Counts its starts; crashes on request.
struct Crashy;
static CRASHY_STARTS: AtomicUsize = AtomicUsize::new(0);
impl Actor for Crashy {
    async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
        CRASHY_STARTS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}
impl ConfigKind for Crashy {
    type Args = Empty;
    fn build(_: &Empty, _: &Refs) -> Result<Self, BoxError> {
        Ok(Crashy)
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Crashy {
    async fn handle(&mut self, _: Crash, ctx: &mut Context<Self>) {
        ctx.fail("asked to crash");
    }
}

/// Counts its starts (for "a bad file starts nothing").
struct Counted;
static COUNTED_STARTS: AtomicUsize = AtomicUsize::new(0);
impl Actor for Counted {
    async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
        COUNTED_STARTS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Waits on the condition named in its args.
struct Waiter {
    condition: Condition,
}
impl Actor for Waiter {}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiterArgs {
    condition: Ref<Condition>,
}

impl ConfigKind for Waiter {
    type Args = WaiterArgs;
    fn build(args: &WaiterArgs, refs: &Refs) -> Result<Self, BoxError> {
        Ok(Waiter {
            condition: refs.get(&args.condition)?,
        })
    }
}

/// Take the lock, wait for one notification; answers whether the wait
/// returned with the condition's lock held again.
struct AwaitNotify;
impl Message for AwaitNotify {
    type Reply = bool;
}
impl Handler<AwaitNotify> for Waiter {
    async fn handle(&mut self, _: AwaitNotify, _: &mut Context<Self>) -> bool {
        let lock = self.condition.lock().clone();
        let Ok(guard) = lock.acquire().await else {
            return false;
        };
        match self.condition.wait(guard).await {
            Ok(guard) => {
                guard.lock_id() == Some(lock.addr().id()) && lock.is_locked().await == Ok(true)
            }
            Err(_) => false,
        }
    }
}

fn kinds() -> Kinds {
    let mut kinds = Kinds::builtin();
    kinds
        .register::<Consumer>("test.consumer")
        .register::<Waiter>("test.waiter")
        .register::<Crashy>("test.crashy")
        .register_fn("test.counted", |_: &Empty, _| Ok(Counted));
    kinds
}

fn valid(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/config/valid")
        .join(name)
}

#[cfg(all(feature = "json", feature = "yaml"))]
#[test]
fn the_three_formats_load_to_the_same_model() {
    let models: Vec<serde_json::Value> = ["tree.toml", "tree.json", "tree.yaml"]
        .iter()
        .map(|f| {
            let tree = load_file(valid(f), &kinds()).unwrap_or_else(|e| panic!("{e}"));
            serde_json::to_value(tree.config()).unwrap()
        })
        .collect();
    assert_eq!(models[0], models[1], "TOML and JSON differ");
    assert_eq!(models[0], models[2], "TOML and YAML differ");
    // And the model is what the file says.
    let m = &models[0]["supervisor"];
    assert_eq!(m["strategy"], "one_for_all");
    assert_eq!(m["within"], "2s");
    assert_eq!(
        m["children"][2]["supervisor"]["children"][1]["shutdown"],
        serde_json::json!({"timeout": "1s 500ms"})
    );
    assert_eq!(
        m["children"][2]["supervisor"]["children"][1]["refs"],
        serde_json::json!(["jobs", "slots"])
    );
}

#[test]
fn the_model_keeps_defaults_and_settings() {
    let tree = load_file(valid("tree.toml"), &kinds()).unwrap();
    let sup = &tree.config().supervisor;
    assert_eq!(sup.strategy, Strategy::OneForAll);
    assert_eq!(sup.max_restarts, 4);
    assert_eq!(sup.within, Duration::from_secs(2));
    assert_eq!(sup.backoff.unwrap().max, Duration::from_millis(200));
    assert_eq!(sup.backoff_reset, Flags::default().backoff_reset);
    assert_eq!(sup.children[2].restart, Restart::Transient);
    assert!(sup.children[2].significant);
}

#[test]
fn references_resolve_to_the_named_children() {
    retinue::rt::block_on(async {
        let tree = load_file(valid("tree.toml"), &kinds()).unwrap();
        let jobs: Queue<String> = tree.handle("jobs").unwrap();
        let breaker: CircuitBreaker = tree.handle("breaker").unwrap();
        assert!(
            tree.handle::<Semaphore>("jobs").is_none(),
            "a queue is not a semaphore"
        );
        let system = tree.start().await.unwrap();

        jobs.put("first".into()).await.unwrap();
        let consumer = system
            .lookup_path::<Consumer>("inner/consumer")
            .await
            .unwrap();
        assert_eq!(consumer.ask(Take).await, Ok(Some("first".into())));
        // `slots` resolved to the semaphore declared next to it (2 permits).
        assert_eq!(consumer.ask(Slots).await, Ok(Some(2)));
        // The breaker handle is the supervised breaker.
        assert_eq!(breaker.call(|| async { Ok::<_, ()>(5) }).await, Ok(5));
        assert_eq!(breaker.state(), State::Closed);

        assert!(
            system
                .lookup_path::<Consumer>("inner/nobody")
                .await
                .is_none()
        );
        assert!(
            system
                .lookup_path::<Crashy>("inner/consumer")
                .await
                .is_none()
        );
        let inner = system.root().child("inner").await.unwrap();
        assert_eq!(inner.restart, Restart::Transient);
        let inner = SupervisorRef::wait_started(inner.addr::<Supervisor>().unwrap())
            .await
            .unwrap();
        assert_eq!(
            inner.child("consumer").await.unwrap().restart,
            Restart::Temporary
        );
        system.shutdown().await;
    });
}

#[test]
fn a_reference_into_an_ancestors_scope_survives_a_subtree_restart() {
    retinue::rt::block_on(async {
        let file = r#"
[supervisor]
[[supervisor.children]]
id = "jobs"
kind = "queue"
[[supervisor.children]]
id = "group"
[supervisor.children.supervisor]
strategy = "one_for_all"
children = [
  { id = "crashy", kind = "test.crashy" },
  { id = "consumer", kind = "test.consumer", args = { queue = "jobs" } },
]
"#;
        let tree = load_str(file, Format::Toml, "t.toml", &kinds()).unwrap();
        let jobs: Queue<String> = tree.handle("jobs").unwrap();
        let system = tree.start().await.unwrap();
        let crashy = system.lookup_path::<Crashy>("group/crashy").await.unwrap();
        let _ = crashy.ask(Crash).await;
        // The consumer was restarted with the group (one_for_all) and
        // still reads from the same queue.
        wait_for(&system, |t| {
            t.find("group/consumer").is_some_and(|c| c.restarts == 1)
        })
        .await;
        jobs.put("after".into()).await.unwrap();
        let consumer = system
            .lookup_path::<Consumer>("group/consumer")
            .await
            .unwrap();
        assert_eq!(consumer.ask(Take).await, Ok(Some("after".into())));
        system.shutdown().await;
    });
}

#[test]
fn a_bad_file_starts_nothing() {
    retinue::rt::block_on(async {
        let file = r#"
[supervisor]
[[supervisor.children]]
id = "counted"
kind = "test.counted"
[[supervisor.children]]
id = "broken"
kind = "queue"
args = { maxsize = "many" }
"#;
        let before = COUNTED_STARTS.load(Ordering::SeqCst);
        let err = System::from_config_str(file, Format::Toml, &kinds())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("error[R0015]"), "{err}");
        assert_eq!(
            COUNTED_STARTS.load(Ordering::SeqCst),
            before,
            "something started"
        );
        // The same file without the bad child starts the counted actor.
        let good = file
            .split("[[supervisor.children]]\nid = \"broken\"")
            .next()
            .unwrap();
        let system = System::from_config_str(good, Format::Toml, &kinds())
            .await
            .unwrap();
        assert_eq!(COUNTED_STARTS.load(Ordering::SeqCst), before + 1);
        system.shutdown().await;
    });
}

async fn wait_for(system: &System, done: impl Fn(&TreeNode) -> bool) -> TreeNode {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tree = system.tree().await.unwrap();
        if done(&tree) {
            return tree;
        }
        assert!(Instant::now() < deadline, "timed out; tree:\n{tree}");
        retinue::rt::sleep(Duration::from_millis(5)).await;
    }
}

fn shape(t: &TreeNode) -> Vec<(usize, String, String, u32)> {
    t.walk()
        .into_iter()
        .map(|(d, n)| (d, n.id.clone(), n.actor.clone(), n.restarts))
        .collect()
}

#[test]
fn a_loaded_tree_behaves_like_the_same_tree_built_in_code() {
    retinue::rt::block_on(async {
        let file = r#"
[supervisor]
strategy = "rest_for_one"
max_restarts = 5
within = "5s"
[[supervisor.children]]
id = "a"
kind = "test.crashy"
[[supervisor.children]]
id = "b"
kind = "test.crashy"
[[supervisor.children]]
id = "c"
kind = "test.crashy"
"#;
        let loaded = System::from_config_str(file, Format::Toml, &kinds())
            .await
            .unwrap();
        let coded = System::with_root(
            Supervisor::with_flags(
                Flags::new(Strategy::RestForOne).intensity(5, Duration::from_secs(5)),
            )
            .child(ChildSpec::worker("a", || Crashy))
            .child(ChildSpec::worker("b", || Crashy))
            .child(ChildSpec::worker("c", || Crashy)),
        )
        .await
        .unwrap();
        assert_eq!(
            shape(&loaded.tree().await.unwrap()),
            shape(&coded.tree().await.unwrap())
        );

        // Crash `b`: rest_for_one restarts b and c, not a, in both trees.
        for system in [&loaded, &coded] {
            let b = system.lookup_path::<Crashy>("b").await.unwrap();
            let _ = b.ask(Crash).await;
        }
        let settled = |t: &TreeNode| {
            t.find("b").is_some_and(|n| n.restarts == 1)
                && t.find("c").is_some_and(|n| n.restarts == 1)
        };
        let l = wait_for(&loaded, settled).await;
        let c = wait_for(&coded, settled).await;
        assert_eq!(shape(&l), shape(&c));
        assert_eq!(l.find("a").unwrap().restarts, 0);
        loaded.shutdown().await;
        coded.shutdown().await;
    });
}

#[test]
fn a_nested_supervisor_is_rebuilt_from_the_file_when_it_restarts() {
    retinue::rt::block_on(async {
        let file = r#"
[supervisor]
[[supervisor.children]]
id = "jobs"
kind = "queue"
[[supervisor.children]]
id = "group"
[supervisor.children.supervisor]
max_restarts = 0
children = [
  { id = "crashy", kind = "test.crashy" },
  { id = "consumer", kind = "test.consumer", args = { queue = "jobs" } },
]
"#;
        let tree = load_str(file, Format::Toml, "t.toml", &kinds()).unwrap();
        let jobs: Queue<String> = tree.handle("jobs").unwrap();
        let system = tree.start().await.unwrap();
        let first = system
            .lookup_path::<Consumer>("group/consumer")
            .await
            .unwrap();
        let crashy = system.lookup_path::<Crashy>("group/crashy").await.unwrap();
        let _ = crashy.ask(Crash).await;
        // `group` allows no restart: it fails, the root restarts it, and its
        // factory rebuilds the subtree (new mailboxes) from the plan. The new
        // consumer still reads from the same outer queue.
        let tree = wait_for(&system, |t| {
            t.find("group").is_some_and(|g| g.restarts == 1)
                && t.find("group/consumer")
                    .is_some_and(|c| c.state == ChildState::Running)
        })
        .await;
        assert_eq!(tree.find("jobs").unwrap().restarts, 0);
        let consumer = system
            .lookup_path::<Consumer>("group/consumer")
            .await
            .unwrap();
        assert_ne!(consumer.id(), first.id(), "the subtree was rebuilt");
        jobs.put("after".into()).await.unwrap();
        assert_eq!(consumer.ask(Take).await, Ok(Some("after".into())));
        system.shutdown().await;
    });
}

#[test]
fn the_lock_family_is_built_in() {
    retinue::rt::block_on(async {
        let file = r#"
[supervisor]
strategy = "one_for_one"

[[supervisor.children]]
id = "db_lock"
kind = "lock"
args = { lease = "30s" }

[[supervisor.children]]
id = "table"
kind = "rwlock"

[[supervisor.children]]
id = "ready"
kind = "event"
args = { set = true }
"#;
        let system = System::from_config_str(file, Format::Toml, &Kinds::builtin())
            .await
            .unwrap();
        let lock = retinue::sync::Lock::from_addr(
            system
                .lookup_path::<retinue::sync::LockActor>("db_lock")
                .await
                .unwrap(),
        );
        let guard = lock.acquire().await.unwrap();
        assert!(lock.is_locked().await.unwrap());
        drop(guard);
        let table = retinue::sync::RwLock::from_addr(
            system
                .lookup_path::<retinue::sync::RwLockActor>("table")
                .await
                .unwrap(),
        );
        drop(table.read().await.unwrap());
        let ready = retinue::sync::Event::from_addr(
            system
                .lookup_path::<retinue::sync::EventActor>("ready")
                .await
                .unwrap(),
        );
        assert!(ready.is_set().await.unwrap());
        system.shutdown().await;
    });
}

#[test]
fn a_condition_is_bound_to_the_lock_its_file_names() {
    retinue::rt::block_on(async {
        let file = r#"
[supervisor]

[[supervisor.children]]
id = "mutex"
kind = "lock"

[[supervisor.children]]
id = "ready"
kind = "condition"
args = { lock = "mutex" }

[[supervisor.children]]
id = "waiter"
kind = "test.waiter"
args = { condition = "ready" }
"#;
        let tree = load_str(file, Format::Toml, "c.toml", &kinds()).unwrap();
        let ready: Condition = tree.handle("ready").unwrap();
        assert!(
            tree.handle::<Condition>("mutex").is_none(),
            "a lock is not a condition"
        );
        let system = tree.start().await.unwrap();
        let mutex = system.lookup_path::<LockActor>("mutex").await.unwrap();
        let actor = system.lookup_path::<ConditionActor>("ready").await.unwrap();
        assert_eq!(ready.lock().addr().id(), mutex.id());
        assert_eq!(ready.addr().id(), actor.id());

        // The configured waiter parks on the condition...
        let waiter = system.lookup_path::<Waiter>("waiter").await.unwrap();
        let asked = retinue::rt::spawn(async move { waiter.ask(AwaitNotify).await });
        retinue::rt::timeout(Duration::from_secs(10), async {
            while ready.waiting().await != Ok(1) {
                retinue::rt::yield_now().await;
            }
        })
        .await
        .expect("the waiter never parked");
        // ...having released the lock, which we now take to notify it.
        let guard = ready.lock().acquire().await.unwrap();
        assert_eq!(ready.notify(&guard, 1).await, Ok(1));
        assert_eq!(ready.waiting().await, Ok(0));
        drop(guard);
        let woken = retinue::rt::timeout(Duration::from_secs(10), asked)
            .await
            .expect("the waiter was never woken");
        assert_eq!(woken.unwrap(), Ok(true));
        system.shutdown().await;
    });
}
