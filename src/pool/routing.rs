//! How a pool picks a worker, and what it does when workers are full.

use serde::Deserialize;

/// How a [`Pool`](super::Pool) routes each message (Akka's router names).
///
/// ```
/// use retinue::pool::Routing;
/// let r: Routing = serde_json::from_str("\"consistent_hash\"").unwrap();
/// assert_eq!(r, Routing::ConsistentHash);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// Each worker in turn (the default).
    #[default]
    RoundRobin,
    /// A worker picked at random.
    Random,
    /// The worker with the fewest queued messages (ties: the first).
    SmallestMailbox,
    /// By a key taken from the message ([`PoolBuilder::key`]): the same key
    /// always reaches the same live worker; a worker's restart moves no
    /// key; a resize moves only the keys of the added or removed worker.
    ///
    /// [`PoolBuilder::key`]: super::PoolBuilder::key
    ConsistentHash,
    /// Every worker gets a copy ([`PoolBuilder::copy`] says how to copy).
    ///
    /// [`PoolBuilder::copy`]: super::PoolBuilder::copy
    Broadcast,
    /// Workers pull from one shared mailbox, one message at a time: a
    /// worker takes the next message only when it is free, so no worker
    /// hoards work while another idles.
    Balancing,
}

/// What `tell` does when there is no room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Wait for room (the default): backpressure to the caller. With
    /// round-robin, random and smallest-mailbox routing the pool first
    /// tries every other worker, so `tell` waits only when all are full.
    #[default]
    Backpressure,
    /// Refuse the new message ([`PoolError::Full`](super::PoolError::Full)
    /// gives it back) and count it in [`PoolStats::discarded`](super::PoolStats).
    DropNewest,
    /// Balancing only: drop the oldest waiting message to make room (its
    /// asker, if any, gets an error), and count it. With the other
    /// routings a worker's mailbox cannot be trimmed from outside, so this
    /// acts as [`DropNewest`](Self::DropNewest).
    DropOldest,
}
