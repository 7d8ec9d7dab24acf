//! A barrier of phases, the asyncio way:
//!
//! ```python
//! barrier = asyncio.Barrier(3)
//! async def worker(i):
//!     for phase in range(3):
//!         await do_phase(i, phase)
//!         pos = await barrier.wait()   # nobody starts phase n+1 early
//! ```
//!
//! Run: `cargo run --example barrier_phases`

use std::time::Duration;

use retinue::rt;
use retinue::sync::Barrier;

fn main() {
    rt::block_on(async {
        let barrier = Barrier::new(3).expect("three parties");
        let workers: Vec<_> = (0..3u64)
            .map(|i| {
                let barrier = barrier.clone();
                rt::spawn(async move {
                    for phase in 0..3 {
                        // uneven work: the barrier waits for the slowest
                        rt::sleep(Duration::from_millis(5 * (3 - i) + 2 * phase)).await;
                        println!("worker {i} finished phase {phase}");
                        let pass = barrier.wait().await.expect("barrier");
                        if pass.leader {
                            println!(
                                "-- generation {} complete (worker {i} arrived last) --",
                                pass.generation
                            );
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.expect("worker");
        }
        println!("all phases done");
    });
}
