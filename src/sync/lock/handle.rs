//! The [`Lock`] handle: cheap to clone, FIFO-fair, cancellation-safe.

use std::fmt;
use std::time::Duration;

use super::{Acquire, LockActor, LockGuard, LockOptions, LockStatus, Status, Sweep, TryAcquire};
use crate::sync::LockError;
use crate::sync::cancel_sweep::ask_swept;
use crate::{Addr, rt};

/// A handle to a lock actor: cheap to clone, FIFO-fair, cancellation-safe.
///
/// Like `asyncio.Lock`, but every grant carries a fencing token and the
/// lock can have a lease.
///
/// ```
/// use retinue::sync::Lock;
/// # retinue::rt::block_on(async {
/// let lock = Lock::new();
/// let guard = lock.acquire().await.unwrap();
/// assert_eq!(lock.holder_token().await.unwrap(), Some(guard.token()));
/// drop(guard); // released through the control lane
/// assert!(lock.try_acquire().await.is_ok());
/// # });
/// ```
#[derive(Clone)]
pub struct Lock {
    addr: Addr<LockActor>,
}

impl Lock {
    /// Spawns a plain lock actor (no lease).
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let lock = retinue::sync::Lock::new();
    /// assert!(!lock.is_locked().await.unwrap());
    /// # });
    /// ```
    pub fn new() -> Self {
        Self::with_options(LockOptions::default())
    }

    /// Spawns a lock actor with these options.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{Lock, LockOptions};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::with_options(LockOptions { lease: Some(Duration::from_secs(30)) });
    /// let _guard = lock.acquire().await.unwrap(); // taken away after 30 s
    /// # });
    /// ```
    pub fn with_options(options: LockOptions) -> Self {
        Self::from_addr(crate::spawn(LockActor::new(options)))
    }

    /// A handle to an existing lock actor (for example one a supervisor owns).
    ///
    /// ```
    /// use retinue::sync::{Lock, LockActor, LockOptions};
    /// # retinue::rt::block_on(async {
    /// let addr = retinue::spawn(LockActor::new(LockOptions::default()));
    /// let lock = Lock::from_addr(addr.clone());
    /// let other = Lock::from_addr(addr); // the same lock
    /// let _held = lock.acquire().await.unwrap();
    /// assert!(other.is_locked().await.unwrap());
    /// # });
    /// ```
    pub fn from_addr(addr: Addr<LockActor>) -> Self {
        Lock { addr }
    }

    /// The actor's address.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let lock = retinue::sync::Lock::new();
    /// assert!(lock.addr().is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<LockActor> {
        &self.addr
    }

    /// Waits for the lock. Dropping this future at any point loses
    /// nothing: the abandoned waiter is removed at once, and a grant that
    /// arrives after the drop releases itself.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::Lock;
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let held = lock.acquire().await.unwrap();
    /// // a waiter that gives up leaves no entry behind
    /// assert!(lock.acquire_timeout(Duration::from_millis(1)).await.is_err());
    /// assert_eq!(lock.status().await.unwrap().entries, 0);
    /// drop(held);
    /// # });
    /// ```
    pub async fn acquire(&self) -> Result<LockGuard, LockError> {
        Ok(ask_swept(&self.addr, Acquire, Sweep).await?)
    }

    /// The lock if it is free and nobody is queued, else
    /// [`LockError::WouldBlock`].
    ///
    /// ```
    /// use retinue::sync::{Lock, LockError};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let held = lock.try_acquire().await.unwrap();
    /// assert_eq!(lock.try_acquire().await.unwrap_err(), LockError::WouldBlock);
    /// drop(held);
    /// # });
    /// ```
    pub async fn try_acquire(&self) -> Result<LockGuard, LockError> {
        self.addr.ask(TryAcquire).await?
    }

    /// [`acquire`](Self::acquire) with a deadline ([`LockError::Timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{Lock, LockError};
    /// # retinue::rt::block_on(async {
    /// let lock = Lock::new();
    /// let _held = lock.acquire().await.unwrap();
    /// let late = lock.acquire_timeout(Duration::from_millis(5)).await;
    /// assert_eq!(late.unwrap_err(), LockError::Timeout);
    /// assert_eq!(lock.queue_len().await.unwrap(), 0); // the waiter left no trace
    /// # });
    /// ```
    pub async fn acquire_timeout(&self, timeout: Duration) -> Result<LockGuard, LockError> {
        rt::timeout(timeout, self.acquire())
            .await
            .unwrap_or(Err(LockError::Timeout))
    }

    /// Whether the lock is held.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let lock = retinue::sync::Lock::new();
    /// let guard = lock.acquire().await.unwrap();
    /// assert!(lock.is_locked().await.unwrap());
    /// drop(guard);
    /// assert!(!lock.is_locked().await.unwrap());
    /// # });
    /// ```
    pub async fn is_locked(&self) -> Result<bool, LockError> {
        Ok(self.status().await?.locked)
    }

    /// The current holder's fencing token.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let lock = retinue::sync::Lock::new();
    /// assert_eq!(lock.holder_token().await.unwrap(), None);
    /// let guard = lock.acquire().await.unwrap();
    /// assert_eq!(lock.holder_token().await.unwrap(), Some(guard.token()));
    /// # });
    /// ```
    pub async fn holder_token(&self) -> Result<Option<u64>, LockError> {
        Ok(self.status().await?.holder)
    }

    /// How many live waiters are queued.
    ///
    /// ```
    /// use std::time::Duration;
    /// # retinue::rt::block_on(async {
    /// let lock = retinue::sync::Lock::new();
    /// let held = lock.acquire().await.unwrap();
    /// let waiter = {
    ///     let lock = lock.clone();
    ///     retinue::rt::spawn(async move { lock.acquire().await })
    /// };
    /// while lock.queue_len().await.unwrap() < 1 {
    ///     retinue::rt::sleep(Duration::from_millis(1)).await;
    /// }
    /// drop(held);
    /// assert!(waiter.await.unwrap().is_ok());
    /// # });
    /// ```
    pub async fn queue_len(&self) -> Result<usize, LockError> {
        Ok(self.status().await?.queued)
    }

    /// Everything above in one round trip.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let lock = retinue::sync::Lock::new();
    /// let s = lock.status().await.unwrap();
    /// assert!(!s.locked && s.queued == 0 && s.entries == 0);
    /// # });
    /// ```
    pub async fn status(&self) -> Result<LockStatus, LockError> {
        Ok(self.addr.ask(Status).await?)
    }
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Lock").field(&self.addr).finish()
    }
}
