//! Feeders: the loops that feed a worker from an acknowledged source, one
//! delivery at a time. (Balancing needs none: its workers serve the
//! pool's shared mailbox themselves, see `SharedMailbox`.)
//!
//! Invariants:
//! - A feeder has at most one delivery in flight to its worker: it asks,
//!   and takes the next one only after the answer (or the failure).
//! - Retiring a feeder (its retire channel closes) takes effect between
//!   messages, never during one: the in-flight message finishes first.
//! - Acked feed: a delivery is acked only after the worker handled its
//!   message; if the worker failed on it (panicked, was stopped) the
//!   delivery is nacked, and if the feeder itself is dropped mid-way the
//!   delivery is dropped unacked: either way it is redelivered.

use std::future::Future;

use async_channel::Receiver;
use futures_lite::future;

use crate::sync::{AckSource, Delivery};
use crate::{Addr, Handler, Message};

/// Waits for the next of `next`, unless `retire` closes first.
async fn unless_retired<T>(
    retire: &Receiver<()>,
    next: impl Future<Output = Option<T>>,
) -> Option<T> {
    future::or(
        async {
            let _ = retire.recv().await;
            None
        },
        next,
    )
    .await
}

/// Feeds `worker` from an acknowledged source until retired or the source
/// shuts down.
pub(crate) async fn pull_acked<W, S>(worker: Addr<W>, source: S, retire: Receiver<()>)
where
    S: AckSource,
    S::Item: Message + Clone,
    W: Handler<S::Item>,
{
    while let Some(delivery) =
        unless_retired(&retire, async { source.next_delivery().await.ok() }).await
    {
        match worker.ask(delivery.item().clone()).await {
            Ok(_) => drop(delivery.ack().await),
            Err(_) => drop(delivery.nack().await),
        }
    }
}
