//! [`Kinds`]: the registry of actor kinds a config file may name, each
//! with typed args read from the file.
//!
//! Invariants: a kind's args are fully checked (serde, with spans) and its
//! actor is built once at load time, so a bad value is a load error, not
//! a crash after start; the factory given to the supervisor builds a fresh
//! instance from the same args on every restart (the first start uses the
//! instance built at load time); registering a name again replaces it.
//! A built-in kind whose handle needs more than its own address (the
//! circuit breaker, the condition bound to its lock) publishes that
//! handle on its [`Target`], so references to it resolve to the handle.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::supervisor::ChildSpec;
use crate::sync::{
    BarrierActor, BarrierOptions, BreakerConfig, CircuitBreaker, Condition, ConditionActor,
    EventActor, EventOptions, Lock, LockActor, LockOptions, QueueActor, QueueOptions,
    RateLimiterActor, RateLimiterOptions, RwLockActor, RwLockOptions, SemaphoreActor,
    SemaphoreOptions, TripPolicy, Window,
};
use crate::{Actor, BoxError, Capacity};

use super::de::{DeError, from_node};
use super::diagnostics::Diagnostic;
use super::node::{Node, Span, Value};
use super::pool_kind::{PoolKind, PoolSettings, pool_child};
use super::refs::{Ref, RefUse, Refs, Target, collecting};

/// An actor kind that config files can name: its args type (read from the
/// file's `args` table with serde) and how to build an instance.
///
/// ```
/// use retinue::{Actor, BoxError};
/// use retinue::config::{ConfigKind, Kinds, Ref, Refs};
/// use retinue::sync::Semaphore;
///
/// struct Fetcher { urls: u32, slots: Semaphore }
/// impl Actor for Fetcher {}
///
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct FetcherArgs { urls: u32, slots: Ref<Semaphore> }
///
/// impl ConfigKind for Fetcher {
///     type Args = FetcherArgs;
///     fn build(args: &FetcherArgs, refs: &Refs) -> Result<Self, BoxError> {
///         Ok(Fetcher { urls: args.urls, slots: refs.get(&args.slots)? })
///     }
/// }
///
/// let mut kinds = Kinds::builtin();
/// kinds.register::<Fetcher>("my_app.fetcher");
/// assert!(kinds.names().any(|n| n == "my_app.fetcher"));
/// ```
pub trait ConfigKind: Actor + Sized {
    /// The `args` table, deserialized. Use `#[serde(deny_unknown_fields)]`
    /// so typos are errors, and [`Ref`](super::Ref) fields to name other
    /// children.
    type Args: DeserializeOwned + Send + Sync + 'static;

    /// Builds an instance (at load time, then on every restart).
    fn build(args: &Self::Args, refs: &Refs) -> Result<Self, BoxError>;
}

/// What the loader needs from a registered kind, type-erased.
pub(crate) trait KindEntry: Send + Sync {
    /// Reads the args (an absent `args` is an empty table) and the refs in
    /// them; `kinds` is the whole registry (a pool reads its worker's kind).
    fn args(
        &self,
        args: &Node,
        kinds: &Kinds,
    ) -> (Result<Arc<dyn Any + Send + Sync>, DeError>, Vec<RefUse>);
    /// Warnings about valid but suspicious args (`args` is where they are
    /// written).
    fn lint(&self, _typed: &Arc<dyn Any + Send + Sync>, _args: &Node) -> Vec<Diagnostic> {
        Vec::new()
    }
    /// Builds the child spec and what others can refer to.
    fn build(
        &self,
        id: &str,
        kind: &str,
        args: &Arc<dyn Any + Send + Sync>,
        capacity: Option<Capacity>,
        refs: Refs,
    ) -> Result<(ChildSpec, Target), BoxError>;
    /// Whether a `pool` may have workers of this kind.
    fn poolable(&self) -> bool {
        false
    }
    /// Builds a `pool` child (id `id`) whose workers are of this kind.
    fn pool(
        &self,
        _id: &str,
        kind: &str,
        _args: &Arc<dyn Any + Send + Sync>,
        _capacity: Option<Capacity>,
        _refs: Refs,
        _settings: &PoolSettings,
    ) -> Result<(ChildSpec, Target), BoxError> {
        Err(format!("kind `{kind}` cannot be a pool's worker").into())
    }
}

type BuildFn<A, Args> = dyn Fn(&Args, &Refs) -> Result<A, BoxError> + Send + Sync;

struct FnKind<A, Args> {
    build: Arc<BuildFn<A, Args>>,
}

fn read_args<Args: DeserializeOwned + Send + Sync + 'static>(
    args: &Node,
) -> (Result<Arc<dyn Any + Send + Sync>, DeError>, Vec<RefUse>) {
    let (result, refs) = collecting(|| from_node::<Args>(args));
    (
        result.map(|a| Arc::new(a) as Arc<dyn Any + Send + Sync>),
        refs,
    )
}

