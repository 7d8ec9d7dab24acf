//! [`FutureSlot`]: one reusable buffer for the future of the message an
//! actor instance is handling, so that handling a message allocates nothing.
//!
//! A mailbox holds messages of many types, so the future that handles one
//! must be type-erased; boxing it would cost an allocation per message.
//! An actor handles one message at a time, so one buffer per instance,
//! grown to the largest handler future seen, serves them all.
//!
//! Invariants:
//! - At most one future lives in the slot: [`place`](FutureSlot::place)
//!   borrows the slot mutably for as long as the returned [`Placed`] lives.
//! - The future never moves once written (it is polled in place, so it may
//!   be `!Unpin`); it is dropped in place when it completes or when the
//!   `Placed` is dropped, whichever comes first.
//! - The buffer is kept for the next message only up to [`KEEP`] bytes, so
//!   one rare huge handler future does not pin its memory forever.

use std::alloc::{self, Layout};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

/// Buffers up to this size are kept between messages.
const KEEP: usize = 1024;

pub(crate) struct FutureSlot {
    buffer: NonNull<u8>,
    /// The buffer's layout; size 0 means no buffer.
    layout: Layout,
}

// SAFETY: the slot is raw memory; the futures placed in it are `Send`.
unsafe impl Send for FutureSlot {}

impl FutureSlot {
    pub(crate) fn new() -> Self {
        FutureSlot {
            buffer: NonNull::dangling(),
            layout: Layout::new::<()>(),
        }
    }

    /// Writes `future` into the slot (growing it if need be) and returns a
    /// handle that polls it in place.
    ///
    /// # Safety
    /// The `Placed` must be dropped, not leaked (`mem::forget`): a leaked
    /// one would leave its pinned future in the slot, to be overwritten
    /// by the next `place` without being dropped.
    #[inline]
    pub(crate) unsafe fn place<'a, F>(&'a mut self, future: F) -> Placed<'a>
    where
        F: Future<Output = ()> + Send + 'a,
    {
        let layout = Layout::new::<F>();
        let at: *mut F = if layout.size() == 0 {
            NonNull::<F>::dangling().as_ptr()
        } else {
            self.reserve(layout).cast::<F>().as_ptr()
        };
        // SAFETY: `at` is valid and aligned for an `F` (or `F` is
        // zero-sized), and holds no live value (see the invariants).
        unsafe { at.write(future) };
        Placed {
            future: at.cast(),
            poll: poll_in_place::<F>,
            drop: drop_in_place::<F>,
            slot: self,
            live: true,
            _future: PhantomData,
        }
    }

    #[inline]
    fn reserve(&mut self, layout: Layout) -> NonNull<u8> {
        let fits = self.layout.size() >= layout.size() && self.layout.align() >= layout.align();
        if !fits {
            self.grow(layout);
        }
        self.buffer
    }

    #[cold]
    fn grow(&mut self, layout: Layout) {
        let grown = Layout::from_size_align(
            layout.size().max(self.layout.size()),
            layout.align().max(self.layout.align()),
        )
        .expect("a future's layout is valid");
        self.release();
        // SAFETY: `grown` has a non-zero size (at least `layout`'s).
        let buffer = unsafe { alloc::alloc(grown) };
        self.buffer = NonNull::new(buffer).unwrap_or_else(|| alloc::handle_alloc_error(grown));
        self.layout = grown;
    }

    fn release(&mut self) {
        if self.layout.size() != 0 {
            // SAFETY: allocated in `grow` with exactly this layout.
            unsafe { alloc::dealloc(self.buffer.as_ptr(), self.layout) };
            self.buffer = NonNull::dangling();
            self.layout = Layout::new::<()>();
        }
    }
}

impl Default for FutureSlot {
    fn default() -> Self {
        FutureSlot::new()
    }
}

impl Drop for FutureSlot {
    fn drop(&mut self) {
        self.release();
    }
}

/// A future living in a [`FutureSlot`].
pub(crate) struct Placed<'a> {
    future: *mut (),
    poll: unsafe fn(*mut (), &mut Context<'_>) -> Poll<()>,
    drop: unsafe fn(*mut ()),
    slot: &'a mut FutureSlot,
    live: bool,
    /// The future borrows what `'a` covers (the actor and its context).
    _future: PhantomData<&'a mut ()>,
}

