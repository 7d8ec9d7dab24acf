//! The `pool` config kind: a pool declared in a file routes like one built
//! in code, resolves references in its worker's args, shows in the tree
//! with its workers, survives a restart of its own supervisor, and bad
//! pool args get the same located diagnostics as every kind.

use std::collections::HashSet;
use std::time::Duration;

use retinue::config::{ConfigKind, Format, Kinds, LookupError, Ref, Refs, load_str};
use retinue::pool::{Pool, PoolError, Routing};
use retinue::supervisor::{ChildState, System};
use retinue::sync::Semaphore;
use retinue::{Actor, ActorId, BoxError, Context, Handler, Message, rt};

const LONG: Duration = Duration::from_secs(20);

fn run<F: std::future::Future>(f: F) -> F::Output {
    rt::block_on(rt::timeout(LONG, f)).expect("test hung")
}

/// A worker that greets, knows its id and can read its semaphore.
struct Greeter {
    greeting: String,
    slots: Option<Semaphore>,
}
impl Actor for Greeter {}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GreeterArgs {
    greeting: String,
    #[serde(default)]
    slots: Option<Ref<Semaphore>>,
}

impl ConfigKind for Greeter {
    type Args = GreeterArgs;
    fn build(args: &GreeterArgs, refs: &Refs) -> Result<Self, BoxError> {
        if args.greeting.is_empty() {
            return Err("the greeting is empty".into());
        }
        Ok(Greeter {
            greeting: args.greeting.clone(),
            slots: args.slots.as_ref().map(|s| refs.get(s)).transpose()?,
        })
    }
}

/// Answers the greeting and which worker gave it.
struct Greet(u64);
impl Message for Greet {
    type Reply = (String, ActorId);
}
impl Handler<Greet> for Greeter {
    async fn handle(&mut self, _: Greet, ctx: &mut Context<Self>) -> (String, ActorId) {
        (self.greeting.clone(), ctx.id())
    }
}

struct Permits;
impl Message for Permits {
    type Reply = Option<usize>;
}
impl Handler<Permits> for Greeter {
    async fn handle(&mut self, _: Permits, _: &mut Context<Self>) -> Option<usize> {
        self.slots.as_ref()?.available().await.ok()
    }
}

fn kinds() -> Kinds {
    let mut kinds = Kinds::builtin();
    kinds.register::<Greeter>("test.greeter");
    kinds
}

const FILE: &str = r#"
[supervisor]
children = [
  { id = "slots", kind = "semaphore", args = { permits = 2 } },
  { id = "greeters", kind = "pool", args = { size = 3, routing = "consistent_hash",
    worker = { kind = "test.greeter", args = { greeting = "hello", slots = "slots" } } } },
]
"#;

#[test]
fn a_pool_declared_in_a_file_routes_by_key_and_resolves_its_workers_refs() {
    run(async {
        let tree = load_str(FILE, Format::Toml, "app.toml", &kinds()).unwrap();
        let pool: Pool<Greeter> = tree.lookup("greeters").unwrap();
        assert_eq!(pool.routing(), Routing::ConsistentHash);
        assert_eq!(pool.size(), 3);
        let system = tree.start().await.unwrap();
        // No key yet: a clear refusal, not a guess.
        assert!(matches!(pool.ask(Greet(1)).await, Err(PoolError::NoKey(_))));
        pool.set_key(|g: &Greet| g.0 % 10);
        let mut owner = std::collections::HashMap::new();
        for i in 0..300u64 {
            let (greeting, who) = pool.ask(Greet(i)).await.unwrap();
            assert_eq!(greeting, "hello");
            assert_eq!(
                *owner.entry(i % 10).or_insert(who),
                who,
                "key {} moved",
                i % 10
            );
        }
        let used: HashSet<_> = owner.values().collect();
        assert!(used.len() >= 2, "10 keys over 3 workers used {used:?}");
        // `slots = "slots"` in the worker's args is the file's semaphore.
        pool.set_key(|_: &Permits| 0);
        assert_eq!(pool.ask(Permits).await.unwrap(), Some(2));
        system.shutdown().await;
    });
}

#[test]
fn a_pool_appears_in_the_tree_with_its_workers() {
    run(async {
        let system = System::from_config_str(FILE, Format::Toml, &kinds())
            .await
            .unwrap();
        let tree = system.tree().await.unwrap();
        let pool = tree.find("greeters").expect("the pool is in the tree");
        assert_eq!(pool.state, ChildState::Running);
        let workers: Vec<_> = (0..3)
            .map(|i| tree.find(&format!("greeters/worker-{i}")))
            .collect();
        assert!(
            workers
                .iter()
                .all(|w| w.is_some_and(|w| w.state == ChildState::Running)),
            "{tree}"
        );
        system.shutdown().await;
    });
}

