//! A balancing pool (Akka's BalancingPool, ractor's queuer routing): the
//! workers pull from one shared mailbox, so a slow job never holds up the
//! jobs a free worker could take; the pool grows and shrinks at run time.
//!
//! Run: `cargo run --example pool_balancing`

use std::time::{Duration, Instant};

use retinue::pool::{Pool, Routing};
use retinue::{Actor, ActorId, Context, Handler, Message, rt};

struct Resizer;
impl Actor for Resizer {}

/// An image to resize; some are huge.
struct Image {
    name: &'static str,
    millis: u64,
}
impl Message for Image {
    type Reply = ActorId;
}
impl Handler<Image> for Resizer {
    async fn handle(&mut self, img: Image, ctx: &mut Context<Self>) -> ActorId {
        rt::sleep(Duration::from_millis(img.millis)).await; // the work
        if img.millis > 100 {
            println!("{} was the slow one", img.name);
        }
        ctx.id()
    }
}

fn main() {
    rt::block_on(async {
        let pool = Pool::builder(|| Resizer)
            .size(2)
            .routing(Routing::Balancing)
            .spawn()
            .await
            .expect("pool");
        let start = Instant::now();
        let huge = {
            let pool = pool.clone();
            rt::spawn(async move {
                pool.ask(Image {
                    name: "huge.tiff",
                    millis: 300,
                })
                .await
            })
        };
        rt::sleep(Duration::from_millis(10)).await; // the huge one is taken first
        let mut small = Vec::new();
        for name in ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"] {
            let pool = pool.clone();
            small.push(rt::spawn(async move {
                (name, pool.ask(Image { name, millis: 20 }).await)
            }));
        }
        for job in small {
            let (name, by) = job.await.expect("task");
            println!(
                "{name} done by worker {} at {:?}",
                by.expect("ask"),
                start.elapsed()
            );
        }
        println!("(all small images finished while huge.tiff was still being resized)");
        let by = huge.await.expect("task").expect("ask");
        println!("huge.tiff done by worker {by} at {:?}", start.elapsed());

        pool.resize(4).await.expect("grow");
        println!("grown to {} workers", pool.size());
        pool.resize(1).await.expect("shrink"); // waits for in-flight work
        println!("shrunk to {} worker; stats {:?}", pool.size(), pool.stats());
        pool.shutdown().await;
    });
}
