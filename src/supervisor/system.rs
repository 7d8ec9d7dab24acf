//! [`System`]: the root supervisor plus a name registry.
//!
//! Invariant: the registry holds only weak addresses, so a name never keeps
//! an actor alive, and a name whose actor has stopped for good is free:
//! `lookup` no longer finds it and `register` may take it.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::{Actor, Addr, ExitReason, WeakAddr};

use super::admin::SupervisorRef;
use super::error::SupervisorError;
use super::flags::{Flags, Strategy};
use super::info::ChildInfo;
use super::spec::ChildSpec;
use super::supervisor::Supervisor;
use super::tree::TreeNode;

/// The name is taken by a live actor.
///
/// ```
/// use retinue::{Actor, supervisor::{NameTaken, System}};
///
/// struct Clock;
/// impl Actor for Clock {}
///
/// # retinue::rt::block_on(async {
/// let system = System::new().await;
/// let a = system.spawn("a", || Clock).await.unwrap();
/// let b = system.spawn("b", || Clock).await.unwrap();
/// system.register("clock", &a).unwrap();
/// assert_eq!(system.register("clock", &b), Err(NameTaken("clock".into())));
/// system.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTaken(pub String);

impl fmt::Display for NameTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the name {:?} is taken", self.0)
    }
}

impl std::error::Error for NameTaken {}

type Names = HashMap<String, Box<dyn Entry>>;

/// The root of an application's supervision tree, and its name registry.
///
/// ```
/// use retinue::{Actor, Context, Handler, Message, ExitReason};
/// use retinue::supervisor::{ChildSpec, System};
///
/// struct Clock;
/// impl Actor for Clock {}
/// struct Now;
/// impl Message for Now { type Reply = u64; }
/// impl Handler<Now> for Clock {
///     async fn handle(&mut self, _: Now, _: &mut Context<Self>) -> u64 { 42 }
/// }
///
/// # retinue::rt::block_on(async {
/// let system = System::new().await;
/// let clock = system.spawn("clock", || Clock).await.unwrap();
/// system.register("clock", &clock).unwrap();
/// let found = system.lookup::<Clock>("clock").unwrap();
/// assert_eq!(found.ask(Now).await, Ok(42));
/// println!("{}", system.tree().await.unwrap());
/// assert_eq!(system.shutdown().await, ExitReason::Shutdown);
/// assert!(system.lookup::<Clock>("clock").is_none());
/// # });
/// ```
#[derive(Clone)]
pub struct System {
    root: SupervisorRef,
    names: Arc<Mutex<Names>>,
}

impl System {
    /// A system whose root is an empty one-for-one supervisor with
    /// default flags.
    ///
    /// ```
    /// use retinue::supervisor::System;
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// assert_eq!(system.root().count_children().await.unwrap().specs, 0);
    /// system.shutdown().await;
    /// # });
    /// ```
    pub async fn new() -> System {
        Self::with_root(Supervisor::new(Strategy::OneForOne))
            .await
            .expect("an empty supervisor always starts")
    }

    /// A system whose root is `root`, started with its children.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor, System}};
    ///
    /// struct Db;
    /// impl Actor for Db {}
    ///
    /// # retinue::rt::block_on(async {
    /// let root = Supervisor::new(Strategy::RestForOne).child(ChildSpec::worker("db", || Db));
    /// let system = System::with_root(root).await.unwrap();
    /// assert!(system.tree().await.unwrap().find("db").is_some());
    /// system.shutdown().await;
    /// # });
    /// ```
    pub async fn with_root(root: Supervisor) -> Result<System, SupervisorError> {
        Ok(System {
            root: root.spawn().await?,
            names: Arc::default(),
        })
    }

