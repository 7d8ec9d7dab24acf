//! Changing a running pool: feeding it from an acknowledged source,
//! growing, shrinking and shutting it down.
//!
//! Invariants:
//! - Resizes are serialized (one at a time, by the resize turn).
//! - A feed applies to every slot, the ones added later included.
//! - Shrinking takes a slot out of routing (and the ring) first, retires
//!   its feeders, waits until nothing is being pushed to it and its
//!   mailbox is empty, then stops its worker (a stop is served between two
//!   messages, so the in-flight one finishes): nothing sent to it is lost.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_channel::Receiver;

use super::PoolError;
use super::feeder::pull_acked;
use super::pool::Pool;
use super::slot::{FeedFn, Slot, lock};
use crate::supervisor::SupervisorError;
use crate::sync::AckSource;
use crate::{Actor, Handler, Message, rt};

impl<W: Actor> Pool<W> {
    /// Feeds every worker from an acknowledged source (e.g. a
    /// [`Queue`](crate::sync::Queue) via `get_delivery`), `prefetch`
    /// deliveries in flight per worker (at least 1; 1 is the usual choice).
    /// A delivery is acked after its worker handled it; if the worker fails
    /// on it, it is nacked and redelivered; so a crash loses nothing and
    /// redelivers at most the deliveries in flight. Workers added later by
    /// [`resize`](Self::resize) are fed as well.
    pub fn feed_from<S>(&self, source: S, prefetch: usize)
    where
        S: AckSource,
        S::Item: Message + Clone,
        W: Handler<S::Item>,
    {
        let prefetch = prefetch.max(1);
        let feed: FeedFn<W> = Arc::new(move |slot: &Slot<W>| {
            (0..prefetch)
                .map(|_| {
                    let task =
                        pull_acked(slot.addr.clone(), source.clone(), slot.retire_rx.clone());
                    rt::spawn(task)
                })
                .collect()
        });
        // Holding the feed list while feeding keeps a concurrent grow from
        // feeding a new slot twice or not at all.
        let mut feeds = lock(&self.shared().feeds);
        for slot in self.slots().iter() {
            slot.feed(&feed);
        }
        feeds.push(feed);
    }

    /// Grows or shrinks the pool to `size` workers (at least 1). Shrinking
    /// takes the newest workers out of routing first, then waits until each
    /// has handled every message already sent to it (and its in-flight
    /// one), then stops it: nothing is lost.
    pub async fn resize(&self, size: usize) -> Result<(), PoolError<()>> {
        let size = size.max(1);
        let _turn = self.turn().await;
        let now = self.size();
        if size > now {
            self.grow_unlocked(size - now).await
        } else {
            for _ in size..now {
                self.shrink_one().await?;
            }
            Ok(())
        }
    }

    pub(super) async fn grow(&self, n: usize) -> Result<(), PoolError<()>> {
        let _turn = self.turn().await;
        self.grow_unlocked(n).await
    }

    async fn grow_unlocked(&self, n: usize) -> Result<(), PoolError<()>> {
        let sup = self.supervisor().await?;
        for _ in 0..n {
            let (spec, slot) = self.shared().new_slot()?;
            sup.start_child(spec).await?;
            self.shared().add_slot(slot);
        }
        Ok(())
    }

    /// Takes the newest worker out of routing, lets it finish what it was
    /// sent, then stops it.
    async fn shrink_one(&self) -> Result<(), PoolError<()>> {
        let slot = {
            let mut slots = self
                .shared()
                .slots
                .write()
                .unwrap_or_else(|e| e.into_inner());
            if slots.len() <= 1 {
                return Ok(());
            }
            match slots.pop() {
                Some(slot) => slot,
                None => return Ok(()),
            }
        };
        self.shared()
            .ring
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(slot.id);
        drain(&slot).await;
        let sup = self.supervisor().await?;
        sup.terminate_child(&slot.child).await?;
        match sup.delete_child(&slot.child).await {
            Ok(()) | Err(SupervisorError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Stops feeding, then stops every worker and the pool's supervisor.
    /// Messages still queued are dropped (their askers get an error); call
    /// [`resize`](Self::resize) down or wait for your own completion signal
    /// first to finish them. (A pool in a supervision tree is shut down
    /// with its tree; if that tree has not started yet, this stops the
    /// feeding and closes the shared mailbox, and returns at once.)
    pub async fn shutdown(&self) {
        let slots: Vec<_> = self.slots().clone();
        for slot in &slots {
            for feeder in slot.retire_feeders() {
                feeder.abort();
                let _ = feeder.await;
            }
        }
        if let Some(jobs) = &self.shared().shared_jobs {
            jobs.close();
        }
        if !self.shared().started.load(Ordering::SeqCst) {
            return; // nothing runs yet: the tree starts and stops the rest
        }
        if let Ok(sup) = self.supervisor().await {
            sup.shutdown().await;
        }
    }

    /// Waits for the resize turn (one resize at a time).
    async fn turn(&self) -> Turn<'_> {
        let _ = self.shared().resizing.0.send(()).await;
        Turn(&self.shared().resizing.1)
    }
}

/// Waits until `slot`'s feeders stopped and its mailbox is empty (the
/// in-flight message, if any, then finishes before the stop is seen:
/// a stop is served between two messages).
async fn drain<W: Actor>(slot: &Slot<W>) {
    slot.live.store(false, Ordering::SeqCst);
    for feeder in slot.retire_feeders() {
        let _ = feeder.await;
    }
    while slot.sending.load(Ordering::SeqCst) > 0 || slot.addr.mailbox_len() > 0 {
        rt::sleep(Duration::from_millis(1)).await;
    }
}

/// Holds the resize turn; gives it back when dropped.
struct Turn<'a>(&'a Receiver<()>);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let _ = self.0.try_recv();
    }
}
