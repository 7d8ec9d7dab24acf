//! A rate-limited client, the asyncio way: a `Semaphore` caps how many
//! requests are in flight at once, and a token bucket caps how many start
//! per second.
//!
//! ```python
//! sem = asyncio.Semaphore(3)
//! async def fetch(url):
//!     async with sem:           # at most 3 in flight
//!         await limiter.acquire()  # at most 10 per second (aiolimiter)
//!         return await get(url)
//! ```
//!
//! Run: `cargo run --example rate_limited_client`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use retinue::rt;
use retinue::sync::{RateLimiter, RateLimiterOptions, Semaphore};

async fn fetch(url: &str) -> usize {
    rt::sleep(Duration::from_millis(250)).await; // pretend network
    url.len()
}

fn main() {
    rt::block_on(async {
        let in_flight = Semaphore::new(3);
        let limiter = RateLimiter::with_options(RateLimiterOptions {
            rate: 10,
            period: Duration::from_secs(1),
            burst: Some(2),
        })
        .expect("valid options");
        let busy = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();

        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (in_flight, limiter, busy) = (in_flight.clone(), limiter.clone(), busy.clone());
                rt::spawn(async move {
                    let _permit = in_flight.acquire(1).await.expect("semaphore");
                    limiter.acquire(1).await.expect("limiter");
                    let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                    let url = format!("https://example.invalid/item/{i}");
                    let size = fetch(&url).await;
                    busy.fetch_sub(1, Ordering::SeqCst);
                    println!(
                        "{:>6.0?} ms  request {i:>2} done ({size} bytes, {now} in flight)",
                        start.elapsed().as_millis()
                    );
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        println!(
            "12 requests in {:?}: a burst of 2, then 10/s, never more than 3 at once",
            start.elapsed()
        );
    });
}
