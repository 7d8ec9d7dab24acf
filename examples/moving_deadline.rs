//! A deadline that moves while the work runs (asyncio's
//! `async with asyncio.timeout(...) as cm: ... cm.reschedule(...)`).
//!
//! Two "downloads" read chunks from a source; every chunk that arrives
//! buys the download 100 ms more. The steady one finishes although it takes
//! far longer than 100 ms in all; the one whose source stalls is cancelled
//! 100 ms after its last chunk.
//!
//! Run: `cargo run --example moving_deadline`

use std::time::{Duration, Instant};

use retinue::rt;
use retinue::task::Deadline;

const GRACE: Duration = Duration::from_millis(100);

/// Reads `chunks` chunks, `gap` apart, or stalls after `stall_after`.
async fn download(deadline: Deadline, chunks: u32, gap: Duration, stall_after: Option<u32>) -> u32 {
    let mut got = 0;
    for i in 0..chunks {
        if stall_after == Some(i) {
            std::future::pending::<()>().await; // the source went quiet
        }
        rt::sleep(gap).await;
        got += 1;
        deadline.reschedule(Some(Instant::now() + GRACE)); // progress: more time
    }
    got
}

fn main() {
    rt::block_on(async {
        for (name, stall) in [("steady", None), ("stalling", Some(3))] {
            let deadline = Deadline::after(GRACE);
            let started = Instant::now();
            let result = deadline
                .run(download(
                    deadline.clone(),
                    8,
                    Duration::from_millis(40),
                    stall,
                ))
                .await;
            match result {
                Ok(chunks) => println!(
                    "{name}: finished, {chunks} chunks in {:?}",
                    started.elapsed()
                ),
                Err(e) => println!("{name}: {e} (expired: {})", deadline.expired()),
            }
        }
    });
}