// SAFETY: the placed future is `Send` (`place` requires it).
unsafe impl Send for Placed<'_> {}

impl Placed<'_> {
    fn finish(&mut self) {
        if std::mem::replace(&mut self.live, false) {
            // SAFETY: the future is live and never used again.
            unsafe { (self.drop)(self.future) };
            if self.slot.layout.size() > KEEP {
                self.slot.release();
            }
        }
    }
}

impl Future for Placed<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        assert!(self.live, "`Placed` polled after completion");
        // SAFETY: the future is live and pinned in the slot's buffer.
        let ready = unsafe { (self.poll)(self.future, cx) };
        if ready.is_ready() {
            self.finish();
        }
        ready
    }
}

impl Drop for Placed<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// # Safety
/// `future` points to a live, pinned `F`.
unsafe fn poll_in_place<F: Future<Output = ()>>(future: *mut (), cx: &mut Context<'_>) -> Poll<()> {
    // SAFETY: the slot never moves a placed future.
    unsafe { Pin::new_unchecked(&mut *future.cast::<F>()) }.poll(cx)
}

/// # Safety
/// `future` points to a live `F` that is never used again.
unsafe fn drop_in_place<F>(future: *mut ()) {
    unsafe { future.cast::<F>().drop_in_place() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Every test drops its `Placed`.
    fn place<'a, F: Future<Output = ()> + Send + 'a>(slot: &'a mut FutureSlot, f: F) -> Placed<'a> {
        // SAFETY: see above.
        unsafe { slot.place(f) }
    }

    fn noop_cx<R>(f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        let waker = std::task::Waker::noop();
        f(&mut Context::from_waker(waker))
    }

    #[test]
    fn a_completed_future_is_dropped_once_and_the_buffer_reused() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = FutureSlot::new();
        for round in 1..=3 {
            let guard = CountDrop(drops.clone());
            let mut placed = place(&mut slot, async move {
                let _guard = guard;
            });
            assert!(noop_cx(|cx| Pin::new(&mut placed).poll(cx)).is_ready());
            assert_eq!(drops.load(Ordering::SeqCst), round);
            drop(placed);
            assert_eq!(drops.load(Ordering::SeqCst), round, "dropped once");
        }
        assert_ne!(slot.layout.size(), 0, "the buffer is kept");
    }

    #[test]
    fn a_pending_future_is_dropped_with_its_handle() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = FutureSlot::new();
        let guard = CountDrop(drops.clone());
        let mut placed = place(&mut slot, async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        assert!(noop_cx(|cx| Pin::new(&mut placed).poll(cx)).is_pending());
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(placed);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_slot_grows_for_bigger_and_more_aligned_futures() {
        #[repr(align(64))]
        struct Aligned([u8; 64]);
        let mut slot = FutureSlot::new();
        let small = 1u8;
        let mut placed = place(&mut slot, async move {
            let _ = small;
        });
        assert!(noop_cx(|cx| Pin::new(&mut placed).poll(cx)).is_ready());
        drop(placed);
        let big = Aligned([7; 64]);
        let seen = Arc::new(AtomicUsize::new(0));
        let out = seen.clone();
        let mut placed = place(&mut slot, async move {
            let at = &big as *const Aligned as usize;
            assert_eq!(at % 64, 0, "aligned in the slot");
            out.store(big.0.iter().map(|&b| b as usize).sum(), Ordering::SeqCst);
        });
        assert!(noop_cx(|cx| Pin::new(&mut placed).poll(cx)).is_ready());
        drop(placed);
        assert_eq!(seen.load(Ordering::SeqCst), 7 * 64);
        assert!(slot.layout.align() >= 64);
    }

    #[test]
    fn huge_buffers_are_not_kept() {
        let mut slot = FutureSlot::new();
        let huge = [1u8; 4 * KEEP];
        let mut placed = place(&mut slot, async move {
            let _ = huge.len();
        });
        assert!(noop_cx(|cx| Pin::new(&mut placed).poll(cx)).is_ready());
        drop(placed);
        assert_eq!(slot.layout.size(), 0);
    }
}
