//! Type-erased messages: what a mailbox of `A` actually holds.
//!
//! Invariants:
//! - One allocation per message. A [`Envelope`] is a thin pointer to a
//!   node laid out as `Header` then payload (a [`Tell`] or an [`Ask`]); the
//!   header carries the mailbox's link and a static table of the payload's
//!   functions, so a lock-free list can hold envelopes of every message
//!   type `A` handles in one pointer-sized word.
//! - An `Envelope` owns its node: dropping it drops the payload (an
//!   unanswered ask's port with it, so the asker gets `NoReply`).
//! - The link is the mailbox's alone: written by a sender before the node
//!   is published, read by the receiver after taking it (see `lane.rs`).
//! - Handling frees the node before the handler runs and places the
//!   handler's future in the instance's [`FutureSlot`], so a message costs
//!   no allocation beyond its node.

use std::any::TypeId;
use std::future::Future;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use tracing::Instrument;

use crate::actor::{Actor, Handler, Message};
use crate::baggage::{Baggage, WithBaggage};
use crate::context::Context;
use crate::future_slot::{FutureSlot, Placed};
use crate::reply::ReplyTo;

mod inline;

pub(crate) use inline::InlineEnvelope;

/// What an envelope carries: a message on its way to actor `A`, able to
/// turn itself into the future that handles it.
pub(crate) trait Payload<A: Actor>: Send + 'static {
    /// The message's type name, last path segment (for spans and reports).
    fn message_type() -> &'static str;

    fn into_future<'a>(
        self,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> impl Future<Output = ()> + Send + 'a;
}

/// A told message: the reply, if any, is dropped. Carries the sender's
/// baggage.
pub(crate) struct Tell<M>(pub(crate) M, pub(crate) Option<Baggage>);

/// An asked message, the port its reply goes to, and the sender's baggage.
pub(crate) struct Ask<M: Message>(
    pub(crate) M,
    pub(crate) ReplyTo<M::Reply>,
    pub(crate) Option<Baggage>,
);

impl<M> Tell<M> {
    /// A tell carrying the current baggage.
    pub(crate) fn new(msg: M) -> Self {
        Tell(msg, Baggage::current())
    }
}

impl<M: Message> Ask<M> {
    /// An ask carrying the current baggage.
    pub(crate) fn new(msg: M, port: ReplyTo<M::Reply>) -> Self {
        Ask(msg, port, Baggage::current())
    }
}

impl<A: Handler<M>, M: Message> Payload<A> for Tell<M> {
    fn message_type() -> &'static str {
        crate::addr::short_type_name::<M>()
    }

    fn into_future<'a>(
        self,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> impl Future<Output = ()> + Send + 'a {
        let Tell(msg, baggage) = self;
        let span = crate::trace::message_span::<M>(baggage.as_ref());
        WithBaggage::maybe(baggage, async move {
            actor.handle(msg, ctx).await;
        })
        .instrument(span)
    }
}

impl<A: Handler<M>, M: Message> Payload<A> for Ask<M> {
    fn message_type() -> &'static str {
        crate::addr::short_type_name::<M>()
    }

    fn into_future<'a>(
        self,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
    ) -> impl Future<Output = ()> + Send + 'a {
        let Ask(msg, port, baggage) = self;
        let span = crate::trace::message_span::<M>(baggage.as_ref());
        WithBaggage::maybe(baggage, async move {
            let reply = actor.handle(msg, ctx).await;
            let _ = port.send(reply);
        })
        .instrument(span)
    }
}

/// The start of every node: the mailbox's link and the payload's functions.
#[repr(C)]
pub(crate) struct Header<A> {
    next: *mut Header<A>,
    /// Points to a `'static` table (a raw pointer so that `A` need not
    /// be `'static` here: see `VTable::handle`).
    vtable: *const VTable<A>,
}

/// A node: `Header` first (`repr(C)`), so a pointer to one is a pointer
/// to the other.
#[repr(C)]
struct Node<A, P> {
    header: Header<A>,
    payload: P,
}

/// The functions of one payload type, for either storage (a node, or an
/// [`InlineEnvelope`]'s words): each takes a pointer to that storage.
struct VTable<A> {
    type_id: fn() -> TypeId,
    message_type: fn() -> &'static str,
    /// A [`HandleFn<A>`], erased: naming `Context<A>` here would make
    /// every type holding an envelope require `A: Actor`, and such bounds
    /// defeat the compiler's `Send` proofs for futures that hold one.
    handle: unsafe fn(),
    drop: unsafe fn(*mut u8),
    /// Whose handlers `handle` runs.
    actor: PhantomData<fn(&mut A)>,
}

/// Moves the payload out of its storage (freeing a node), places the
/// handler future.
type HandleFn<A> =
    for<'a> unsafe fn(*mut u8, &'a mut A, &'a mut Context<A>, &'a mut FutureSlot) -> Placed<'a>;

struct VTableOf<A, P>(PhantomData<(A, P)>);

impl<A: Actor, P: Payload<A>> VTableOf<A, P> {
    const NODE: VTable<A> = VTable {
        type_id: TypeId::of::<P>,
        message_type: P::message_type,
        // SAFETY: cast back to exactly this type in `VTable::handle`.
        handle: unsafe {
            std::mem::transmute::<HandleFn<A>, unsafe fn()>(handle_node::<A, P> as HandleFn<A>)
        },
        drop: drop_node::<A, P>,
        actor: PhantomData,
    };