#[test]
fn a_pool_restarted_by_its_parent_serves_again_with_fresh_workers() {
    run(async {
        let tree = load_str(FILE, Format::Toml, "app.toml", &kinds()).unwrap();
        let pool: Pool<Greeter> = tree.lookup("greeters").unwrap();
        pool.set_key(|g: &Greet| g.0);
        let system = tree.start().await.unwrap();
        let before: HashSet<_> = pool.workers().iter().map(|w| w.id()).collect();
        let (_, first) = pool.ask(Greet(7)).await.unwrap();
        system.root().terminate_child("greeters").await.unwrap();
        system.root().restart_child("greeters").await.unwrap();
        let after: HashSet<_> = pool.workers().iter().map(|w| w.id()).collect();
        assert_eq!(after.len(), 3);
        assert!(
            before.is_disjoint(&after),
            "fresh workers after the restart"
        );
        let (greeting, second) = pool.ask(Greet(7)).await.unwrap();
        assert_eq!(greeting, "hello");
        assert!(after.contains(&second) && second != first);
        let tree = system.tree().await.unwrap();
        assert!(tree.find("greeters/worker-2").is_some(), "{tree}");
        system.shutdown().await;
    });
}

#[test]
fn a_pool_is_looked_up_by_its_worker_type() {
    let tree = load_str(FILE, Format::Toml, "app.toml", &kinds()).unwrap();
    let err = tree.lookup::<Pool<Wrong>>("greeters").unwrap_err();
    assert!(matches!(err, LookupError::WrongKind { .. }));
    assert_eq!(
        err.to_string(),
        "`greeters` is a `pool` (Pool<Greeter>), not a pool of Wrong"
    );
    assert!(tree.lookup::<Semaphore>("greeters").is_err());
}

struct Wrong;
impl Actor for Wrong {}

/// The file's one error, as (code, the text the caret points at, message).
fn errors(args: &str) -> Vec<(String, String, String)> {
    let file = format!(
        "[supervisor]\nchildren = [\n  {{ id = \"p\", kind = \"pool\", args = {args} }},\n]\n"
    );
    let err = load_str(&file, Format::Toml, "app.toml", &kinds()).unwrap_err();
    err.diagnostics()
        .iter()
        .map(|d| {
            (
                d.id().to_string(),
                file[d.span.start..d.span.end].to_string(),
                d.message.clone(),
            )
        })
        .collect()
}

const GREETER: &str = r#"worker = { kind = "test.greeter", args = { greeting = "hi" } }"#;

#[test]
fn an_unknown_routing_gets_a_suggestion() {
    let file = format!(
        "[supervisor]\nchildren = [{{ id = \"p\", kind = \"pool\", args = {{ routing = \"consistent_hsah\", {GREETER} }} }}]\n"
    );
    let err = load_str(&file, Format::Toml, "app.toml", &kinds()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("error[R0015]"), "{text}");
    assert!(text.contains("did you mean `consistent_hash`?"), "{text}");
}

#[test]
fn a_size_of_zero_or_too_many_is_refused_at_its_value() {
    let e = errors(&format!("{{ size = 0, {GREETER} }}"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!((e[0].0.as_str(), e[0].1.as_str()), ("R0015", "0"));
    assert!(e[0].2.contains("`size`"), "{e:?}");
    let e = errors(&format!("{{ size = 5000, {GREETER} }}"));
    assert_eq!((e[0].0.as_str(), e[0].1.as_str()), ("R0015", "5000"));
}

#[test]
fn an_unknown_worker_kind_is_an_unknown_kind_at_the_nested_name() {
    let e = errors(r#"{ worker = { kind = "test.greter" } }"#);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "R0016");
    assert_eq!(e[0].1, "\"test.greter\"");
    let file = "[supervisor]\nchildren = [{ id = \"p\", kind = \"pool\", args = { worker = { kind = \"test.greter\" } } }]\n";
    let text = load_str(file, Format::Toml, "app.toml", &kinds())
        .unwrap_err()
        .to_string();
    assert!(text.contains("did you mean `test.greeter`?"), "{text}");
}

#[test]
fn bad_worker_args_point_into_the_nested_table_and_all_are_reported() {
    let e = errors(r#"{ worker = { kind = "test.greeter", args = { greeting = 5, extra = 1 } } }"#);
    let codes: Vec<_> = e.iter().map(|e| (e.0.as_str(), e.1.as_str())).collect();
    assert_eq!(codes, [("R0015", "5"), ("R0010", "extra")], "{e:?}");
    assert!(e[0].2.contains("worker.args.greeting"), "{e:?}");
}

#[test]
fn a_pool_without_a_worker_or_of_an_unpoolable_kind_is_refused() {
    let e = errors("{ size = 2 }");
    assert_eq!(e[0].0, "R0011", "{e:?}");
    let e = errors(r#"{ worker = { kind = "circuit_breaker" } }"#);
    assert_eq!(
        (e[0].0.as_str(), e[0].1.as_str()),
        ("R0015", "\"circuit_breaker\"")
    );
    let e = errors(r#"{ worker = { kind = "test.greeter", args = { greeting = "" } } }"#);
    assert_eq!(
        e[0].0, "R0023",
        "the worker's build runs at load time: {e:?}"
    );
}

#[test]
fn a_dangling_ref_in_the_workers_args_is_reported() {
    let e = errors(
        r#"{ worker = { kind = "test.greeter", args = { greeting = "hi", slots = "slotz" } } }"#,
    );
    assert_eq!((e[0].0.as_str(), e[0].1.as_str()), ("R0021", "\"slotz\""));
}
