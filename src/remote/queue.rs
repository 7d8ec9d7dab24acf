//! [`RemoteQueue`]: an at-least-once work queue across processes, on a
//! JetStream work-queue stream with one shared durable pull consumer.
//!
//! Invariants:
//! - `put` returns once the server has stored the item (publish + ack);
//! - each stored item is handed to one getter at a time; it leaves the
//!   stream when acked ([`RemoteDelivery::ack`] waits for the server's
//!   confirmation, so an acked item is never delivered again);
//! - an item not acked within `ack_wait` (its getter crashed or hung) is
//!   delivered again, to any getter, with its delivery count raised; a
//!   delivery dropped unacked is handed back at once (a negative ack);
//! - an item whose delivery count would pass `max_deliveries`, or that does
//!   not decode as `T`, goes to the dead-letter stream
//!   ([`RemoteQueue::dead_letters`]) instead of to a getter; it is first
//!   stored there, then removed here, so it is never lost;
//! - at least once: a server killed without a graceful stop may lose the
//!   record of acks confirmed just before (JetStream writes consumer state
//!   asynchronously), and deliver those items again;
//! - the queue is an [`AckSource`] and its deliveries are [`Delivery`]s,
//!   the contract of the local queue's acknowledged mode, so a pool can be
//!   fed from either ([`Pool::feed_from`](crate::pool::Pool::feed_from));
//!   as a source it rides out a broken connection (it retries, with a
//!   backoff up to one second, until the node reconnects) and reports
//!   [`DeliveryError::ShutDown`] once the node's connection is closed for
//!   good.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer, stream};
use futures_lite::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::RemoteError;
use super::node::{ConnState, Node, check_token};
use super::{streams, wire};
use crate::rt;
use crate::sync::{AckSource, Delivery, DeliveryError};

/// Settings of a [`RemoteQueue`]; every node opening the queue should use
/// the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteQueueOptions {
    /// How long a getter has to ack before the item is delivered again.
    pub ack_wait: Duration,
    /// Deliveries before an item is dead-lettered (at least 1).
    pub max_deliveries: u32,
}

impl Default for RemoteQueueOptions {
    fn default() -> Self {
        RemoteQueueOptions {
            ack_wait: Duration::from_secs(30),
            max_deliveries: 5,
        }
    }
}

/// A queue of `T` shared by every node that opens the same name.
pub struct RemoteQueue<T> {
    js: jetstream::Context,
    stream: String,
    subject: String,
    dead_subject: Option<String>,
    consumer: consumer::PullConsumer,
    options: RemoteQueueOptions,
    conn: Arc<ConnState>,
    _items: PhantomData<fn() -> T>,
}

impl<T> Clone for RemoteQueue<T> {
    fn clone(&self) -> Self {
        RemoteQueue {
            js: self.js.clone(),
            stream: self.stream.clone(),
            subject: self.subject.clone(),
            dead_subject: self.dead_subject.clone(),
            consumer: self.consumer.clone(),
            options: self.options,
            conn: self.conn.clone(),
            _items: PhantomData,
        }
    }
}

impl Node {
    /// Opens (creating if needed) the cross-machine queue `name` and its
    /// dead-letter stream.
    pub async fn queue<T>(
        &self,
        name: &str,
        options: RemoteQueueOptions,
    ) -> Result<RemoteQueue<T>, RemoteError>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        check_token("queue name", name)?;
        let prefix = &self.options().prefix;
        let subject = format!("{prefix}.queue.{name}");
        let dead = format!("{subject}.dead");
        let js = jetstream::new(self.client().clone());
        let stream = format!("RQ_{prefix}_{name}");
        let conn = self.conn_state();
        let dead_options = RemoteQueueOptions {
            max_deliveries: u32::MAX,
            ..options
        };
        let dead_stream = format!("{stream}_dead");
        open::<T>(&js, &dead_stream, &dead, dead_options, None, conn.clone()).await?;
        open(&js, &stream, &subject, options, Some(dead), conn).await
    }
}

