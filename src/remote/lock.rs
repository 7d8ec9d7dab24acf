//! [`RemoteLock`]: a mutual-exclusion lock across processes and machines,
//! on a JetStream key-value bucket.
//!
//! Invariants:
//! - a lock is one key in its own bucket; holding it is having created the
//!   key (`create` succeeds only when the key is absent, deleted or
//!   expired: the compare-and-set of the server);
//! - the fencing token is the key's revision, a stream sequence: strictly
//!   increasing across every grant of the lock, on every node, and across
//!   restarts of the server (JetStream keeps the stream);
//! - the lease is the bucket's `max_age`: a holder that crashes (or keeps
//!   the lock too long) loses it when the value expires, without anyone's
//!   help; its guard's token then stops being current and its release
//!   is reported [`RemoteErrorKind::Stale`];
//! - waiters watch the key and retry on a delete, and at least every
//!   quarter lease (expiry leaves no event on servers before 2.11); who
//!   wins among waiters is first come, first served at the server, not a
//!   strict queue ("FIFO-ish");
//! - a guard dropped without `release` releases in the background (like a
//!   local guard's drop); a release with a stale token changes nothing.

use std::fmt;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv, stream};
use futures_lite::StreamExt;

use super::error::{RemoteError, RemoteErrorKind};
use super::node::{Node, check_token};
use super::streams;
use crate::rt;

const KEY: &str = "holder";

/// Settings of a [`RemoteLock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteLockOptions {
    /// How long a grant lasts at most (the bucket's max age). Every node
    /// opening the lock must use the same lease.
    pub lease: Duration,
}

impl Default for RemoteLockOptions {
    fn default() -> Self {
        RemoteLockOptions {
            lease: Duration::from_secs(30),
        }
    }
}

/// A lock shared by every node that opens the same name. Same handle API
/// as the local [`Lock`](crate::sync::Lock): `acquire`, `try_acquire`,
/// `acquire_timeout`, `is_locked`, `holder_token`; guards with `token`,
/// `is_current` and `release`.
#[derive(Clone)]
pub struct RemoteLock {
    kv: kv::Store,
    name: String,
    node_name: String,
    lease: Duration,
}

impl Node {
    /// Opens (creating if needed) the cross-machine lock `name`.
    pub async fn lock(
        &self,
        name: &str,
        options: RemoteLockOptions,
    ) -> Result<RemoteLock, RemoteError> {
        check_token("lock name", name)?;
        let bucket = format!("{}_lock_{name}", self.options().prefix);
        let kv = open_bucket(self.client(), &bucket, options.lease, true).await?;
        Ok(RemoteLock {
            kv,
            name: name.to_string(),
            node_name: self.name().to_string(),
            lease: options.lease,
        })
    }
}

/// Creates the bucket's stream by hand (`KV_<bucket>`): async-nats's
/// `create_key_value` asks the account for fields servers before 2.10 do
/// not send. Opening with `get_key_value` works on every server.
/// `direct`: reads go to any replica's direct-get endpoint (fast, but the
/// endpoint may lag a freshly created stream by a moment; a bucket read
/// right after its creation by several nodes at once sets it `false`).
pub(crate) async fn open_bucket(
    client: &async_nats::Client,
    bucket: &str,
    max_age: Duration,
    direct: bool,
) -> Result<kv::Store, RemoteError> {
    let js = jetstream::new(client.clone());
    let config = stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age,
        duplicate_window: max_age.min(Duration::from_secs(120)),
        discard: stream::DiscardPolicy::New,
        allow_rollup: true,
        deny_delete: true,
        deny_purge: false,
        allow_direct: direct,
        num_replicas: 1,
        ..Default::default()
    };
    streams::get_or_create(&js, config, &format!("the bucket {bucket}")).await?;
    Box::pin(js.get_key_value(bucket))
        .await
        .map_err(|e| RemoteError::jetstream(&format!("cannot open the bucket {bucket}"), e))
}

impl RemoteLock {
    /// Waits until the lock is granted.
    pub async fn acquire(&self) -> Result<RemoteLockGuard, RemoteError> {
        loop {
            if let Some(guard) = self.try_create().await? {
                return Ok(guard);
            }
            self.wait_for_release().await?;
        }
    }

    /// Grants now or fails with [`RemoteErrorKind::WouldBlock`].
    pub async fn try_acquire(&self) -> Result<RemoteLockGuard, RemoteError> {
        self.try_create().await?.ok_or_else(|| {
            RemoteError::new(
                RemoteErrorKind::WouldBlock,
                format!("lock {:?} is held", self.name),
            )
        })
    }

