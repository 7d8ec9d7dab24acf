//! Producers and consumers with `join`, the asyncio way:
//!
//! ```python
//! queue = asyncio.Queue(maxsize=4)
//! workers = [asyncio.create_task(worker(queue)) for _ in range(3)]
//! for item in items: await queue.put(item)
//! await queue.join()          # every item processed
//! queue.shutdown()            # workers' get() now fails: they exit
//! ```
//!
//! Run: `cargo run --example producer_consumer`

use std::time::Duration;

use retinue::rt;
use retinue::sync::{GetError, Queue};

fn main() {
    rt::block_on(async {
        let queue: Queue<String> = Queue::fifo(4);

        let workers: Vec<_> = (0..3)
            .map(|w| {
                let queue = queue.clone();
                rt::spawn(async move {
                    let mut done = 0;
                    loop {
                        match queue.get().await {
                            Ok(job) => {
                                rt::sleep(Duration::from_millis(10)).await; // work
                                println!("worker {w} processed {job}");
                                queue.task_done().await.expect("task_done");
                                done += 1;
                            }
                            Err(GetError::ShutDown) => return done,
                            Err(e) => panic!("worker {w}: {e}"),
                        }
                    }
                })
            })
            .collect();

        let producers: Vec<_> = ["alpha", "beta"]
            .into_iter()
            .map(|name| {
                let queue = queue.clone();
                rt::spawn(async move {
                    for i in 0..5 {
                        // waits while 4 items are queued (backpressure)
                        queue.put(format!("{name}-{i}")).await.expect("put");
                    }
                })
            })
            .collect();
        for p in producers {
            p.await.expect("producer");
        }

        queue.join().await.expect("join");
        println!("all items processed; shutting the queue down");
        queue.shutdown(false).await.expect("shutdown");
        for (w, t) in workers.into_iter().enumerate() {
            println!("worker {w} handled {} jobs", t.await.expect("worker"));
        }
    });
}
