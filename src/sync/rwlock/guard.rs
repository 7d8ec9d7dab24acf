//! The rwlock's grants: read, write and upgradable guards.
//!
//! Invariants:
//! - a guard owns exactly one grant id; dropping it sends `Release(id)` on
//!   the control lane unless the grant was handed on (downgrade keeps the
//!   id, a successful upgrade disarms the upgradable guard because the
//!   write guard now owns the id);
//! - releasing an id twice is harmless: ids are never reused.

use std::fmt;

use super::{Downgrade, DowngradeToUpgradable, Release, RwLockActor, TryUpgrade, Upgrade};
use crate::sync::RwLockError;
use crate::{Addr, Context, Handler, Message};

/// One grant; releases itself on drop unless disarmed.
pub(super) struct Grant {
    pub(super) id: u64,
    addr: Option<Addr<RwLockActor>>,
}

impl Grant {
    pub(super) fn new(id: u64, ctx: &Context<RwLockActor>) -> Self {
        Grant {
            id,
            addr: Some(ctx.addr()),
        }
    }

    pub(super) fn disarm(mut self) {
        self.addr = None;
    }

    /// The same grant under a new guard, after telling the actor what it
    /// becomes (`msg(id)`, control lane); this guard no longer releases.
    fn hand_on<M: Message>(&mut self, msg: impl FnOnce(u64) -> M) -> Grant
    where
        RwLockActor: Handler<M>,
    {
        let addr = self.addr.take();
        if let Some(addr) = &addr {
            let _ = addr.tell_urgent(msg(self.id));
        }
        Grant { id: self.id, addr }
    }
}

impl Drop for Grant {
    fn drop(&mut self) {
        if let Some(addr) = self.addr.take() {
            let _ = addr.tell_urgent(Release(self.id));
        }
    }
}

/// A read grant; dropping it releases it.
///
/// ```
/// use retinue::sync::RwLock;
/// # retinue::rt::block_on(async {
/// let rw = RwLock::new();
/// let reader = rw.read().await.unwrap();
/// assert!(rw.try_write().await.is_err());
/// drop(reader); // released through the control lane
/// assert!(rw.try_write().await.is_ok());
/// # });
/// ```
#[must_use = "the grant is released as soon as the guard is dropped"]
pub struct RwLockReadGuard(pub(super) Grant);

/// A write grant; dropping it releases it.
///
/// ```
/// use retinue::sync::RwLock;
/// # retinue::rt::block_on(async {
/// let rw = RwLock::new();
/// let w = rw.write().await.unwrap();
/// let r = w.downgrade(); // still excludes writers, now admits readers
/// assert!(rw.try_read().await.is_ok());
/// assert!(rw.try_write().await.is_err());
/// drop(r);
/// # });
/// ```
#[must_use = "the grant is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard(pub(super) Grant);

/// An upgradable read grant: coexists with readers, excludes writers and
/// other upgradable readers, and can become a write grant.
///
/// ```
/// use retinue::sync::RwLock;
/// # retinue::rt::block_on(async {
/// let rw = RwLock::new();
/// let up = rw.upgradable_read().await.unwrap();
/// let reader = rw.read().await.unwrap(); // coexists with readers
/// drop(reader);
/// let _writer = up.upgrade().await.unwrap();
/// # });
/// ```
#[must_use = "the grant is released as soon as the guard is dropped"]
pub struct RwLockUpgradableGuard(pub(super) Grant);

impl RwLockReadGuard {
    pub(super) fn new(id: u64, ctx: &Context<RwLockActor>) -> Self {
        RwLockReadGuard(Grant::new(id, ctx))
    }
}

impl RwLockWriteGuard {
    pub(super) fn new(id: u64, ctx: &Context<RwLockActor>) -> Self {
        RwLockWriteGuard(Grant::new(id, ctx))
    }

    /// Turns this write grant into a read grant atomically (no writer can
    /// slip in between); readers queued behind are admitted.
    ///
    /// ```
    /// use retinue::sync::RwLock;
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let w = rw.write().await.unwrap();
    /// let r = w.downgrade();
    /// let s = rw.status().await.unwrap();
    /// assert_eq!((s.readers, s.writer), (1, false));
    /// # drop(r);
    /// # });
    /// ```
    pub fn downgrade(mut self) -> RwLockReadGuard {
        RwLockReadGuard(self.0.hand_on(Downgrade))
    }

