//! References between children: a child's args name another child by id
//! ([`Ref`]), the loader checks the name at load time, and the kind's
//! factory gets the other child's handle, typed ([`Refs::get`]).
//!
//! Scoping: a reference names a sibling that starts *earlier* under the
//! same supervisor, or an earlier sibling of one of its ancestors (the
//! children that are already running when this one starts). A name that
//! exists but starts later is a forward reference; a name that is nowhere
//! in scope is dangling; both are load errors, and so is a reference to a
//! child whose handle is not of the type the args ask for.
//!
//! Invariant: every `Ref` read from a file is recorded with its span (on
//! the loading thread) so all of them are checked before anything starts.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sync::{
    Barrier, BarrierActor, CircuitBreaker, Condition, Event, EventActor, Lock, LockActor, Queue,
    QueueActor, RateLimiter, RateLimiterActor, RwLock, RwLockActor, Semaphore, SemaphoreActor,
};
use crate::{Actor, Addr, short_type_name};

use super::node::Span;

/// A child named in another child's args, whose handle is an `H`
/// (an `Addr<A>`, or a primitive's handle such as [`Queue`] or
/// [`CircuitBreaker`]). Written in the file as the child's id.
///
/// ```
/// use retinue::config::Ref;
/// use retinue::sync::Semaphore;
///
/// #[derive(serde::Deserialize)]
/// struct Args { permits: Ref<Semaphore> }
///
/// let args: Args = serde_json::from_str(r#"{ "permits": "db_slots" }"#).unwrap();
/// assert_eq!(args.permits.name(), "db_slots");
/// ```
pub struct Ref<H> {
    name: String,
    _handle: PhantomData<fn() -> H>,
}

impl<H> Ref<H> {
    /// A reference to the child `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Ref {
            name: name.into(),
            _handle: PhantomData,
        }
    }

    /// The id it names.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<H> Clone for Ref<H> {
    fn clone(&self) -> Self {
        Ref::new(self.name.clone())
    }
}

impl<H> PartialEq for Ref<H> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<H> fmt::Debug for Ref<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref({:?})", self.name)
    }
}

impl<H> Serialize for Ref<H> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de, H: RefTarget> Deserialize<'de> for Ref<H> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(RefVisitor(PhantomData))
    }
}

struct RefVisitor<H>(PhantomData<fn() -> H>);

impl<H: RefTarget> serde::de::Visitor<'_> for RefVisitor<H> {
    type Value = Ref<H>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the id of a child that is {}", H::expected())
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Ref<H>, E> {
        // Called while the string's node is being read: its span is current.
        if let Some(span) = super::de::current_span() {
            record(RefUse {
                name: name.to_string(),
                span,
                expected: H::expected(),
                check: |t| H::from_target(t).is_some(),
            });
        }
        Ok(Ref::new(name))
    }
}

/// A reference as read from a file, before it is resolved.
#[derive(Clone)]
pub(crate) struct RefUse {
    pub name: String,
    pub span: Span,
    pub expected: String,
    pub check: fn(&Target) -> bool,
}

thread_local! {
    static RECORDED: RefCell<Option<Vec<RefUse>>> = const { RefCell::new(None) };
}

fn record(r: RefUse) {
    RECORDED.with(|c| {
        if let Some(v) = c.borrow_mut().as_mut() {
            v.push(r);
        }
    });
}

/// Runs `f` and returns what it returned plus every [`Ref`] it read.
pub(crate) fn collecting<T>(f: impl FnOnce() -> T) -> (T, Vec<RefUse>) {
    let outer = RECORDED.with(|c| c.replace(Some(Vec::new())));
    let out = f();
    let refs = RECORDED.with(|c| c.replace(outer)).unwrap_or_default();
    (out, refs)
}

/// A started-or-about-to-start child that others can refer to: its
/// address and, for kinds with a richer handle, that handle.
#[derive(Clone)]
pub struct Target {
    id: String,
    kind: String,
    type_name: String,
    addr: Arc<dyn Any + Send + Sync>,
    handle: Option<Arc<dyn Any + Send + Sync>>,
}

impl Target {
    /// A target whose handle is its address.
    pub fn new<A: Actor>(id: &str, kind: &str, addr: Addr<A>) -> Target {
        Target {
            id: id.into(),
            kind: kind.into(),
            type_name: short_path(std::any::type_name::<A>()),
            addr: Arc::new(addr),
            handle: None,
        }
    }

    /// A target known only by a handle (its actor type is private).
    pub fn handle_only<H: Clone + Send + Sync + 'static>(
        id: &str,
        kind: &str,
        handle: H,
    ) -> Target {
        Target {
            id: id.into(),
            kind: kind.into(),
            type_name: short_path(std::any::type_name::<H>()),
            addr: Arc::new(()),
            handle: Some(Arc::new(handle)),
        }
    }

    /// Adds a richer handle (e.g. a [`CircuitBreaker`]).
    pub fn with_handle<H: Clone + Send + Sync + 'static>(mut self, handle: H) -> Target {
        self.handle = Some(Arc::new(handle));
        self
    }

    /// The child's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The child's kind name.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The child's actor type (or handle type, for a target known only by
    /// its handle), for messages: `"QueueActor<String>"`.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The child's address, if its actor type is `A`.
    pub fn addr<A: Actor>(&self) -> Option<Addr<A>> {
        self.addr.downcast_ref::<Addr<A>>().cloned()
    }

    /// The richer handle, if it is an `H`.
    pub fn handle<H: Clone + 'static>(&self) -> Option<H> {
        self.handle.as_ref()?.downcast_ref::<H>().cloned()
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish()
    }
}

