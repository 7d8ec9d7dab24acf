//! Item storage for the queue actor in one of three orders.
//!
//! Invariants:
//! - `push_back` is an ordinary put; `push_front` returns an item that was
//!   taken but never reached anyone, so that it is the next one out (FIFO:
//!   the front; LIFO: the top; priority: first among equal priorities).
//! - Priority order: the smallest item (by the comparator) comes out first;
//!   equal items come out in put order (a sequence number breaks ties).
//! - Every item carries how many times it was handed out as an acknowledged
//!   delivery (0 for a fresh put); the order never looks at that count.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use serde::Deserialize;

/// How a queue orders its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueOrder {
    /// First in, first out (the default), like asyncio's `Queue`.
    #[default]
    Fifo,
    /// Last in, first out, like asyncio's `LifoQueue`.
    Lifo,
    /// Smallest first (ties in put order), like asyncio's `PriorityQueue`.
    Priority,
}

/// A priority comparator: `Less` means "comes out first".
pub(crate) type Compare<T> = Arc<dyn Fn(&T, &T) -> Ordering + Send + Sync>;

/// An item and its delivery count.
pub(crate) type Held<T> = (T, u32);

pub(crate) struct Entry<T> {
    item: Held<T>,
    seq: i64,
    cmp: Compare<T>,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap pops the greatest: invert so the smallest item (then
        // the smallest sequence number) is the greatest.
        (self.cmp)(&other.item.0, &self.item.0).then(other.seq.cmp(&self.seq))
    }
}

pub(crate) enum Store<T> {
    Fifo(VecDeque<Held<T>>),
    Lifo(Vec<Held<T>>),
    Priority {
        heap: BinaryHeap<Entry<T>>,
        cmp: Compare<T>,
        back: i64,
        front: i64,
    },
}

impl<T> Store<T> {
    pub(crate) fn new(order: QueueOrder, cmp: Option<Compare<T>>) -> Self {
        match (order, cmp) {
            (QueueOrder::Priority, Some(cmp)) => Store::Priority {
                heap: BinaryHeap::new(),
                cmp,
                back: 0,
                front: 0,
            },
            (QueueOrder::Lifo, _) => Store::Lifo(Vec::new()),
            _ => Store::Fifo(VecDeque::new()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Store::Fifo(q) => q.len(),
            Store::Lifo(v) => v.len(),
            Store::Priority { heap, .. } => heap.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push_back(&mut self, item: T) {
        let item = (item, 0);
        match self {
            Store::Fifo(q) => q.push_back(item),
            Store::Lifo(v) => v.push(item),
            Store::Priority {
                heap, cmp, back, ..
            } => {
                *back += 1;
                heap.push(Entry {
                    item,
                    seq: *back,
                    cmp: cmp.clone(),
                });
            }
        }
    }

    pub(crate) fn push_front(&mut self, item: Held<T>) {
        match self {
            Store::Fifo(q) => q.push_front(item),
            Store::Lifo(v) => v.push(item),
            Store::Priority {
                heap, cmp, front, ..
            } => {
                *front -= 1;
                heap.push(Entry {
                    item,
                    seq: *front,
                    cmp: cmp.clone(),
                });
            }
        }
    }

    pub(crate) fn pop(&mut self) -> Option<Held<T>> {
        match self {
            Store::Fifo(q) => q.pop_front(),
            Store::Lifo(v) => v.pop(),
            Store::Priority { heap, .. } => heap.pop().map(|e| e.item),
        }
    }

    /// Drops every item; returns how many there were.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.len();
        match self {
            Store::Fifo(q) => q.clear(),
            Store::Lifo(v) => v.clear(),
            Store::Priority { heap, .. } => heap.clear(),
        }
        n
    }
}