    /// Turns this write grant into an upgradable read grant atomically:
    /// readers queued behind are admitted, no writer can slip in, and the
    /// grant can be upgraded again.
    ///
    /// ```
    /// use retinue::sync::RwLock;
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let w = rw.write().await.unwrap();
    /// let up = w.downgrade_to_upgradable();
    /// let reader = rw.read().await.unwrap(); // readers may join now
    /// assert!(rw.status().await.unwrap().upgradable);
    /// drop(reader);
    /// let _w = up.upgrade().await.unwrap();
    /// # });
    /// ```
    pub fn downgrade_to_upgradable(mut self) -> RwLockUpgradableGuard {
        RwLockUpgradableGuard(self.0.hand_on(DowngradeToUpgradable))
    }
}

impl RwLockUpgradableGuard {
    pub(super) fn new(id: u64, ctx: &Context<RwLockActor>) -> Self {
        RwLockUpgradableGuard(Grant::new(id, ctx))
    }

    /// Waits until the other readers have left and turns this grant into a
    /// write grant. New readers queue behind the upgrade. Dropping the
    /// future releases the upgradable grant.
    ///
    /// ```
    /// use retinue::sync::RwLock;
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let up = rw.upgradable_read().await.unwrap();
    /// let w = up.upgrade().await.unwrap();
    /// assert!(rw.status().await.unwrap().writer);
    /// # drop(w);
    /// # });
    /// ```
    pub async fn upgrade(self) -> Result<RwLockWriteGuard, RwLockError> {
        let Some(addr) = self.0.addr.clone() else {
            return Err(RwLockError::Stale);
        };
        let id = self.0.id;
        match addr.ask_with(|port| Upgrade(id, port)).await {
            Ok(Ok(write)) => {
                self.0.disarm();
                Ok(write)
            }
            Ok(Err(e)) => Err(e),
            Err(e) => Err(e.into()),
        }
    }

    /// Turns this grant into a write grant if no other reader holds one
    /// right now; otherwise gives the grant back with
    /// [`RwLockError::WouldBlock`] (or the error that kept the actor from
    /// answering). Never waits for the readers.
    ///
    /// ```
    /// use retinue::sync::{RwLock, RwLockError};
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let up = rw.upgradable_read().await.unwrap();
    /// let reader = rw.read().await.unwrap();
    /// let (up, err) = up.try_upgrade().await.unwrap_err();
    /// assert_eq!(err, RwLockError::WouldBlock);
    /// drop(reader);
    /// let _w = up.try_upgrade().await.map_err(|(_, e)| e).unwrap();
    /// assert!(rw.status().await.unwrap().writer);
    /// # });
    /// ```
    pub async fn try_upgrade(self) -> Result<RwLockWriteGuard, (Self, RwLockError)> {
        let Some(addr) = self.0.addr.clone() else {
            return Err((self, RwLockError::Stale));
        };
        match addr.ask(TryUpgrade(self.0.id)).await {
            Ok(Ok(write)) => {
                self.0.disarm();
                Ok(write)
            }
            Ok(Err(e)) => Err((self, e)),
            Err(e) => Err((self, e.into())),
        }
    }

    /// [`upgrade`](Self::upgrade) with a deadline. On
    /// [`RwLockError::Timeout`] the upgradable grant has been released.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{RwLock, RwLockError};
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let up = rw.upgradable_read().await.unwrap();
    /// let reader = rw.read().await.unwrap(); // keeps the upgrade waiting
    /// let late = up.upgrade_timeout(Duration::from_millis(5)).await;
    /// assert_eq!(late.unwrap_err(), RwLockError::Timeout);
    /// assert!(!rw.status().await.unwrap().upgradable); // released
    /// # drop(reader);
    /// # });
    /// ```
    pub async fn upgrade_timeout(
        self,
        timeout: std::time::Duration,
    ) -> Result<RwLockWriteGuard, RwLockError> {
        crate::rt::timeout(timeout, self.upgrade())
            .await
            .unwrap_or(Err(RwLockError::Timeout))
    }

    /// Turns this grant into a plain read grant, letting another upgradable
    /// reader (or a queued one) in.
    ///
    /// ```
    /// use retinue::sync::RwLock;
    /// # retinue::rt::block_on(async {
    /// let rw = RwLock::new();
    /// let up = rw.upgradable_read().await.unwrap();
    /// let r = up.downgrade();
    /// let other = rw.try_upgradable_read().await.unwrap(); // the slot is free again
    /// # drop((r, other));
    /// # });
    /// ```
    pub fn downgrade(mut self) -> RwLockReadGuard {
        RwLockReadGuard(self.0.hand_on(Downgrade))
    }
}

macro_rules! guard_debug {
    ($($t:ident),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t)).field("id", &self.0.id).finish()
            }
        }
    )*};
}
guard_debug!(RwLockReadGuard, RwLockWriteGuard, RwLockUpgradableGuard);