    /// A system with a root supervisor built from `flags`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::supervisor::{Flags, Strategy, System};
    ///
    /// # retinue::rt::block_on(async {
    /// let flags = Flags::new(Strategy::OneForAll).intensity(1, Duration::from_secs(1));
    /// let system = System::with_flags(flags).await.unwrap();
    /// system.shutdown().await;
    /// assert!(System::with_flags(Flags::default().intensity(1, Duration::ZERO)).await.is_err());
    /// # });
    /// ```
    pub async fn with_flags(flags: Flags) -> Result<System, SupervisorError> {
        Self::with_root(Supervisor::with_flags(flags)).await
    }

    /// The root supervisor.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::System};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// system.spawn("w", || Worker).await.unwrap();
    /// system.root().terminate_child("w").await.unwrap();
    /// assert_eq!(system.root().count_children().await.unwrap().active, 0);
    /// system.shutdown().await;
    /// # });
    /// ```
    pub fn root(&self) -> &SupervisorRef {
        &self.root
    }

    /// Starts a child under the root.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Restart, System}};
    ///
    /// struct Job;
    /// impl Actor for Job {}
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// let info = system.start_child(ChildSpec::worker("job", || Job).restart(Restart::Transient)).await.unwrap();
    /// assert_eq!(info.restart, Restart::Transient);
    /// system.shutdown().await;
    /// # });
    /// ```
    pub async fn start_child(&self, spec: ChildSpec) -> Result<ChildInfo, SupervisorError> {
        self.root.start_child(spec).await
    }