async fn open<T>(
    js: &jetstream::Context,
    stream: &str,
    subject: &str,
    options: RemoteQueueOptions,
    dead_subject: Option<String>,
    conn: Arc<ConnState>,
) -> Result<RemoteQueue<T>, RemoteError> {
    let config = stream::Config {
        name: stream.to_string(),
        subjects: vec![subject.to_string()],
        retention: stream::RetentionPolicy::WorkQueue,
        num_replicas: 1,
        ..Default::default()
    };
    let handle = streams::get_or_create(js, config, "the queue's stream").await?;
    let consumer = Box::pin(handle.get_or_create_consumer(
        "workers",
        consumer::pull::Config {
            durable_name: Some("workers".to_string()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: options.ack_wait,
            max_deliver: -1,
            ..Default::default()
        },
    ))
    .await
    .map_err(|e| RemoteError::jetstream("cannot create the queue's consumer", e))?;
    Ok(RemoteQueue {
        js: js.clone(),
        stream: stream.to_string(),
        subject: subject.to_string(),
        dead_subject,
        consumer,
        options,
        conn,
        _items: PhantomData,
    })
}

impl<T: Serialize + DeserializeOwned + Send + 'static> RemoteQueue<T> {
    /// Stores `item`; returns its sequence number in the stream.
    pub async fn put(&self, item: &T) -> Result<u64, RemoteError> {
        let bytes = wire::to_bytes(item)?;
        self.put_bytes(&self.subject, bytes).await
    }

    async fn put_bytes(&self, subject: &str, bytes: Vec<u8>) -> Result<u64, RemoteError> {
        let ack = Box::pin(self.js.publish(subject.to_string(), bytes.into()))
            .await
            .map_err(|e| RemoteError::jetstream("cannot put", e))?
            .await
            .map_err(|e| RemoteError::jetstream("the server did not store the item", e))?;
        Ok(ack.sequence)
    }

    /// Waits for the next item.
    pub async fn get(&self) -> Result<RemoteDelivery<T>, RemoteError> {
        loop {
            if let Some(delivery) = self.get_timeout(Duration::from_secs(5)).await? {
                return Ok(delivery);
            }
        }
    }

    /// The next item, if one comes within `timeout`.
    pub async fn get_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<RemoteDelivery<T>>, RemoteError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left < Duration::from_millis(10) {
                return Ok(None);
            }
            let Some(msg) = self.next_message(left).await? else {
                return Ok(None);
            };
            if let Some(delivery) = self.deliver_or_bury(msg).await? {
                return Ok(Some(delivery));
            }
        }
    }

    async fn next_message(
        &self,
        wait: Duration,
    ) -> Result<Option<jetstream::Message>, RemoteError> {
        let mut batch = self
            .consumer
            .batch()
            .max_messages(1)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| RemoteError::jetstream("cannot get", e))?;
        match batch.next().await {
            Some(Ok(msg)) => Ok(Some(msg)),
            Some(Err(e)) => Err(RemoteError::jetstream("cannot get", e)),
            None => Ok(None),
        }
    }

    /// A delivery for the getter, or `None` after moving a poisoned or
    /// over-delivered item to the dead letters.
    async fn deliver_or_bury(
        &self,
        msg: jetstream::Message,
    ) -> Result<Option<RemoteDelivery<T>>, RemoteError> {
        let count = msg.info().map(|i| i.delivered.max(1) as u32).unwrap_or(1);
        let value = wire::from_bytes::<T>(&msg.payload);
        let over = count > self.options.max_deliveries;
        match (value, &self.dead_subject) {
            (Ok(value), _) if !over => Ok(Some(RemoteDelivery {
                value: Some(value),
                count,
                msg: Some(msg),
            })),
            (_, Some(dead)) => {
                self.put_bytes(dead, msg.payload.to_vec()).await?;
                msg.double_ack()
                    .await
                    .map_err(|e| RemoteError::jetstream("cannot remove a dead letter", e))?;
                Ok(None)
            }
            (Ok(value), None) => Ok(Some(RemoteDelivery {
                value: Some(value),
                count,
                msg: Some(msg),
            })),
            (Err(e), None) => {
                // The dead-letter stream itself: a poisoned item is dropped.
                let _ = msg.ack_with(AckKind::Term).await;
                Err(e)
            }
        }
    }

    /// The dead-letter queue: items that were delivered too often or did
    /// not decode. Get and ack them like any other.
    pub async fn dead_letters(&self) -> Result<RemoteQueue<T>, RemoteError> {
        let Some(dead) = &self.dead_subject else {
            return Ok(self.clone());
        };
        let options = RemoteQueueOptions {
            max_deliveries: u32::MAX,
            ..self.options
        };
        open(
            &self.js,
            &format!("{}_dead", self.stream),
            dead,
            options,
            None,
            self.conn.clone(),
        )
        .await
    }

    /// How many items are stored (delivered but unacked ones included).
    pub async fn len(&self) -> Result<u64, RemoteError> {
        let mut stream = self
            .js
            .get_stream(&self.stream)
            .await
            .map_err(|e| RemoteError::jetstream("cannot read the queue", e))?;
        let info = stream
            .info()
            .await
            .map_err(|e| RemoteError::jetstream("cannot read the queue", e))?;
        Ok(info.state.messages)
    }

    /// Whether no item is stored.
    pub async fn is_empty(&self) -> Result<bool, RemoteError> {
        Ok(self.len().await? == 0)
    }
}

