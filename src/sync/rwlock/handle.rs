//! The [`RwLock`] handle: requests carry a fresh grant id, and a request
//! future dropped before its answer sends `GaveUp(id)` so the actor drops
//! the waiter at once.

use std::fmt;
use std::time::Duration;

use super::{
    GaveUp, Read, RwLockActor, RwLockError, RwLockOptions, RwLockReadGuard, RwLockStatus,
    RwLockUpgradableGuard, RwLockWriteGuard, Status, Try, TryGrant, TryKind, UpgradableRead, Write,
    next_id,
};
use crate::{Addr, Handler, Message, ReplyTo, rt};

/// Sends `GaveUp` if the request future is dropped before its answer.
struct GaveUpOnDrop<'a> {
    addr: &'a Addr<RwLockActor>,
    id: u64,
    armed: bool,
}

impl Drop for GaveUpOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.addr.tell_urgent(GaveUp(self.id));
        }
    }
}

/// A handle to an rwlock actor: many readers or one writer, FIFO between
/// them, cancellation-safe.
///
/// ```
/// use retinue::sync::RwLock;
/// # retinue::rt::block_on(async {
/// let rw = RwLock::new();
/// let reader = rw.read().await.unwrap();
/// // a writer must wait for the reader
/// assert!(rw.try_write().await.is_err());
/// drop(reader);
/// let _writer = rw.write().await.unwrap();
/// # });
/// ```
#[derive(Clone)]
pub struct RwLock {
    addr: Addr<RwLockActor>,
}

impl RwLock {
    /// Spawns an rwlock actor.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let rw = retinue::sync::RwLock::new();
    /// assert_eq!(rw.status().await.unwrap(), Default::default());
    /// # });
    /// ```
    pub fn new() -> Self {
        Self::with_options(RwLockOptions::default())
    }

    /// Spawns an rwlock actor with these options.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use retinue::sync::{RwLock, RwLockError, RwLockOptions};
    /// # retinue::rt::block_on(async {
    /// let one = NonZeroUsize::new(1).unwrap();
    /// let rw = RwLock::with_options(RwLockOptions::default().with_max_readers(one));
    /// let _r = rw.read().await.unwrap();
    /// assert_eq!(rw.try_read().await.unwrap_err(), RwLockError::WouldBlock); // capped
    /// # });
    /// ```
    pub fn with_options(options: RwLockOptions) -> Self {
        Self::from_addr(crate::spawn(RwLockActor::new(options)))
    }

    /// A handle to an existing rwlock actor.
    ///
    /// ```
    /// use retinue::sync::{RwLock, RwLockActor, RwLockOptions};
    /// # retinue::rt::block_on(async {
    /// let addr = retinue::spawn(RwLockActor::new(RwLockOptions::default()));
    /// let (a, b) = (RwLock::from_addr(addr.clone()), RwLock::from_addr(addr));
    /// let _w = a.write().await.unwrap();
    /// assert!(b.status().await.unwrap().writer); // one rwlock, two handles
    /// # });
    /// ```
    pub fn from_addr(addr: Addr<RwLockActor>) -> Self {
        RwLock { addr }
    }

