//! Readers and writers over a shared record — many readers at once, one
//! writer at a time, and a waiting writer is never starved by new readers.
//!
//! The record is two fields a writer updates one after the other (with a
//! yield in between); readers check they never see a half-written record.
//!
//! `cargo run --example readers_writers`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use retinue::rt;
use retinue::sync::RwLock;

fn main() {
    rt::block_on(async {
        let rw = RwLock::new();
        let record = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));

        let writers: Vec<_> = (0..2)
            .map(|id| {
                let (rw, record) = (rw.clone(), record.clone());
                rt::spawn(async move {
                    for _ in 0..5 {
                        let guard = rw.write().await.expect("rwlock alive");
                        let v = record.0.load(Ordering::SeqCst) + 1;
                        record.0.store(v, Ordering::SeqCst);
                        rt::yield_now().await; // half-written, but nobody can look
                        record.1.store(v, Ordering::SeqCst);
                        println!("writer {id} wrote version {v}");
                        drop(guard);
                    }
                })
            })
            .collect();

        let readers: Vec<_> = (0..4)
            .map(|id| {
                let (rw, record) = (rw.clone(), record.clone());
                rt::spawn(async move {
                    let mut versions = Vec::new();
                    for _ in 0..20 {
                        let guard = rw.read().await.expect("rwlock alive");
                        let a = record.0.load(Ordering::SeqCst);
                        rt::yield_now().await;
                        let b = record.1.load(Ordering::SeqCst);
                        assert_eq!(a, b, "torn read");
                        drop(guard);
                        if versions.last() != Some(&a) {
                            versions.push(a);
                        }
                    }
                    println!("reader {id}: 20 consistent reads, versions seen {versions:?}");
                })
            })
            .collect();

        for t in writers.into_iter().chain(readers) {
            t.await.expect("task finished");
        }

        // Upgradable read: look first, then decide to write.
        let up = rw.upgradable_read().await.unwrap();
        let version = record.1.load(Ordering::SeqCst);
        let write = up.upgrade().await.unwrap();
        record.0.store(version + 1, Ordering::SeqCst);
        record.1.store(version + 1, Ordering::SeqCst);
        let read = write.downgrade(); // keep reading, let other readers in
        println!(
            "upgraded to write version {}, downgraded back to read",
            record.1.load(Ordering::SeqCst)
        );
        drop(read);
        println!("final status: {:?}", rw.status().await.unwrap());
    });
}