fn typed<Args: Send + Sync + 'static>(
    args: &Arc<dyn Any + Send + Sync>,
) -> Result<Arc<Args>, BoxError> {
    args.clone()
        .downcast::<Args>()
        .map_err(|_| "internal: args of another kind".into())
}

/// Applies the file's `capacity` (if any) to a worker spec and returns the
/// spec with its child's address.
fn sized_spec<A: Actor>(
    spec: ChildSpec,
    capacity: Option<Capacity>,
) -> Result<(ChildSpec, crate::Addr<A>), BoxError> {
    let spec = match capacity {
        Some(c) => spec.capacity(c),
        None => spec,
    };
    let addr = spec.addr::<A>().ok_or("internal: spec of another type")?;
    Ok((spec, addr))
}

impl<A: Actor, Args: Send + Sync + 'static> FnKind<A, Args> {
    /// Builds one instance now (so bad args fail the load) and returns a
    /// factory whose first call hands out that instance and whose later
    /// calls (restarts) build fresh ones from the same args.
    fn factory(
        &self,
        kind: &str,
        args: &Arc<dyn Any + Send + Sync>,
        refs: Refs,
    ) -> Result<impl Fn() -> A + Send + Sync + 'static, BoxError> {
        let args = typed::<Args>(args)?;
        let first = Mutex::new(Some((self.build)(&args, &refs)?));
        let build = self.build.clone();
        let kind_name = kind.to_string();
        Ok(move || {
            let ready = first.lock().unwrap_or_else(|e| e.into_inner()).take();
            ready.unwrap_or_else(|| {
                // Caught by the supervisor and reported as a failed start.
                build(&args, &refs).unwrap_or_else(|e| {
                    panic!("kind `{kind_name}` could not build an instance: {e}")
                })
            })
        })
    }
}

impl<A: Actor, Args: DeserializeOwned + Send + Sync + 'static> KindEntry for FnKind<A, Args> {
    fn args(
        &self,
        args: &Node,
        _kinds: &Kinds,
    ) -> (Result<Arc<dyn Any + Send + Sync>, DeError>, Vec<RefUse>) {
        read_args::<Args>(args)
    }

    fn build(
        &self,
        id: &str,
        kind: &str,
        args: &Arc<dyn Any + Send + Sync>,
        capacity: Option<Capacity>,
        refs: Refs,
    ) -> Result<(ChildSpec, Target), BoxError> {
        let spec = ChildSpec::worker(id, self.factory(kind, args, refs)?);
        let (spec, addr) = sized_spec::<A>(spec, capacity)?;
        Ok((spec, Target::new(id, kind, addr)))
    }

    fn poolable(&self) -> bool {
        true
    }

    fn pool(
        &self,
        id: &str,
        kind: &str,
        args: &Arc<dyn Any + Send + Sync>,
        capacity: Option<Capacity>,
        refs: Refs,
        settings: &PoolSettings,
    ) -> Result<(ChildSpec, Target), BoxError> {
        pool_child::<A>(id, self.factory(kind, args, refs)?, capacity, settings)
    }
}

struct BreakerKind;

impl KindEntry for BreakerKind {
    fn args(
        &self,
        args: &Node,
        _kinds: &Kinds,
    ) -> (Result<Arc<dyn Any + Send + Sync>, DeError>, Vec<RefUse>) {
        read_args::<BreakerConfig>(args)
    }

    fn lint(&self, typed: &Arc<dyn Any + Send + Sync>, args: &Node) -> Vec<Diagnostic> {
        let Some(config) = typed.downcast_ref::<BreakerConfig>() else {
            return Vec::new();
        };
        breaker_lint(config, args)
    }

    fn build(
        &self,
        id: &str,
        kind: &str,
        args: &Arc<dyn Any + Send + Sync>,
        _capacity: Option<Capacity>,
        _refs: Refs,
    ) -> Result<(ChildSpec, Target), BoxError> {
        let config = typed::<BreakerConfig>(args)?;
        let (spec, breaker) = CircuitBreaker::child_spec(id, (*config).clone())?;
        let target = Target::handle_only(id, kind, breaker);
        Ok((spec, target))
    }
}

