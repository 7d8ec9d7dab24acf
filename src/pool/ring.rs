//! A consistent-hash ring over the pool's worker slots.
//!
//! Invariants:
//! - Each slot owns [`VNODES`] points, placed by hashing (slot id, i); a
//!   key goes to the slot owning the first point at or after the key's
//!   hash (wrapping). Slot ids are stable for the slot's life (a worker
//!   that restarts keeps its slot), so a restart moves no key.
//! - Adding a slot moves only the keys that land on its new points;
//!   removing one moves only its own keys. Nothing else changes owner.
//! - Hashing is SipHash with fixed keys: the same key maps the same way
//!   for the whole process.

use std::hash::{DefaultHasher, Hash, Hasher};

/// Points per slot: enough that 2-8 slots split keys within a few percent.
pub(crate) const VNODES: u64 = 160;

/// Hashes anything hashable to a ring position.
pub(crate) fn hash64(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// The ring: (point, slot id), sorted by point.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ring {
    points: Vec<(u64, u64)>,
}

impl Ring {
    pub(crate) fn add(&mut self, slot: u64) {
        for i in 0..VNODES {
            self.points.push((hash64((slot, i)), slot));
        }
        self.points.sort_unstable();
    }

    pub(crate) fn remove(&mut self, slot: u64) {
        self.points.retain(|&(_, s)| s != slot);
    }

    /// The slot that owns `key_hash`, if the ring has any slot.
    pub(crate) fn owner(&self, key_hash: u64) -> Option<u64> {
        let at = self.points.partition_point(|&(p, _)| p < key_hash);
        self.points
            .get(at)
            .or_else(|| self.points.first())
            .map(|&(_, slot)| slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_added_or_removed_slot_changes_owners() {
        let mut ring = Ring::default();
        for s in 0..4 {
            ring.add(s);
        }
        let before: Vec<_> = (0..10_000u64).map(|k| ring.owner(hash64(k))).collect();
        ring.add(4);
        let grown: Vec<_> = (0..10_000u64).map(|k| ring.owner(hash64(k))).collect();
        for (b, g) in before.iter().zip(&grown) {
            assert!(b == g || *g == Some(4), "a key moved between old slots");
        }
        ring.remove(4);
        let back: Vec<_> = (0..10_000u64).map(|k| ring.owner(hash64(k))).collect();
        assert_eq!(before, back);
    }
}