    const INLINE: VTable<A> = VTable {
        type_id: TypeId::of::<P>,
        message_type: P::message_type,
        // SAFETY: as above.
        handle: unsafe {
            std::mem::transmute::<HandleFn<A>, unsafe fn()>(
                inline::handle_words::<A, P> as HandleFn<A>,
            )
        },
        drop: inline::drop_words::<P>,
        actor: PhantomData,
    };
}

impl<A: Actor> VTable<A> {
    /// # Safety
    /// `storage` must be live storage of this table's payload type that
    /// nothing else owns, and the returned [`Placed`] must be dropped, not
    /// leaked (see [`FutureSlot::place`]).
    unsafe fn handle<'a>(
        &self,
        storage: *mut u8,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
        slot: &'a mut FutureSlot,
    ) -> Placed<'a> {
        // SAFETY: `handle` was made from a `HandleFn<A>` for this payload
        // type (see `VTableOf`); the caller vouches for `storage`.
        unsafe {
            let handle = std::mem::transmute::<unsafe fn(), HandleFn<A>>(self.handle);
            handle(storage, actor, ctx, slot)
        }
    }
}

/// # Safety
/// `node` must be a live `Node<A, P>` that nothing else owns, and the
/// returned [`Placed`] must be dropped, not leaked (see
/// [`FutureSlot::place`]).
unsafe fn handle_node<'a, A: Actor, P: Payload<A>>(
    node: *mut u8,
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    slot: &'a mut FutureSlot,
) -> Placed<'a> {
    // SAFETY: the caller hands over a live, uniquely owned `Node<A, P>`.
    let node = unsafe { Box::from_raw(node.cast::<Node<A, P>>()) };
    let payload = node.payload;
    // SAFETY: our caller drops the `Placed`.
    unsafe { slot.place(payload.into_future(actor, ctx)) }
}

/// # Safety
/// `node` must be a live `Node<A, P>` that nothing else owns.
unsafe fn drop_node<A: Actor, P: Payload<A>>(node: *mut u8) {
    // SAFETY: as above.
    drop(unsafe { Box::from_raw(node.cast::<Node<A, P>>()) });
}

/// One message for actor `A`, of any type `A` handles.
pub(crate) struct Envelope<A> {
    node: NonNull<Header<A>>,
}

// SAFETY: every payload is `Send` (`Payload: Send`), and the envelope is
// its only owner.
unsafe impl<A> Send for Envelope<A> {}

impl<A: Actor> Envelope<A> {
    pub(crate) fn new<P: Payload<A>>(payload: P) -> Self {
        let node = Box::new(Node {
            header: Header {
                next: ptr::null_mut(),
                // `const`: the table is checked to be a promoted `'static`.
                vtable: const { &VTableOf::<A, P>::NODE },
            },
            payload,
        });
        Envelope {
            node: NonNull::from(Box::leak(node)).cast(),
        }
    }

    /// The payload back, if it is a `P` (a sender recovering its message
    /// from a closed or full mailbox).
    pub(crate) fn into_payload<P: Payload<A>>(self) -> Option<P> {
        // SAFETY: the header is live while `self` owns the node.
        let vtable = unsafe { &*self.node.as_ref().vtable };
        if (vtable.type_id)() != TypeId::of::<P>() {
            return None;
        }
        let node = self.into_raw();
        // SAFETY: the type id says the node is a `Node<A, P>`; we own it.
        let node = unsafe { Box::from_raw(node.cast::<Node<A, P>>()) };
        Some(node.payload)
    }

    /// What gives the message's type name (last path segment); call it
    /// only when the name is needed, it scans the full type name.
    pub(crate) fn message_type(&self) -> fn() -> &'static str {
        // SAFETY: the header is live while `self` owns the node.
        unsafe { (*self.node.as_ref().vtable).message_type }
    }

    /// Frees the node and places the future that handles the message in
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
        let node = self.into_raw();
        // SAFETY: `node` is live and ours, and of the table's payload
        // type; the caller drops the `Placed`.
        unsafe { (*(*node).vtable).handle(node.cast(), actor, ctx, slot) }
    }
}

impl<A> Envelope<A> {
    /// Gives up ownership: the mailbox links the node into its list.
    pub(crate) fn into_raw(self) -> *mut Header<A> {
        let node = self.node.as_ptr();
        std::mem::forget(self);
        node
    }

    /// # Safety
    /// `node` must come from [`into_raw`](Self::into_raw) and not be owned
    /// by anything else.
    pub(crate) unsafe fn from_raw(node: *mut Header<A>) -> Self {
        Envelope {
            // SAFETY: `into_raw` never returns null.
            node: unsafe { NonNull::new_unchecked(node) },
        }
    }
}

impl<A> Drop for Envelope<A> {
    fn drop(&mut self) {
        // SAFETY: we own the live node; `drop` matches its payload type.
        unsafe {
            let drop = (*self.node.as_ref().vtable).drop;
            drop(self.node.as_ptr().cast());
        }
    }
}

/// The link of an unpublished or taken node.
///
/// # Safety
/// `node` must be live and owned by the caller (not yet published, or
/// taken by the receiver).
pub(crate) unsafe fn next<A>(node: *mut Header<A>) -> *mut Header<A> {
    unsafe { (*node).next }
}

/// Sets the link of a node the caller owns.
///
/// # Safety
/// As for [`next`].
pub(crate) unsafe fn set_next<A>(node: *mut Header<A>, next: *mut Header<A>) {
    unsafe { (*node).next = next }
}