    /// The actor's address.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let rw = retinue::sync::RwLock::new();
    /// assert!(rw.addr().is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<RwLockActor> {
        &self.addr
    }

    async fn request<G: Send + 'static, M: Message>(
        &self,
        make: impl FnOnce(u64, ReplyTo<G>) -> M,
    ) -> Result<G, RwLockError>
    where
        RwLockActor: Handler<M>,
    {
        let id = next_id();
        let mut notice = GaveUpOnDrop {
            addr: &self.addr,
            id,
            armed: true,
        };
        let result = self.addr.ask_with(|port| make(id, port)).await;
        notice.armed = false;
        Ok(result?)
    }

    /// Waits for a read grant (behind any queued writer).
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let rw = retinue::sync::RwLock::new();
    /// let (a, b) = (rw.read().await.unwrap(), rw.read().await.unwrap());
    /// assert_eq!(rw.status().await.unwrap().readers, 2); // readers share
    /// # drop((a, b));
    /// # });
    /// ```
    pub async fn read(&self) -> Result<RwLockReadGuard, RwLockError> {
        self.request(Read).await
    }

    /// Waits for the write grant.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let rw = retinue::sync::RwLock::new();
    /// let w = rw.write().await.unwrap();
    /// assert!(rw.try_read().await.is_err()); // a writer is alone
    /// drop(w);
    /// assert!(rw.try_read().await.is_ok());
    /// # });
    /// ```
    pub async fn write(&self) -> Result<RwLockWriteGuard, RwLockError> {
        self.request(Write).await
    }

    /// Waits for the upgradable read grant (at most one holder).
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let rw = retinue::sync::RwLock::new();
    /// let up = rw.upgradable_read().await.unwrap();
    /// let r = rw.read().await.unwrap(); // readers may join
    /// assert!(rw.try_upgradable_read().await.is_err()); // but only one upgradable
    /// # drop((up, r));
    /// # });
    /// ```
    pub async fn upgradable_read(&self) -> Result<RwLockUpgradableGuard, RwLockError> {
        self.request(UpgradableRead).await
    }

    /// [`read`](Self::read) with a deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RwLock, RwLockError};
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let _w = rw.write().await.unwrap();
    /// let r = rw.read_timeout(Duration::from_millis(5)).await;
    /// assert_eq!(r.unwrap_err(), RwLockError::Timeout);
    /// assert_eq!(rw.status().await.unwrap().queued, 0);
    /// # });
    /// ```
    pub async fn read_timeout(&self, timeout: Duration) -> Result<RwLockReadGuard, RwLockError> {
        rt::timeout(timeout, self.read())
            .await
            .unwrap_or(Err(RwLockError::Timeout))
    }

    /// [`write`](Self::write) with a deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RwLock, RwLockError};
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let _r = rw.read().await.unwrap();
    /// let w = rw.write_timeout(Duration::from_millis(5)).await;
    /// assert_eq!(w.unwrap_err(), RwLockError::Timeout);
    /// # });
    /// ```
    pub async fn write_timeout(&self, timeout: Duration) -> Result<RwLockWriteGuard, RwLockError> {
        rt::timeout(timeout, self.write())
            .await
            .unwrap_or(Err(RwLockError::Timeout))
    }

    /// [`upgradable_read`](Self::upgradable_read) with a deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RwLock, RwLockError};
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let _up = rw.upgradable_read().await.unwrap();
    /// let other = rw.upgradable_read_timeout(Duration::from_millis(5)).await;
    /// assert_eq!(other.unwrap_err(), RwLockError::Timeout);
    /// # });
    /// ```
    pub async fn upgradable_read_timeout(
        &self,
        timeout: Duration,
    ) -> Result<RwLockUpgradableGuard, RwLockError> {
        rt::timeout(timeout, self.upgradable_read())
            .await
            .unwrap_or(Err(RwLockError::Timeout))
    }

    /// A read grant if one can be had at once with nobody queued.
    ///
    /// ```
    /// use retinue::sync::{RwLock, RwLockError};
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let w = rw.write().await.unwrap();
    /// assert_eq!(rw.try_read().await.unwrap_err(), RwLockError::WouldBlock);
    /// drop(w);
    /// assert!(rw.try_read().await.is_ok());
    /// # });
    /// ```
    pub async fn try_read(&self) -> Result<RwLockReadGuard, RwLockError> {
        match self.addr.ask(Try(TryKind::Read)).await?? {
            TryGrant::Read(g) => Ok(g),
            _ => Err(RwLockError::WouldBlock),
        }
    }

    /// The write grant if it can be had at once with nobody queued.
    ///
    /// ```
    /// use retinue::sync::{RwLock, RwLockError};
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let r = rw.read().await.unwrap();
    /// assert_eq!(rw.try_write().await.unwrap_err(), RwLockError::WouldBlock);
    /// drop(r);
    /// assert!(rw.try_write().await.is_ok());
    /// # });
    /// ```
    pub async fn try_write(&self) -> Result<RwLockWriteGuard, RwLockError> {
        match self.addr.ask(Try(TryKind::Write)).await?? {
            TryGrant::Write(g) => Ok(g),
            _ => Err(RwLockError::WouldBlock),
        }
    }

    /// The upgradable read grant if it can be had at once.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let rw = retinue::sync::RwLock::new();
    /// let up = rw.try_upgradable_read().await.unwrap();
    /// assert!(rw.try_upgradable_read().await.is_err());
    /// # drop(up);
    /// # });
    /// ```
    pub async fn try_upgradable_read(&self) -> Result<RwLockUpgradableGuard, RwLockError> {
        match self.addr.ask(Try(TryKind::Upgradable)).await?? {
            TryGrant::Upgradable(g) => Ok(g),
            _ => Err(RwLockError::WouldBlock),
        }
    }

    /// Who holds what and how many wait.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let rw = retinue::sync::RwLock::new();
    /// let _r = rw.read().await.unwrap();
    /// let s = rw.status().await.unwrap();
    /// assert_eq!((s.readers, s.writer, s.queued, s.entries), (1, false, 0, 0));
    /// # });
    /// ```
    pub async fn status(&self) -> Result<RwLockStatus, RwLockError> {
        Ok(self.addr.ask(Status).await?)
    }
}

impl Default for RwLock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RwLock").field(&self.addr).finish()
    }
}