/// One delivery of an item: ack it when done. Dropped unacked, the item is
/// handed back for redelivery.
#[must_use = "an unacked delivery is redelivered"]
pub struct RemoteDelivery<T> {
    /// `Some` until `ack` moves it out (and consumes the delivery).
    value: Option<T>,
    count: u32,
    msg: Option<jetstream::Message>,
}

impl<T> RemoteDelivery<T> {
    /// The item.
    pub fn value(&self) -> &T {
        self.value
            .as_ref()
            .expect("a delivery holds its value until acked")
    }

    /// How many times this item was delivered, this time included (1 the
    /// first time).
    pub fn delivery_count(&self) -> u32 {
        self.count
    }

    /// Done with the item: it leaves the queue. Waits for the server's
    /// confirmation.
    pub async fn ack(mut self) -> Result<T, RemoteError> {
        if let Some(msg) = self.msg.take() {
            msg.double_ack()
                .await
                .map_err(|e| RemoteError::jetstream("the ack was not confirmed", e))?;
        }
        Ok(self
            .value
            .take()
            .expect("a delivery holds its value until acked"))
    }

    /// Hands the item back now for another delivery.
    pub async fn nack(mut self) -> Result<(), RemoteError> {
        if let Some(msg) = self.msg.take() {
            msg.ack_with(AckKind::Nak(None))
                .await
                .map_err(|e| RemoteError::jetstream("cannot hand the item back", e))?;
        }
        Ok(())
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> AckSource for RemoteQueue<T> {
    type Item = T;
    type Delivery = RemoteDelivery<T>;

    /// [`get`](RemoteQueue::get), retrying through a broken connection;
    /// `ShutDown` once the node's connection is closed for good.
    async fn next_delivery(&self) -> Result<RemoteDelivery<T>, DeliveryError> {
        let mut backoff = Duration::from_millis(10);
        loop {
            match self.get().await {
                Ok(delivery) => return Ok(delivery),
                Err(_) if self.conn.is_closed() => return Err(DeliveryError::ShutDown),
                Err(e) => {
                    tracing::debug!(queue = %self.stream, error = %e, "remote queue get failed; retrying");
                    rt::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}

impl<T: Send + 'static> Delivery for RemoteDelivery<T> {
    type Item = T;

    fn item(&self) -> &T {
        self.value()
    }

    fn delivery_count(&self) -> u32 {
        self.count
    }

    /// [`RemoteDelivery::ack`]; an unconfirmed ack is `Unavailable` (the
    /// item may then be delivered again: at least once).
    async fn ack(self) -> Result<(), DeliveryError> {
        RemoteDelivery::ack(self)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn nack(self) -> Result<(), DeliveryError> {
        RemoteDelivery::nack(self).await.map_err(unavailable)
    }
}

fn unavailable(err: RemoteError) -> DeliveryError {
    DeliveryError::Unavailable(err.to_string())
}

impl<T> Drop for RemoteDelivery<T> {
    fn drop(&mut self) {
        if let Some(msg) = self.msg.take() {
            rt::spawn_detached(async move {
                let _ = msg.ack_with(AckKind::Nak(None)).await;
            });
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for RemoteDelivery<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteDelivery")
            .field("value", &self.value)
            .field("delivery_count", &self.count)
            .finish()
    }
}
