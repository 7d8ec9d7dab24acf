//! [`InlineEnvelope`]: a message for actor `A` held by value, in a few
//! words of its own, for queues that store their items in place (the
//! shared mailbox's channel). A small message then costs no allocation:
//! on a producer/consumer pair on two threads, a heap message is the whole
//! difference from a plain channel of values (benches/pool.rs, "one Box
//! per job").
//!
//! Invariants:
//! - `words` holds the payload itself when it fits (at most `WORDS` words,
//!   aligned to at most a word), else a pointer to a `Box` of it; the
//!   vtable made for the payload's type knows which (`fits::<P>()`).
//! - An `InlineEnvelope` owns its payload: dropping it drops the payload
//!   (an unanswered ask's port with it, so the asker gets `NoReply`);
//!   `handle` and `into_payload` move it out and forget the envelope.
//! - Moving the envelope moves the payload's bytes, which is a plain Rust
//!   move: nothing points into a payload before `handle` moves it out.

use std::any::TypeId;
use std::mem::{self, MaybeUninit};
use std::ptr;

use super::{Payload, VTable, VTableOf};
use crate::actor::Actor;
use crate::context::Context;
use crate::future_slot::{FutureSlot, Placed};

/// How many words a payload may take and still be stored in place.
const WORDS: usize = 6;

type Words = [usize; WORDS];

/// Whether a `P` is stored in the words themselves (else it is boxed).
const fn fits<P>() -> bool {
    mem::size_of::<P>() <= mem::size_of::<Words>()
        && mem::align_of::<P>() <= mem::align_of::<Words>()
}

/// One message for actor `A`, of any type `A` handles, stored in place.
pub(crate) struct InlineEnvelope<A> {
    /// Points to a `'static` table (raw, as in `Header`, so that `A` need
    /// not be `'static`).
    vtable: *const VTable<A>,
    words: MaybeUninit<Words>,
}

// SAFETY: every payload is `Send` (`Payload: Send`), and the envelope is
// its only owner.
unsafe impl<A> Send for InlineEnvelope<A> {}

impl<A: Actor> InlineEnvelope<A> {
    pub(crate) fn new<P: Payload<A>>(payload: P) -> Self {
        let mut words = MaybeUninit::<Words>::uninit();
        let at = words.as_mut_ptr().cast::<u8>();
        // SAFETY: `at` is valid for `Words`, which holds a `P` when
        // `fits::<P>()` (size and alignment checked) and a pointer always.
        unsafe {
            if fits::<P>() {
                ptr::write(at.cast::<P>(), payload);
            } else {
                ptr::write(at.cast::<*mut P>(), Box::into_raw(Box::new(payload)));
            }
        }
        InlineEnvelope {
            vtable: const { &VTableOf::<A, P>::INLINE },
            words,
        }
    }

    /// The payload back, if it is a `P` (a sender recovering its message
    /// from a closed or full queue).
    pub(crate) fn into_payload<P: Payload<A>>(self) -> Option<P> {
        if (self.table().type_id)() != TypeId::of::<P>() {
            return None;
        }
        let mut this = mem::ManuallyDrop::new(self);
        // SAFETY: the type id says the words hold a `P` (in place or
        // boxed); `this` is never dropped, so it is moved out once.
        Some(unsafe { take::<P>(this.words.as_mut_ptr().cast()) })
    }

    /// What gives the message's type name (see `Envelope::message_type`).
    pub(crate) fn message_type(&self) -> fn() -> &'static str {
        self.table().message_type
    }

    /// Moves the payload out and places the future that handles it in
    /// `slot`.
    ///
    /// # Safety
    /// The returned [`Placed`] must be dropped, not leaked (see
    /// [`FutureSlot::place`]).
    pub(crate) unsafe fn handle<'a>(
        self,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
        slot: &'a mut FutureSlot,
    ) -> Placed<'a> {
        let mut this = mem::ManuallyDrop::new(self);
        // SAFETY: made from a promoted `'static` table in `new`.
        let table = unsafe { &*this.vtable };
        // SAFETY: the words hold the table's payload type and are moved
        // out once (`this` is never dropped); the caller drops the
        // `Placed`.
        unsafe { table.handle(this.words.as_mut_ptr().cast(), actor, ctx, slot) }
    }
}

impl<A> InlineEnvelope<A> {
    fn table(&self) -> &VTable<A> {
        // SAFETY: made from a promoted `'static` table in `new`.
        unsafe { &*self.vtable }
    }
}

impl<A> Drop for InlineEnvelope<A> {
    fn drop(&mut self) {
        // SAFETY: the words hold the table's payload type, still owned.
        unsafe { (self.table().drop)(self.words.as_mut_ptr().cast()) }
    }
}

/// Moves the `P` out of `words` (freeing its box if it was boxed).
///
/// # Safety
/// `words` must hold a live `P` stored by `InlineEnvelope::new`, not used
/// again afterwards.
unsafe fn take<P>(words: *mut u8) -> P {
    // SAFETY: as the caller vouches, per `fits::<P>()`.
    unsafe {
        if fits::<P>() {
            ptr::read(words.cast::<P>())
        } else {
            *Box::from_raw(ptr::read(words.cast::<*mut P>()))
        }
    }
}

/// The inline table's `handle`.
///
/// # Safety
/// As for [`take`]; the returned [`Placed`] must be dropped, not leaked.
pub(super) unsafe fn handle_words<'a, A: Actor, P: Payload<A>>(
    words: *mut u8,
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    slot: &'a mut FutureSlot,
) -> Placed<'a> {
    // SAFETY: as the caller vouches.
    let payload = unsafe { take::<P>(words) };
    // SAFETY: our caller drops the `Placed`.
    unsafe { slot.place(payload.into_future(actor, ctx)) }
}

/// The inline table's `drop`.
///
/// # Safety
/// As for [`take`].
pub(super) unsafe fn drop_words<P>(words: *mut u8) {
    // SAFETY: as the caller vouches.
    drop(unsafe { take::<P>(words) });
}
