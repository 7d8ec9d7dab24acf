//! A counter under a lock — the asyncio pattern
//!
//! ```python
//! lock = asyncio.Lock()
//! async def worker():
//!     async with lock:
//!         value = counter; await asyncio.sleep(0); counter = value + 1
//! ```
//!
//! Ten workers do a read / yield / write increment 100 times each. Without
//! the lock updates would be lost; with it the total is exactly 1000. Each
//! grant carries a fencing token that only grows.
//!
//! `cargo run --example lock_counter`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use retinue::rt;
use retinue::sync::Lock;

fn main() {
    rt::block_on(async {
        let lock = Lock::new();
        let counter = Arc::new(AtomicU64::new(0));
        let workers: Vec<_> = (0..10)
            .map(|id| {
                let (lock, counter) = (lock.clone(), counter.clone());
                rt::spawn(async move {
                    let mut last_token = 0;
                    for _ in 0..100 {
                        // `async with lock:` — the guard releases on drop
                        let guard = lock.acquire().await.expect("lock actor is alive");
                        let value = counter.load(Ordering::SeqCst);
                        rt::yield_now().await; // another task would sneak in here
                        counter.store(value + 1, Ordering::SeqCst);
                        last_token = guard.token();
                    }
                    println!("worker {id} done, last fencing token {last_token}");
                })
            })
            .collect();
        for w in workers {
            w.await.expect("worker finished");
        }
        let total = counter.load(Ordering::SeqCst);
        println!("counter = {total} (expected 1000)");
        assert_eq!(total, 1000);
        println!("lock is free again: {}", !lock.is_locked().await.unwrap());
    });
}