/// A breaker that can never open: a rate policy over a count window
/// smaller than `minimum_calls` (no rate is ever computed), or a
/// failure-rate threshold above 1.
fn breaker_lint(config: &BreakerConfig, args: &Node) -> Vec<Diagnostic> {
    let at = |key: &str| args.get(key).map_or(args.span, |n| n.span);
    let mut out = Vec::new();
    let rate_policy = matches!(config.trip, TripPolicy::FailureRate { .. });
    if let Window::Count(n) = config.window
        && (rate_policy || config.slow_calls.is_some())
        && n < config.minimum_calls
    {
        let mut d = Diagnostic::warning(
            "breaker-never-trips",
            format!(
                "this breaker never trips: its window holds {n} calls but a rate needs `minimum_calls` = {}",
                config.minimum_calls
            ),
            at("window"),
        )
        .label(format!("a count window of {n}"))
        .note(Some(format!(
            "make the window at least {} calls, or lower `minimum_calls`",
            config.minimum_calls
        )));
        if let Some(m) = args.get("minimum_calls") {
            d = d.related(m.span, "minimum_calls here");
        }
        out.push(d);
    }
    if let TripPolicy::FailureRate { rate } = config.trip
        && (rate > 1.0 || rate.is_nan())
    {
        out.push(
            Diagnostic::warning(
                "breaker-never-trips",
                format!("this breaker never trips: a failure rate of {rate} is above 1 (100 %)"),
                at("trip"),
            )
            .label("a rate is a fraction from 0 to 1")
            .note(Some("write e.g. `rate = 0.5` for 50 %".into())),
        );
    }
    out
}

/// The args of the built-in `condition` kind: the lock the condition
/// variable is bound to, named by the id of an earlier `lock` child.
///
/// ```
/// use retinue::config::{Format, Kinds, load_str};
/// use retinue::sync::Condition;
///
/// let file = r#"
/// [supervisor]
/// children = [
///   { id = "mutex", kind = "lock" },
///   { id = "ready", kind = "condition", args = { lock = "mutex" } },
/// ]
/// "#;
/// # retinue::rt::block_on(async {
/// let tree = load_str(file, Format::Toml, "app.toml", &Kinds::builtin()).unwrap();
/// let ready: Condition = tree.handle("ready").unwrap(); // bound to `mutex`
/// let system = tree.start().await.unwrap();
/// let guard = ready.lock().acquire().await.unwrap();
/// assert_eq!(ready.notify_all(&guard).await, Ok(0)); // nobody waits yet
/// drop(guard);
/// system.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionArgs {
    /// The lock child the condition is bound to.
    pub lock: Ref<Lock>,
}

/// `condition`: a [`ConditionActor`] whose target also carries the
/// [`Condition`] handle bound to the referenced lock.
struct ConditionKind;

impl KindEntry for ConditionKind {
    fn args(
        &self,
        args: &Node,
        _kinds: &Kinds,
    ) -> (Result<Arc<dyn Any + Send + Sync>, DeError>, Vec<RefUse>) {
        read_args::<ConditionArgs>(args)
    }

    fn build(
        &self,
        id: &str,
        kind: &str,
        args: &Arc<dyn Any + Send + Sync>,
        capacity: Option<Capacity>,
        refs: Refs,
    ) -> Result<(ChildSpec, Target), BoxError> {
        let args = typed::<ConditionArgs>(args)?;
        let lock = refs.get(&args.lock)?;
        let spec = ChildSpec::worker(id, ConditionActor::new);
        let (spec, addr) = sized_spec::<ConditionActor>(spec, capacity)?;
        let condition = Condition::from_addr(addr.clone(), lock);
        Ok((spec, Target::new(id, kind, addr).with_handle(condition)))
    }
}

/// The registry of kinds a config file may name.
///
/// [`Kinds::builtin`] has every coordination primitive, with its options
/// as args: `lock` ([`LockOptions`]), `rwlock` ([`RwLockOptions`]), `event`
/// ([`EventOptions`]), `condition` ([`ConditionArgs`]: the `lock` child it
/// is bound to), `semaphore` ([`SemaphoreOptions`]), `rate_limiter`
/// ([`RateLimiterOptions`]), `barrier` ([`BarrierOptions`]), `queue`
/// ([`QueueOptions`], items are `String`s; register a queue of your own
/// item type with [`Kinds::register_queue`]) and `circuit_breaker` ([`BreakerConfig`]);
/// and `pool`: a [`Pool`](crate::pool::Pool) of workers of another kind,
/// `args = { size = 4, routing = "round_robin", worker = { kind = "...", args = { ... } } }`
/// (also `overflow`, `shared_capacity`, and `max_restarts` /
/// `within` for the pool's supervisor; at most
/// [`MAX_POOL_SIZE`](super::MAX_POOL_SIZE) workers; the child's `capacity`
/// is each worker's), which look-ups resolve to a `Pool<W>`.
#[derive(Clone, Default)]
pub struct Kinds {
    entries: BTreeMap<String, Arc<dyn KindEntry>>,
    /// The kinds whose children may be exported (feature `nats`).
    #[cfg(feature = "nats")]
    pub(super) exporters: BTreeMap<String, Arc<dyn super::remote_kind::ExportEntry>>,
}

impl std::fmt::Debug for Kinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.entries.keys()).finish()
    }
}

