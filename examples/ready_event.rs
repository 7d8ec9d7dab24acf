//! A worker that waits for a "ready" event before starting, and stops when
//! a "shutdown" event is set — the asyncio pattern
//!
//! ```python
//! await ready.wait()
//! while not shutdown.is_set():
//!     ...work...
//! ```
//!
//! `cargo run --example ready_event`

use std::time::Duration;

use retinue::rt;
use retinue::sync::{Event, EventError};

fn main() {
    rt::block_on(async {
        let ready = Event::new();
        let shutdown = Event::new();

        let worker = {
            let (ready, shutdown) = (ready.clone(), shutdown.clone());
            rt::spawn(async move {
                println!("worker: waiting for ready");
                ready.wait().await?;
                println!("worker: ready, starting");
                let mut ticks = 0;
                // Work in slices; between slices, check for shutdown.
                loop {
                    match shutdown.wait_timeout(Duration::from_millis(10)).await {
                        Ok(()) => break,
                        Err(EventError::Timeout) => {
                            ticks += 1;
                            println!("worker: tick {ticks}");
                        }
                        Err(e) => return Err(e),
                    }
                }
                println!("worker: shutdown seen after {ticks} ticks");
                Ok::<u32, EventError>(ticks)
            })
        };

        rt::sleep(Duration::from_millis(20)).await;
        println!("main: setting ready");
        ready.set().await.unwrap();
        rt::sleep(Duration::from_millis(50)).await;
        println!("main: setting shutdown");
        shutdown.set().await.unwrap();
        let ticks = worker.await.unwrap().unwrap();
        println!("main: worker stopped cleanly after {ticks} ticks");
    });
}
