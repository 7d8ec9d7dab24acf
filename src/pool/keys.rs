//! Per-message-type helpers a pool needs for some routings: the key for
//! consistent hashing and the copy for broadcast, registered by type.
//!
//! Invariant: an entry registered for `M` is only ever downcast to the
//! function type for `M` (the map is keyed by `TypeId::of::<M>()`).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;

use super::ring::hash64;

type KeyFn<M> = Box<dyn Fn(&M) -> u64 + Send + Sync>;
type CopyFn<M> = Box<dyn Fn(&M) -> M + Send + Sync>;

#[derive(Default)]
pub(crate) struct Registry {
    keys: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    copies: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl Registry {
    pub(crate) fn add_key<M: 'static, K: Hash>(
        &mut self,
        key: impl Fn(&M) -> K + Send + Sync + 'static,
    ) {
        let f: KeyFn<M> = Box::new(move |m| hash64(key(m)));
        self.keys.insert(TypeId::of::<M>(), Box::new(f));
    }

    pub(crate) fn add_copy<M: Clone + 'static>(&mut self) {
        let f: CopyFn<M> = Box::new(M::clone);
        self.copies.insert(TypeId::of::<M>(), Box::new(f));
    }

    /// The ring position of `msg`'s key, if a key is registered for `M`.
    pub(crate) fn key_of<M: 'static>(&self, msg: &M) -> Option<u64> {
        let f = self
            .keys
            .get(&TypeId::of::<M>())?
            .downcast_ref::<KeyFn<M>>()?;
        Some(f(msg))
    }

    /// A copy of `msg`, if `M` was registered as copyable.
    pub(crate) fn copy_of<M: 'static>(&self, msg: &M) -> Option<M> {
        let f = self
            .copies
            .get(&TypeId::of::<M>())?
            .downcast_ref::<CopyFn<M>>()?;
        Some(f(msg))
    }
}
