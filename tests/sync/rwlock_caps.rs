//! RwLock capabilities: a reader cap, `try_upgrade`, and the write ->
//! upgradable downgrade.

use crate::common;

use std::num::NonZeroUsize;

use common::cancel::run;
use common::wait::{LONG, wait_until};
use retinue::rt;
use retinue::sync::{RwLock, RwLockError, RwLockOptions};

fn capped(n: usize) -> RwLock {
    RwLock::with_options(RwLockOptions::default().with_max_readers(NonZeroUsize::new(n).unwrap()))
}

async fn queued(rw: &RwLock, n: usize) {
    wait_until(&format!("{n} queued"), || async {
        rw.status().await.unwrap().queued == n
    })
    .await;
}

#[test]
fn readers_beyond_the_cap_queue_fifo_and_the_upgradable_counts() {
    run(async {
        let rw = capped(2);
        let r1 = rw.read().await.unwrap();
        let up = rw.upgradable_read().await.unwrap();
        assert_eq!(rw.try_read().await.unwrap_err(), RwLockError::WouldBlock);
        let third = {
            let rw = rw.clone();
            rt::spawn(async move { rw.read().await })
        };
        queued(&rw, 1).await;
        // a writer queued behind the capped reader waits its turn
        let writer = {
            let rw = rw.clone();
            rt::spawn(async move { rw.write().await })
        };
        queued(&rw, 2).await;
        let s = rw.status().await.unwrap();
        assert_eq!((s.readers, s.upgradable, s.writer), (2, true, false));
        drop(r1);
        let r3 = rt::timeout(LONG, third).await.unwrap().unwrap();
        assert_eq!(rw.status().await.unwrap().readers, 2);
        drop((r3, up));
        let w = rt::timeout(LONG, writer).await.unwrap().unwrap();
        assert!(rw.status().await.unwrap().writer);
        drop(w);
        wait_until("free", || async {
            rw.status().await.unwrap() == Default::default()
        })
        .await;
    });
}

#[test]
fn max_readers_comes_from_config_and_zero_is_refused() {
    let opts: RwLockOptions = serde_json::from_str(r#"{ "max_readers": 3 }"#).unwrap();
    assert_eq!(opts.max_readers.map(NonZeroUsize::get), Some(3));
    let err = serde_json::from_str::<RwLockOptions>(r#"{ "max_readers": 0 }"#).unwrap_err();
    assert!(err.to_string().contains("nonzero"), "{err}");
    assert_eq!(RwLockOptions::default().max_readers, None);
}

#[test]
fn try_upgrade_never_waits_and_gives_the_grant_back() {
    run(async {
        let rw = RwLock::new();
        let up = rw.upgradable_read().await.unwrap();
        let reader = rw.read().await.unwrap();
        let (up, err) = up.try_upgrade().await.unwrap_err();
        assert_eq!(err, RwLockError::WouldBlock);
        let s = rw.status().await.unwrap();
        assert_eq!((s.readers, s.upgradable, s.writer), (2, true, false));
        drop(reader);
        let w = up.try_upgrade().await.map_err(|(_, e)| e).unwrap();
        let s = rw.status().await.unwrap();
        assert_eq!((s.readers, s.upgradable, s.writer), (0, false, true));
        assert_eq!(rw.try_read().await.unwrap_err(), RwLockError::WouldBlock);
        drop(w);
        wait_until("free", || async {
            rw.status().await.unwrap() == Default::default()
        })
        .await;
    });
}

#[test]
fn write_downgrades_to_upgradable_admitting_readers_but_no_writer() {
    run(async {
        let rw = RwLock::new();
        let w = rw.write().await.unwrap();
        let reader = {
            let rw = rw.clone();
            rt::spawn(async move { rw.read().await })
        };
        queued(&rw, 1).await;
        let up = w.downgrade_to_upgradable();
        let r = rt::timeout(LONG, reader).await.unwrap().unwrap();
        let s = rw.status().await.unwrap();
        assert_eq!((s.readers, s.upgradable, s.writer), (2, true, false));
        assert_eq!(rw.try_write().await.unwrap_err(), RwLockError::WouldBlock);
        assert_eq!(
            rw.try_upgradable_read().await.unwrap_err(),
            RwLockError::WouldBlock
        );
        // and it upgrades again once the reader leaves
        let upgrade = rt::spawn(async move { up.upgrade().await });
        drop(r);
        let w = rt::timeout(LONG, upgrade).await.unwrap().unwrap();
        assert!(rw.status().await.unwrap().writer);
        drop(w);
        wait_until("free", || async {
            rw.status().await.unwrap() == Default::default()
        })
        .await;
    });
}