    /// Starts a permanent worker under the root and returns its address.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message, supervisor::{SupervisorError, System}};
    ///
    /// struct Greeter;
    /// impl Actor for Greeter {}
    /// struct Hi;
    /// impl Message for Hi { type Reply = &'static str; }
    /// impl Handler<Hi> for Greeter {
    ///     async fn handle(&mut self, _: Hi, _: &mut Context<Self>) -> &'static str { "hello" }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// let greeter = system.spawn("greeter", || Greeter).await.unwrap();
    /// assert_eq!(greeter.ask(Hi).await, Ok("hello"));
    /// let dup = system.spawn("greeter", || Greeter).await;
    /// assert!(matches!(dup, Err(SupervisorError::AlreadyStarted(_))));
    /// system.shutdown().await;
    /// # });
    /// ```
    pub async fn spawn<A, F>(&self, id: &str, factory: F) -> Result<Addr<A>, SupervisorError>
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        let spec = ChildSpec::worker(id, factory);
        let addr = spec.addr::<A>().expect("the spec was made for A");
        self.root.start_child(spec).await?;
        Ok(addr)
    }

    /// Names an actor. Fails if the name belongs to an actor that is still
    /// alive.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::System};
    ///
    /// struct Clock;
    /// impl Actor for Clock {}
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// let old = retinue::spawn(Clock);
    /// system.register("clock", &old).unwrap();
    /// // A name whose actor has stopped is free again.
    /// old.stop();
    /// old.wait_stopped().await;
    /// let new = retinue::spawn(Clock);
    /// system.register("clock", &new).unwrap();
    /// assert_eq!(system.lookup::<Clock>("clock").unwrap().id(), new.id());
    /// new.stop();
    /// system.shutdown().await;
    /// # });
    /// ```
    pub fn register<A: Actor>(&self, name: &str, addr: &Addr<A>) -> Result<(), NameTaken> {
        let mut names = self.lock();
        if names.get(name).is_some_and(|entry| entry.alive()) {
            return Err(NameTaken(name.into()));
        }
        names.insert(name.into(), Box::new(NamedAddr(addr.downgrade())));
        Ok(())
    }

    /// Frees a name.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::System};
    ///
    /// struct Clock;
    /// impl Actor for Clock {}
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// let clock = system.spawn("clock", || Clock).await.unwrap();
    /// system.register("clock", &clock).unwrap();
    /// system.unregister("clock");
    /// assert!(system.lookup::<Clock>("clock").is_none());
    /// assert!(clock.is_alive()); // only the name went
    /// system.shutdown().await;
    /// # });
    /// ```
    pub fn unregister(&self, name: &str) {
        self.lock().remove(name);
    }

    /// The actor named `name`, if it is alive and of type `A`.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::System};
    ///
    /// struct Clock;
    /// impl Actor for Clock {}
    /// struct Other;
    /// impl Actor for Other {}
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// let clock = system.spawn("clock", || Clock).await.unwrap();
    /// system.register("clock", &clock).unwrap();
    /// assert!(system.lookup::<Clock>("clock").is_some());
    /// assert!(system.lookup::<Other>("clock").is_none()); // another type
    /// assert!(system.lookup::<Clock>("nobody").is_none());
    /// system.shutdown().await;
    /// # });
    /// ```
    pub fn lookup<A: Actor>(&self, name: &str) -> Option<Addr<A>> {
        let mut names = self.lock();
        let entry = names.get(name)?;
        if !entry.alive() {
            names.remove(name);
            return None;
        }
        entry
            .as_any()
            .downcast_ref::<NamedAddr<A>>()
            .and_then(|named| named.0.upgrade())
    }

    /// The current address of the child at `path` below the root (ids
    /// joined by `/`, e.g. `"workers/fetcher"`), if it exists and its actor
    /// type is `A`. Unlike [`lookup`](Self::lookup) it needs no
    /// registration, and it follows restarts: each call asks the
    /// supervisors on the way down for their current children.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::{ChildSpec, Strategy, Supervisor, System}};
    ///
    /// struct Fetcher;
    /// impl Actor for Fetcher {}
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// let workers = ChildSpec::supervisor("workers", || {
    ///     Supervisor::new(Strategy::OneForOne).child(ChildSpec::worker("fetcher", || Fetcher))
    /// });
    /// system.start_child(workers).await.unwrap();
    /// assert!(system.lookup_path::<Fetcher>("workers/fetcher").await.is_some());
    /// assert!(system.lookup_path::<Fetcher>("workers/nobody").await.is_none());
    /// system.shutdown().await;
    /// # });
    /// ```
    pub async fn lookup_path<A: Actor>(&self, path: &str) -> Option<Addr<A>> {
        let mut sup: SupervisorRef = self.root().clone();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let (last, inner) = parts.split_last()?;
        for part in inner {
            let addr = sup.child(part).await.ok()?.addr::<Supervisor>()?;
            sup = SupervisorRef::wait_started(addr).await.ok()?;
        }
        sup.child(last).await.ok()?.addr::<A>()
    }

    /// A snapshot of the whole tree.
    ///
    /// ```
    /// use retinue::{Actor, supervisor::System};
    ///
    /// struct Cache;
    /// impl Actor for Cache {}
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// system.spawn("cache", || Cache).await.unwrap();
    /// let tree = system.tree().await.unwrap();
    /// assert_eq!(tree.id, "root");
    /// assert_eq!(tree.find("cache").unwrap().actor, "Cache");
    /// system.shutdown().await;
    /// # });
    /// ```
    pub async fn tree(&self) -> Result<TreeNode, SupervisorError> {
        self.root.tree("root").await
    }

    /// Shuts the tree down in order and waits for it.
    ///
    /// ```
    /// use retinue::{Actor, ExitReason, supervisor::System};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::new().await;
    /// let w = system.spawn("w", || Worker).await.unwrap();
    /// system.register("w", &w).unwrap();
    /// assert_eq!(system.shutdown().await, ExitReason::Shutdown);
    /// assert!(!w.is_alive());
    /// assert!(system.lookup::<Worker>("w").is_none());
    /// # });
    /// ```
    pub async fn shutdown(&self) -> ExitReason {
        let reason = self.root.shutdown().await;
        self.lock().clear();
        reason
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Names> {
        self.names.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("System").field("root", &self.root).finish()
    }
}

/// A registry entry: a weak address that can say whether it is alive
/// without the caller knowing its actor type.
trait Entry: Send {
    fn alive(&self) -> bool;
    fn as_any(&self) -> &dyn Any;
}

struct NamedAddr<A: Actor>(WeakAddr<A>);

impl<A: Actor> Entry for NamedAddr<A> {
    fn alive(&self) -> bool {
        self.0.is_alive()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