/// A type name without module paths:
/// `retinue::sync::QueueActor<alloc::string::String>` is
/// `QueueActor<String>`.
fn short_path(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut word = 0; // where the current path segment starts in `out`
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            out.truncate(word);
        } else {
            out.push(c);
            if !(c.is_alphanumeric() || c == '_') {
                word = out.len();
            }
        }
    }
    out
}

/// What a [`Ref`] can resolve to. Implemented for every `Addr<A>` and
/// the primitives' handles; implement it for your own handle types.
pub trait RefTarget: Sized + 'static {
    /// The handle of `target`, if it is of this type.
    fn from_target(target: &Target) -> Option<Self>;
    /// What the reference expects, for messages ("a Semaphore").
    fn expected() -> String;
}

impl<A: Actor> RefTarget for Addr<A> {
    fn from_target(target: &Target) -> Option<Self> {
        target.addr::<A>()
    }
    fn expected() -> String {
        format!("an actor of type {}", short_type_name::<A>())
    }
}

macro_rules! from_addr {
    ($handle:ty, $actor:ty, $what:literal) => {
        impl RefTarget for $handle {
            fn from_target(target: &Target) -> Option<Self> {
                target.addr::<$actor>().map(<$handle>::from_addr)
            }
            fn expected() -> String {
                $what.into()
            }
        }
    };
}

from_addr!(Semaphore, SemaphoreActor, "a semaphore");
from_addr!(RateLimiter, RateLimiterActor, "a rate limiter");
from_addr!(Barrier, BarrierActor, "a barrier");
from_addr!(Lock, LockActor, "a lock");
from_addr!(RwLock, RwLockActor, "a read-write lock");
from_addr!(Event, EventActor, "an event");

impl<T: Send + 'static> RefTarget for Queue<T> {
    fn from_target(target: &Target) -> Option<Self> {
        target.addr::<QueueActor<T>>().map(Queue::from_addr)
    }
    fn expected() -> String {
        format!("a queue of {}", short_type_name::<T>())
    }
}

impl RefTarget for CircuitBreaker {
    fn from_target(target: &Target) -> Option<Self> {
        target.handle::<CircuitBreaker>()
    }
    fn expected() -> String {
        "a circuit breaker".into()
    }
}

/// A condition is bound to its lock, so only a `condition` child (whose
/// target carries the bound handle) resolves to one.
impl RefTarget for Condition {
    fn from_target(target: &Target) -> Option<Self> {
        target.handle::<Condition>()
    }
    fn expected() -> String {
        "a condition".into()
    }
}

/// A kind's build context, given to
/// [`ConfigKind::build`](super::ConfigKind::build): the id and path of the
/// child being built, and the children its args refer to, resolved.
///
/// ```
/// use retinue::{Actor, BoxError};
/// use retinue::config::{Format, Kinds, load_str};
///
/// struct Named(String);
/// impl Actor for Named {}
///
/// let mut kinds = Kinds::builtin();
/// kinds.register_fn("named", |_: &serde::de::IgnoredAny, cx| {
///     assert_eq!((cx.id(), cx.path()), ("w", "pool/w"));
///     Ok(Named(cx.path().to_string()))
/// });
/// let file = r#"{ "supervisor": { "children": [
///     { "id": "pool", "supervisor": { "children": [ { "id": "w", "kind": "named" } ] } } ] } }"#;
/// # if cfg!(feature = "json") {
/// load_str(file, Format::Json, "app.json", &kinds).unwrap();
/// # }
/// ```
#[derive(Clone, Default, Debug)]
pub struct Refs {
    targets: HashMap<String, Target>,
    id: String,
    path: String,
}

/// A reference that cannot be resolved to the handle asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefError {
    /// The id named.
    pub name: String,
    /// What was expected.
    pub expected: String,
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not {}", self.name, self.expected)
    }
}

impl std::error::Error for RefError {}

impl Refs {
    /// The context of the child `id` at `path`, with no references yet.
    pub(crate) fn for_child(id: &str, path: &str) -> Refs {
        Refs {
            targets: HashMap::new(),
            id: id.into(),
            path: path.into(),
        }
    }

    /// The id of the child being built.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The path of the child being built from the root, e.g.
    /// `"workers/fetcher"` (the same on every restart).
    pub fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn insert(&mut self, target: Target) {
        self.targets.insert(target.id.clone(), target);
    }

    /// The handle `r` names.
    pub fn get<H: RefTarget>(&self, r: &Ref<H>) -> Result<H, RefError> {
        self.targets
            .get(&r.name)
            .and_then(H::from_target)
            .ok_or_else(|| RefError {
                name: r.name.clone(),
                expected: H::expected(),
            })
    }
}
