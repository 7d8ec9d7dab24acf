//! asyncio.Condition, retinue style: consumers wait until a shared buffer
//! has something for them; a producer fills it and notifies.
//!
//! The buffer lives outside the actors (an `Arc<std::sync::Mutex>` that is
//! only touched while the retinue `Lock` is held); the `Condition` is bound
//! to that lock. Run it with `cargo run --example condition_handoff`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use retinue::rt;
use retinue::sync::{Condition, Lock};

fn main() {
    rt::block_on(async {
        let lock = Lock::new();
        let ready = Condition::new(lock.clone());
        let buffer: Arc<Mutex<VecDeque<u32>>> = Arc::default();

        let consumers: Vec<_> = (0..3)
            .map(|id| {
                let (lock, ready, buffer) = (lock.clone(), ready.clone(), buffer.clone());
                rt::spawn(async move {
                    let mut got = Vec::new();
                    while got.len() < 2 {
                        let guard = lock.acquire().await.unwrap();
                        // Re-checked under the lock after every wake-up.
                        let guard = ready
                            .wait_for(guard, || !buffer.lock().unwrap().is_empty())
                            .await
                            .unwrap();
                        let item = buffer.lock().unwrap().pop_front().unwrap();
                        println!("consumer {id} took {item} (token {})", guard.token());
                        got.push(item);
                    }
                    got
                })
            })
            .collect();

        for item in 1..=6 {
            let guard = lock.acquire().await.unwrap();
            buffer.lock().unwrap().push_back(item);
            println!("producer put {item}");
            ready.notify(&guard, 1).await.unwrap();
        }

        let mut all: Vec<u32> = Vec::new();
        for consumer in consumers {
            all.extend(consumer.await.unwrap());
        }
        all.sort();
        assert_eq!(all, [1, 2, 3, 4, 5, 6]);
        println!("every item taken exactly once: {all:?}");
    });
}