impl Kinds {
    /// An empty registry.
    pub fn new() -> Kinds {
        Kinds::default()
    }

    /// A registry with the built-in primitives.
    pub fn builtin() -> Kinds {
        let mut kinds = Kinds::new();
        kinds.register_fn("semaphore", |o: &SemaphoreOptions, _| {
            Ok(SemaphoreActor::new(o.clone()))
        });
        kinds.register_fn("rate_limiter", |o: &RateLimiterOptions, _| {
            Ok(RateLimiterActor::new(o.clone())?)
        });
        kinds.register_fn("barrier", |o: &BarrierOptions, _| {
            Ok(BarrierActor::new(o.clone())?)
        });
        kinds.register_queue::<String>("queue");
        kinds.insert("circuit_breaker", Arc::new(BreakerKind));
        kinds.register_fn("lock", |o: &LockOptions, _| Ok(LockActor::new(o.clone())));
        kinds.register_fn("rwlock", |o: &RwLockOptions, _| {
            Ok(RwLockActor::new(o.clone()))
        });
        kinds.register_fn("event", |o: &EventOptions, _| {
            Ok(EventActor::new(o.clone()))
        });
        kinds.insert("condition", Arc::new(ConditionKind));
        // A new primitive is one line here, plus one `from_addr!` line in
        // refs.rs so that other children can refer to it.
        kinds.insert("pool", Arc::new(PoolKind));
        kinds
    }

    /// Registers a queue kind whose items are the application's `T`: a
    /// child of this kind is a [`QueueActor<T>`] with the queue's options
    /// as args ([`QueueOptions`]: `maxsize`, `order`), and references and
    /// look-ups to it resolve to a [`Queue<T>`](crate::sync::Queue). The
    /// built-in `queue` kind is `register_queue::<String>("queue")`.
    ///
    /// ```
    /// use retinue::config::{Format, Kinds, load_str};
    /// use retinue::sync::Queue;
    ///
    /// #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
    /// struct Job(u32);
    ///
    /// let mut kinds = Kinds::builtin();
    /// kinds.register_queue::<Job>("jobs_queue");
    /// let tree = load_str(
    ///     "[supervisor]\nchildren = [{ id = \"jobs\", kind = \"jobs_queue\", args = { maxsize = 8 } }]\n",
    ///     Format::Toml, "app.toml", &kinds,
    /// ).unwrap();
    /// let jobs: Queue<Job> = tree.lookup("jobs").unwrap();
    /// assert!(tree.lookup::<Queue<String>>("jobs").is_err());
    /// # retinue::rt::block_on(async {
    /// let system = tree.start().await.unwrap();
    /// jobs.put(Job(7)).await.unwrap();
    /// assert_eq!(jobs.get().await, Ok(Job(7)));
    /// system.shutdown().await;
    /// # });
    /// ```
    pub fn register_queue<T: Ord + Send + 'static>(&mut self, name: &str) -> &mut Self {
        self.register_fn(name, |o: &QueueOptions, _| Ok(QueueActor::<T>::new(*o)))
    }

    /// [`Kinds::register_queue`] for items that are not `Ord`: `cmp`
    /// orders them when the file asks for `order = "priority"` (`Less`
    /// first).
    pub fn register_queue_with<T, F>(&mut self, name: &str, cmp: F) -> &mut Self
    where
        T: Send + 'static,
        F: Fn(&T, &T) -> std::cmp::Ordering + Clone + Send + Sync + 'static,
    {
        self.register_fn(name, move |o: &QueueOptions, _| {
            Ok(QueueActor::<T>::with_compare(*o, cmp.clone()))
        })
    }

    /// Registers `K` under `name`.
    pub fn register<K: ConfigKind>(&mut self, name: &str) -> &mut Self {
        self.register_fn(name, K::build)
    }

    /// Registers a kind given by a build function over its args type: the
    /// one-liner for actors that take an options struct, e.g.
    /// `kinds.register_fn("jobs", |o: &QueueOptions, _| Ok(QueueActor::<Job>::new(*o)))`.
    pub fn register_fn<A, Args, F>(&mut self, name: &str, build: F) -> &mut Self
    where
        A: Actor,
        Args: DeserializeOwned + Send + Sync + 'static,
        F: Fn(&Args, &Refs) -> Result<A, BoxError> + Send + Sync + 'static,
    {
        self.insert(
            name,
            Arc::new(FnKind {
                build: Arc::new(build),
            }),
        )
    }

    fn insert(&mut self, name: &str, entry: Arc<dyn KindEntry>) -> &mut Self {
        self.entries.insert(name.into(), entry);
        self
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Arc<dyn KindEntry>> {
        self.entries.get(name)
    }
}

/// An absent `args` reads as an empty table.
pub(crate) fn empty_args(at: Span) -> Node {
    Node::new(Value::Table(Vec::new()), at)
}
