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
//! - A feeder ends only when retired, when its source is shut down, or
//!   when its worker's mailbox is closed for good; an unavailable source
//!   is retried with a backoff (10 ms doubling up to 1 s).

use std::future::Future;
use std::time::Duration;

use async_channel::Receiver;
use futures_lite::future;

use crate::sync::{AckSource, Delivery, DeliveryError};
use crate::{Addr, AskError, Backoff, Handler, Message, rt};

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

/// How long a feeder waits before asking an unavailable source again.
fn retry_backoff() -> Backoff {
    Backoff::new(Duration::from_millis(10), Duration::from_secs(1))
}

/// Feeds `worker` from an acknowledged source until retired, the source
/// shuts down, or the worker is gone for good. An unavailable source (a
/// queue restarting, a lost connection) is asked again after a backoff.
pub(crate) async fn pull_acked<W, S>(worker: Addr<W>, source: S, retire: Receiver<()>)
where
    S: AckSource,
    S::Item: Message + Clone,
    W: Handler<S::Item>,
{
    let mut failures = 0u32;
    loop {
        let next = unless_retired(&retire, async { Some(source.next_delivery().await) }).await;
        let delivery = match next {
            None | Some(Err(DeliveryError::ShutDown)) => return,
            Some(Ok(delivery)) => delivery,
            Some(Err(DeliveryError::Unavailable(why))) => {
                let delay = retry_backoff().delay(failures);
                failures = failures.saturating_add(1);
                tracing::warn!(%why, ?delay, "pool feed: the source is unavailable; retrying");
                let slept = async {
                    rt::sleep(delay).await;
                    Some(())
                };
                if unless_retired(&retire, slept).await.is_none() {
                    return;
                }
                continue;
            }
        };
        failures = 0;
        match worker.ask(delivery.item().clone()).await {
            Ok(_) => drop(delivery.ack().await),
            // Closed for good (a restart keeps the mailbox open): give the
            // item back and stop, instead of taking it again and again.
            Err(AskError::Closed) => {
                drop(delivery.nack().await);
                return;
            }
            Err(_) => drop(delivery.nack().await),
        }
    }
}
