//! Pull-based workers: the loops that feed a worker one message at a time
//! from the pool's shared mailbox (balancing) or from an acknowledged
//! source, and the type-erased jobs they carry.
//!
//! Invariants:
//! - A feeder has at most one message in flight to its worker: it asks,
//!   and takes the next message only after the answer (or the failure).
//! - Retiring a feeder (its retire channel closes) takes effect between
//!   messages, never during one: the in-flight message finishes first.
//! - Acked feed: a delivery is acked only after the worker handled its
//!   message; if the worker failed on it (panicked, was stopped) the
//!   delivery is nacked, and if the feeder itself is dropped mid-way the
//!   delivery is dropped unacked: either way it is redelivered.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use async_channel::Receiver;
use futures_lite::future;

use crate::sync::{AckSource, Delivery};
use crate::{Actor, Addr, AskError, Handler, Message, ReplyTo};

type BoxFut<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One message for some worker, with its reply port if it was an ask.
pub(crate) trait Job<W: Actor>: Send {
    fn run(self: Box<Self>, worker: &Addr<W>) -> BoxFut<'_>;
    /// The message back (for an error that returns it).
    fn into_msg(self: Box<Self>) -> Box<dyn Any + Send>;
}

pub(crate) type BoxJob<W> = Box<dyn Job<W>>;

pub(crate) struct TellJob<M>(pub(crate) M);

impl<W: Handler<M>, M: Message> Job<W> for TellJob<M> {
    fn run(self: Box<Self>, worker: &Addr<W>) -> BoxFut<'_> {
        Box::pin(async move {
            let _ = worker.ask(self.0).await;
        })
    }

    fn into_msg(self: Box<Self>) -> Box<dyn Any + Send> {
        Box::new(self.0)
    }
}

pub(crate) struct AskJob<M: Message>(pub(crate) M, pub(crate) ReplyTo<Result<M::Reply, AskError>>);

impl<W: Handler<M>, M: Message> Job<W> for AskJob<M> {
    fn run(self: Box<Self>, worker: &Addr<W>) -> BoxFut<'_> {
        Box::pin(async move {
            let AskJob(msg, port) = *self;
            let _ = port.send(worker.ask(msg).await);
        })
    }

    fn into_msg(self: Box<Self>) -> Box<dyn Any + Send> {
        Box::new(self.0)
    }
}

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

/// Feeds `worker` from the shared mailbox until retired or the pool is gone.
pub(crate) async fn pull<W: Actor>(
    worker: Addr<W>,
    jobs: Receiver<BoxJob<W>>,
    retire: Receiver<()>,
) {
    loop {
        // While jobs wait, take them without registering any listener.
        if retire.is_closed() {
            return; // before taking a job: a taken job is always run
        }
        let job = match jobs.try_recv() {
            Ok(job) => job,
            Err(async_channel::TryRecvError::Closed) => return,
            Err(async_channel::TryRecvError::Empty) => {
                match unless_retired(&retire, async { jobs.recv().await.ok() }).await {
                    Some(job) => job,
                    None => return,
                }
            }
        };
        job.run(&worker).await;
    }
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