    /// Waits at most `timeout` ([`RemoteErrorKind::Timeout`]).
    pub async fn acquire_timeout(&self, timeout: Duration) -> Result<RemoteLockGuard, RemoteError> {
        rt::timeout(timeout, Box::pin(self.acquire()))
            .await
            .unwrap_or_else(|_| {
                Err(RemoteError::new(
                    RemoteErrorKind::Timeout,
                    format!("lock {:?} not granted within {timeout:?}", self.name),
                ))
            })
    }

    /// Whether someone holds the lock now.
    pub async fn is_locked(&self) -> Result<bool, RemoteError> {
        Ok(self.holder_token().await?.is_some())
    }

    /// The current holder's fencing token.
    pub async fn holder_token(&self) -> Result<Option<u64>, RemoteError> {
        let entry = Box::pin(self.kv.entry(KEY))
            .await
            .map_err(|e| RemoteError::jetstream("cannot read the lock", e))?;
        Ok(entry
            .filter(|e| e.operation == kv::Operation::Put)
            .map(|e| e.revision))
    }

    /// The lease every grant has.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    async fn try_create(&self) -> Result<Option<RemoteLockGuard>, RemoteError> {
        match Box::pin(self.kv.create(KEY, self.node_name.clone().into())).await {
            Ok(token) => Ok(Some(RemoteLockGuard {
                lock: self.clone(),
                token,
                armed: true,
            })),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(RemoteError::jetstream("cannot take the lock", e)),
        }
    }

    /// Returns when a retry may succeed: a delete seen on the watch, the
    /// key found free, or a quarter lease gone by (expiry has no event).
    async fn wait_for_release(&self) -> Result<(), RemoteError> {
        let mut watch = Box::pin(self.kv.watch(KEY))
            .await
            .map_err(|e| RemoteError::jetstream("cannot watch the lock", e))?;
        if self.holder_token().await?.is_none() {
            return Ok(());
        }
        let poll = (self.lease / 4).max(Duration::from_millis(20));
        let deadline = Instant::now() + poll;
        let released = async {
            while let Some(Ok(entry)) = watch.next().await {
                if entry.operation != kv::Operation::Put {
                    return;
                }
            }
        };
        let _ = rt::timeout(deadline.saturating_duration_since(Instant::now()), released).await;
        Ok(())
    }
}

impl fmt::Debug for RemoteLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteLock")
            .field("name", &self.name)
            .finish()
    }
}

/// A grant of a [`RemoteLock`]. Its [`token`](RemoteLockGuard::token) is
/// the fencing token to hand to the resource the lock protects.
#[must_use = "the lock is released when the guard is dropped"]
pub struct RemoteLockGuard {
    lock: RemoteLock,
    token: u64,
    armed: bool,
}

impl RemoteLockGuard {
    /// The fencing token (the key's revision).
    pub fn token(&self) -> u64 {
        self.token
    }

    /// Whether this grant is still the current one (its lease has not
    /// run out and nobody took the lock since).
    pub async fn is_current(&self) -> Result<bool, RemoteError> {
        Ok(self.lock.holder_token().await? == Some(self.token))
    }

    /// Releases and says whether the grant was still current
    /// ([`RemoteErrorKind::Stale`] when its lease had run out).
    pub async fn release(mut self) -> Result<(), RemoteError> {
        self.armed = false;
        release(&self.lock, self.token).await
    }
}

async fn release(lock: &RemoteLock, token: u64) -> Result<(), RemoteError> {
    match Box::pin(lock.kv.delete_expect_revision(KEY, Some(token))).await {
        Ok(()) => Ok(()),
        Err(e) => match lock.holder_token().await {
            Ok(Some(current)) if current == token => {
                Err(RemoteError::jetstream("cannot release", e))
            }
            _ => Err(RemoteError::new(
                RemoteErrorKind::Stale,
                format!("token {token} of lock {:?} is no longer current", lock.name),
            )),
        },
    }
}

impl Drop for RemoteLockGuard {
    fn drop(&mut self) {
        if self.armed {
            let lock = self.lock.clone();
            let token = self.token;
            rt::spawn_detached(async move {
                let _ = release(&lock, token).await;
            });
        }
    }
}

impl fmt::Debug for RemoteLockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteLockGuard")
            .field("lock", &self.lock.name)
            .field("token", &self.token)
            .finish()
    }
}
