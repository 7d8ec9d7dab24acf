//! The [`Semaphore`] handle: a clonable address with the waits as methods.

use std::time::Duration;

use super::{
    Acquire, Release, SemaphoreActor, SemaphoreError, SemaphoreOptions, SemaphorePermit,
    SemaphoreStatus, Status, Sweep, TryAcquire,
};
use crate::Addr;
use crate::sync::cancel_sweep::ask_swept;

/// A clonable handle to a semaphore actor.
///
/// ```
/// use retinue::sync::{Semaphore, SemaphoreError};
///
/// # retinue::rt::block_on(async {
/// let sem = Semaphore::new(2);
/// let a = sem.acquire(1).await.unwrap();
/// let b = sem.acquire(1).await.unwrap();
/// assert_eq!(sem.try_acquire(1).await.unwrap_err(), SemaphoreError::WouldBlock);
/// drop(a); // released through the control lane
/// let c = sem.acquire(1).await.unwrap();
/// assert_eq!(sem.available().await, Ok(0));
/// # drop((b, c));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Semaphore {
    addr: Addr<SemaphoreActor>,
}

impl Semaphore {
    /// Spawns an unbounded-mode semaphore with `permits` free permits.
    ///
    /// ```
    /// use retinue::sync::Semaphore;
    /// # retinue::rt::block_on(async {
    /// let sem = Semaphore::new(0);
    /// sem.release(5).await.unwrap(); // unbounded mode: may grow past its start
    /// assert_eq!(sem.available().await, Ok(5));
    /// # });
    /// ```
    pub fn new(permits: usize) -> Self {
        Self::with_options(SemaphoreOptions {
            permits,
            bounded: false,
        })
    }

    /// Spawns a bounded semaphore: releases beyond `permits` are rejected.
    ///
    /// ```
    /// use retinue::sync::{Semaphore, SemaphoreError};
    /// # retinue::rt::block_on(async {
    /// let sem = Semaphore::bounded(1);
    /// assert_eq!(sem.release(1).await, Err(SemaphoreError::Overflow));
    /// # });
    /// ```
    pub fn bounded(permits: usize) -> Self {
        Self::with_options(SemaphoreOptions {
            permits,
            bounded: true,
        })
    }

    /// Spawns a semaphore with these options.
    ///
    /// ```
    /// use retinue::sync::{Semaphore, SemaphoreOptions};
    /// # retinue::rt::block_on(async {
    /// let sem = Semaphore::with_options(SemaphoreOptions { permits: 4, bounded: true });
    /// assert_eq!(sem.available().await, Ok(4));
    /// # });
    /// ```
    pub fn with_options(opts: SemaphoreOptions) -> Self {
        Self::from_addr(crate::spawn(SemaphoreActor::new(opts)))
    }

    /// Wraps the address of an existing (e.g. supervised) semaphore actor.
    ///
    /// ```
    /// use retinue::sync::{Semaphore, SemaphoreActor, SemaphoreOptions};
    /// # retinue::rt::block_on(async {
    /// let addr = retinue::spawn(SemaphoreActor::new(SemaphoreOptions::default()));
    /// let (a, b) = (Semaphore::from_addr(addr.clone()), Semaphore::from_addr(addr));
    /// let _p = a.acquire(1).await.unwrap();
    /// assert_eq!(b.available().await, Ok(0)); // one semaphore
    /// # });
    /// ```
    pub fn from_addr(addr: Addr<SemaphoreActor>) -> Self {
        Semaphore { addr }
    }

    /// The actor's address.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// assert!(retinue::sync::Semaphore::new(1).addr().is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<SemaphoreActor> {
        &self.addr
    }

    /// Waits (FIFO) for `n` permits.
    ///
    /// ```
    /// use retinue::sync::Semaphore;
    /// # retinue::rt::block_on(async {
    /// let sem = Semaphore::new(1);
    /// let first = sem.acquire(1).await.unwrap();
    /// let second = {
    ///     let sem = sem.clone();
    ///     retinue::rt::spawn(async move { sem.acquire(1).await })
    /// };
    /// drop(first); // FIFO: the queued waiter gets the permit
    /// assert_eq!(second.await.unwrap().unwrap().permits(), 1);
    /// # });
    /// ```
    pub async fn acquire(&self, n: usize) -> Result<SemaphorePermit, SemaphoreError> {
        ask_swept(&self.addr, |port| Acquire { permits: n, port }, Sweep).await?
    }

    /// Takes `n` permits now, or fails with [`SemaphoreError::WouldBlock`].
    ///
    /// ```
    /// use retinue::sync::{Semaphore, SemaphoreError};
    /// # retinue::rt::block_on(async {
    /// let sem = Semaphore::new(2);
    /// let _two = sem.try_acquire(2).await.unwrap();
    /// assert_eq!(sem.try_acquire(1).await.unwrap_err(), SemaphoreError::WouldBlock);
    /// # });
    /// ```
    pub async fn try_acquire(&self, n: usize) -> Result<SemaphorePermit, SemaphoreError> {
        self.addr.ask(TryAcquire(n)).await?
    }

    /// [`acquire`](Self::acquire) with a deadline ([`SemaphoreError::Timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{Semaphore, SemaphoreError};
    /// # retinue::rt::block_on(async {
    /// let sem = Semaphore::new(0);
    /// let r = sem.acquire_timeout(1, Duration::from_millis(5)).await;
    /// assert_eq!(r.unwrap_err(), SemaphoreError::Timeout);
    /// assert_eq!(sem.status().await.unwrap().entries, 0); // nothing left behind
    /// # });
    /// ```
    pub async fn acquire_timeout(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<SemaphorePermit, SemaphoreError> {
        crate::rt::timeout(timeout, self.acquire(n))
            .await
            .unwrap_or(Err(SemaphoreError::Timeout))
    }

    /// Adds `n` permits (bounded mode: never beyond the initial count).
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let sem = retinue::sync::Semaphore::new(0);
    /// sem.release(2).await.unwrap();
    /// let _p = sem.acquire(2).await.unwrap();
    /// # });
    /// ```
    pub async fn release(&self, n: usize) -> Result<(), SemaphoreError> {
        self.addr.ask(Release(n)).await?
    }

    /// Permits free right now.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let sem = retinue::sync::Semaphore::new(3);
    /// let _p = sem.acquire(1).await.unwrap();
    /// assert_eq!(sem.available().await, Ok(2));
    /// # });
    /// ```
    pub async fn available(&self) -> Result<usize, SemaphoreError> {
        Ok(self.status().await?.available)
    }

    /// Whether an `acquire(1)` would wait: zero permits, or waiters queued.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let sem = retinue::sync::Semaphore::new(1);
    /// assert_eq!(sem.locked().await, Ok(false));
    /// let _p = sem.acquire(1).await.unwrap();
    /// assert_eq!(sem.locked().await, Ok(true));
    /// # });
    /// ```
    pub async fn locked(&self) -> Result<bool, SemaphoreError> {
        Ok(self.status().await?.locked)
    }

    /// A snapshot of the state.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let sem = retinue::sync::Semaphore::new(2);
    /// let s = sem.status().await.unwrap();
    /// assert_eq!((s.available, s.waiters, s.locked), (2, 0, false));
    /// # });
    /// ```
    pub async fn status(&self) -> Result<SemaphoreStatus, SemaphoreError> {
        Ok(self.addr.ask(Status).await?)
    }
}
