//! [`Handover`]: the queue behind a [`SharedMailbox`](super::SharedMailbox):
//! many senders, many takers, items stored in place, and senders that wait
//! for room woken in batches.
//!
//! Invariants:
//! - Items live in a lock-free `ConcurrentQueue`, bounded or not.
//! - Every push notifies one more waiting taker (`notify_additional(1)`),
//!   so each item has a taker on its way when any is waiting; a taker
//!   registers its listener before its second look, so no push is missed.
//! - Senders wait only when the queue is full, and a take wakes them only
//!   once the queue is down to `low_water` (half the capacity, rounded
//!   down): a fast producer and a slow consumer then exchange one wake per
//!   half a queue, not one per message (a wake per take is a lock, a task
//!   schedule and often a thread wake-up: most of a one-worker pool's cost
//!   when it is measured that way; unbounded, no sender waits and takes
//!   wake none). A waiting sender is woken by the take that reaches
//!   `low_water`, or by the close; it registers before its second try, so
//!   it cannot miss that take.
//! - Closing wakes everyone: senders get their item back; takers take
//!   what is left, then get `None`.

use concurrent_queue::{ConcurrentQueue, PopError, PushError};
use event_listener::{Event, listener};

pub(crate) struct Handover<T> {
    items: ConcurrentQueue<T>,
    /// Takers waiting for an item.
    takers: Event,
    /// Senders waiting for room.
    room: Event,
    /// A take that leaves at most this many items wakes the senders
    /// (`None` when unbounded: no sender ever waits, so takes wake none).
    low_water: Option<usize>,
}

/// Why a push did not land; the item comes back.
pub(crate) enum Refused<T> {
    Full(T),
    Closed(T),
}

impl<T> Handover<T> {
    /// Bounded to `capacity` (at least 1), or unbounded with `None`.
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        let (items, low_water) = match capacity {
            Some(n) => (ConcurrentQueue::bounded(n.max(1)), Some(n.max(1) / 2)),
            None => (ConcurrentQueue::unbounded(), None),
        };
        Handover {
            items,
            takers: Event::new(),
            room: Event::new(),
            low_water,
        }
    }

    /// Pushes if there is room right now.
    pub(crate) fn try_push(&self, item: T) -> Result<(), Refused<T>> {
        match self.items.push(item) {
            Ok(()) => {
                self.takers.notify_additional(1);
                Ok(())
            }
            Err(PushError::Full(item)) => Err(Refused::Full(item)),
            Err(PushError::Closed(item)) => Err(Refused::Closed(item)),
        }
    }

    /// Pushes, waiting for room; the item comes back if it is closed.
    pub(crate) async fn push(&self, mut item: T) -> Result<(), T> {
        loop {
            item = match self.try_push(item) {
                Ok(()) => return Ok(()),
                Err(Refused::Closed(item)) => return Err(item),
                Err(Refused::Full(item)) => item,
            };
            listener!(self.room => room);
            item = match self.try_push(item) {
                Ok(()) => return Ok(()),
                Err(Refused::Closed(item)) => return Err(item),
                Err(Refused::Full(item)) => item,
            };
            room.await;
        }
    }

    /// Takes the oldest item if there is one: `Err(true)` once closed and
    /// empty, `Err(false)` when just empty.
    pub(crate) fn try_take(&self) -> Result<T, bool> {
        match self.items.pop() {
            Ok(item) => {
                if self.low_water.is_some_and(|low| self.items.len() <= low) {
                    self.room.notify(usize::MAX);
                }
                Ok(item)
            }
            Err(PopError::Empty) => Err(false),
            Err(PopError::Closed) => Err(true),
        }
    }

    /// Takes the oldest item, waiting for one; `None` once closed and
    /// empty.
    pub(crate) async fn take(&self) -> Option<T> {
        loop {
            match self.try_take() {
                Ok(item) => return Some(item),
                Err(true) => return None,
                Err(false) => {}
            }
            listener!(self.takers => arrived);
            match self.try_take() {
                Ok(item) => return Some(item),
                Err(true) => return None,
                Err(false) => {}
            }
            arrived.await;
        }
    }

    /// Ends it: later pushes fail, and everyone waiting wakes. Returns
    /// false if it was closed already. (Items already in stay takeable.)
    pub(crate) fn close(&self) -> bool {
        let newly = self.items.close();
        if newly {
            self.room.notify(usize::MAX);
            self.takers.notify(usize::MAX);
        }
        newly
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.items.is_closed()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Wake, Waker};

    use futures_lite::future::{block_on, poll_once};

    use super::*;

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Wakes(AtomicUsize);
    impl Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_waiting_sender_is_woken_once_the_queue_is_down_to_half_not_before() {
        let q = Handover::new(Some(4));
        for n in 0..4 {
            assert!(q.try_push(n).is_ok());
        }
        let wakes = Arc::new(Wakes::default());
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let mut push = std::pin::pin!(q.push(4));
        assert!(push.as_mut().poll(&mut cx).is_pending(), "full: it waits");
        assert_eq!(q.try_take().ok(), Some(0)); // 3 left
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0, "not at every take");
        assert_eq!(q.try_take().ok(), Some(1)); // 2 left: half
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "woken at half");
        assert!(push.as_mut().poll(&mut cx).is_ready());
        assert_eq!(q.len(), 3);
    }

    #[test]
    fn a_sender_parked_on_another_thread_is_woken_and_nothing_is_lost() {
        let q = Arc::new(Handover::new(Some(2)));
        let sender = {
            let q = q.clone();
            std::thread::spawn(move || {
                block_on(async {
                    for n in 0..1000u32 {
                        q.push(n).await.map_err(|_| ()).unwrap();
                    }
                })
            })
        };
        let got: Vec<u32> = block_on(async {
            let mut got = Vec::new();
            while got.len() < 1000 {
                got.push(q.take().await.unwrap());
            }
            got
        });
        sender.join().unwrap();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn close_wakes_waiting_senders_with_their_item_and_takers_drain_then_end() {
        block_on(async {
            let q = Handover::new(Some(1));
            assert!(q.try_push("kept").is_ok());
            let mut push = std::pin::pin!(q.push("late"));
            assert!(poll_once(push.as_mut()).await.is_none());
            assert!(q.close());
            assert_eq!(poll_once(push.as_mut()).await, Some(Err("late")));
            assert_eq!(q.take().await, Some("kept"));
            assert_eq!(q.take().await, None);
            assert!(!q.close(), "closed once");
        });
    }
}
