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

use super::admin::{ChildInfo, SupervisorRef};
use super::error::SupervisorError;
use super::flags::{Flags, Strategy};
use super::spec::ChildSpec;
use super::supervisor::Supervisor;
use super::tree::TreeNode;

/// The name is taken by a live actor.
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
    pub async fn new() -> System {
        Self::with_root(Supervisor::new(Strategy::OneForOne))
            .await
            .expect("an empty supervisor always starts")
    }

    /// A system whose root is `root`, started with its children.
    pub async fn with_root(root: Supervisor) -> Result<System, SupervisorError> {
        Ok(System {
            root: root.spawn().await?,
            names: Arc::default(),
        })
    }

    /// A system with a root supervisor built from `flags`.
    pub async fn with_flags(flags: Flags) -> Result<System, SupervisorError> {
        Self::with_root(Supervisor::with_flags(flags)).await
    }

    /// The root supervisor.
    pub fn root(&self) -> &SupervisorRef {
        &self.root
    }

    /// Starts a child under the root.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<ChildInfo, SupervisorError> {
        self.root.start_child(spec).await
    }

    /// Starts a permanent worker under the root and returns its address.
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
    pub fn register<A: Actor>(&self, name: &str, addr: &Addr<A>) -> Result<(), NameTaken> {
        let mut names = self.lock();
        if names.get(name).is_some_and(|entry| entry.alive()) {
            return Err(NameTaken(name.into()));
        }
        names.insert(name.into(), Box::new(NamedAddr(addr.downgrade())));
        Ok(())
    }

    /// Frees a name.
    pub fn unregister(&self, name: &str) {
        self.lock().remove(name);
    }

    /// The actor named `name`, if it is alive and of type `A`.
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

    /// A snapshot of the whole tree.
    pub async fn tree(&self) -> Result<TreeNode, SupervisorError> {
        self.root.tree("root").await
    }

    /// Shuts the tree down in order and waits for it.
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
