//! The user lane: a lock-free list of envelopes with many senders and one
//! receiver, and [`Batch`], the receiver's private run of taken messages.
//!
//! Senders push onto a stack (newest first) with one compare-and-swap. The
//! receiver takes the whole stack with one swap and reverses it into a
//! [`Batch`], which it then works through without touching shared memory.
//! So a message costs one atomic operation to send and none to receive,
//! and a burst of messages is taken in one go.
//!
//! Invariants:
//! - FIFO per sender: a take gets everything pushed before it; reversed,
//!   that is push order, and everything pushed later lands in a later take.
//! - `head` carries two tag bits beside the pointer. `PARKED`: the receiver
//!   found the lane empty and is about to sleep; the push that clears it
//!   must wake the receiver (and only that push has to: while the receiver
//!   runs, senders notify nobody). `CLOSED`: no push succeeds any more.
//! - Only the receiver takes, parks and closes (the mailbox's `Inbox`
//!   is the one receiver).

use std::ptr;
// Under `--cfg retinue_loom` the lane's one atomic is loom's, so the
// model in `lane/model.rs` explores every interleaving of the protocol.
#[cfg(retinue_loom)]
use loom::sync::atomic::{AtomicPtr, Ordering};
#[cfg(not(retinue_loom))]
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::envelope::{self, Envelope, Header};

const PARKED: usize = 0b01;
const CLOSED: usize = 0b10;
const TAGS: usize = PARKED | CLOSED;

pub(crate) struct Lane<A> {
    head: AtomicPtr<Header<A>>,
}

/// What a push did.
pub(crate) enum Pushed<A> {
    /// Delivered; `wake` says the receiver is parked and must be woken.
    Delivered { wake: bool },
    /// The lane is closed: the envelope comes back.
    Closed(Envelope<A>),
}

fn tags<A>(head: *mut Header<A>) -> usize {
    head.addr() & TAGS
}

fn untagged<A>(head: *mut Header<A>) -> *mut Header<A> {
    head.map_addr(|a| a & !TAGS)
}

impl<A> Lane<A> {
    pub(crate) fn new() -> Self {
        // Tags live in the low bits of node addresses.
        const { assert!(align_of::<Header<A>>() > TAGS) };
        Lane {
            head: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Adds `envelope` at the back.
    pub(crate) fn push(&self, envelope: Envelope<A>) -> Pushed<A> {
        let node = envelope.into_raw();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            if tags(head) & CLOSED != 0 {
                // SAFETY: the node was never published: still ours.
                return Pushed::Closed(unsafe { Envelope::from_raw(node) });
            }
            // SAFETY: unpublished, so ours to link.
            unsafe { envelope::set_next(node, untagged(head)) };
            // Release publishes the node's contents to the taker.
            match self
                .head
                .compare_exchange_weak(head, node, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    return Pushed::Delivered {
                        wake: tags(head) & PARKED != 0,
                    };
                }
                Err(now) => head = now,
            }
        }
    }

    /// Takes everything pushed so far, oldest first.
    pub(crate) fn take(&self) -> Batch<A> {
        let head = self.head.load(Ordering::Acquire);
        if untagged(head).is_null() {
            if tags(head) == PARKED {
                // Woken by something else than a push: senders need not
                // notify any more. Losing the race to a push is fine.
                let _ = self.head.compare_exchange(
                    head,
                    ptr::null_mut(),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
            return Batch::empty();
        }
        // Not closed (only the receiver closes), so this keeps no tag.
        let taken = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        Batch::reversed(untagged(taken))
    }

    /// Marks the receiver as about to sleep. Returns false if a message is
    /// already there (take it instead). The caller must be listening for
    /// the wake-up before calling this.
    pub(crate) fn park(&self) -> bool {
        match self.head.compare_exchange(
            ptr::null_mut(),
            ptr::null_mut::<Header<A>>().map_addr(|_| PARKED),
            Ordering::SeqCst,
            Ordering::SeqCst,
        ) {
            Ok(_) => true,
            Err(now) => untagged(now).is_null(),
        }
    }

    /// Closes the lane and returns what was queued. `None` if it was
    /// already closed.
    pub(crate) fn close(&self) -> Option<Batch<A>> {
        let closed = ptr::null_mut::<Header<A>>().map_addr(|_| CLOSED);
        let head = self.head.swap(closed, Ordering::AcqRel);
        if tags(head) & CLOSED != 0 {
            return None;
        }
        Some(Batch::reversed(untagged(head)))
    }

    pub(crate) fn is_closed(&self) -> bool {
        tags(self.head.load(Ordering::Acquire)) & CLOSED != 0
    }
}

impl<A> Drop for Lane<A> {
    fn drop(&mut self) {
        // `&mut self`: no push can race, so a relaxed load sees them all
        // (and reads the same under loom, which has no `get_mut`).
        let head = self.head.load(Ordering::Relaxed);
        drop(Batch::reversed(untagged(head)));
    }
}

/// Messages the receiver has taken and not yet handed out, oldest first.
pub(crate) struct Batch<A> {
    first: *mut Header<A>,
}

// SAFETY: a batch owns its envelopes, which are `Send`; through `&Batch`
// nothing can be reached but the emptiness of the list.
unsafe impl<A> Send for Batch<A> {}
unsafe impl<A> Sync for Batch<A> {}

impl<A> Batch<A> {
    pub(crate) fn empty() -> Self {
        Batch {
            first: ptr::null_mut(),
        }
    }

    /// Turns a taken stack (newest first) into a batch (oldest first).
    fn reversed(mut newest: *mut Header<A>) -> Self {
        let mut oldest = ptr::null_mut();
        while !newest.is_null() {
            // SAFETY: the stack was taken whole, so its nodes are ours.
            unsafe {
                let next = envelope::next(newest);
                envelope::set_next(newest, oldest);
                oldest = newest;
                newest = next;
            }
        }
        Batch { first: oldest }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_null()
    }

    pub(crate) fn pop(&mut self) -> Option<Envelope<A>> {
        if self.first.is_null() {
            return None;
        }
        let node = self.first;
        // SAFETY: the batch owns `node`; it leaves the batch here.
        unsafe {
            self.first = envelope::next(node);
            Some(Envelope::from_raw(node))
        }
    }
}

impl<A> Iterator for Batch<A> {
    type Item = Envelope<A>;

    fn next(&mut self) -> Option<Envelope<A>> {
        self.pop()
    }
}

impl<A> Drop for Batch<A> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

#[cfg(all(test, retinue_loom))]
mod model;
