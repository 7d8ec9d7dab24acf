//! A crawler-style fan-out.
//!
//! Part 1 crawls a small fake site with a task group: every fetched page
//! spawns fetches for the links it finds (children adding children), at
//! most 3 fetches at a time (a token pool on a bounded channel), and the
//! group waits for the whole crawl. Part 2 asks five mirrors for the same
//! file with `as_completed` and a 150 ms deadline: answers print in
//! completion order and the slow mirrors are cancelled.
//! Run: `cargo run --example crawler`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use retinue::rt;
use retinue::task::{Completion, Group, Spawner, as_completed};

/// The fake web: each page's latency and links.
fn page(path: &str) -> Option<(u64, &'static [&'static str])> {
    Some(match path {
        "/" => (30, &["/docs", "/blog", "/about"]),
        "/docs" => (40, &["/docs/actors", "/docs/supervision", "/"]),
        "/docs/actors" => (20, &["/docs"]),
        "/docs/supervision" => (25, &["/docs", "/missing"]),
        "/blog" => (35, &["/blog/1", "/blog/2"]),
        "/blog/1" | "/blog/2" => (15, &["/blog"]),
        "/about" => (10, &[]),
        _ => return None,
    })
}

async fn fetch(path: &str) -> Result<&'static [&'static str], String> {
    match page(path) {
        Some((ms, links)) => {
            rt::sleep(Duration::from_millis(ms)).await;
            Ok(links)
        }
        None => Err(format!("404 {path}")),
    }
}

#[derive(Clone)]
struct Crawl {
    seen: Arc<Mutex<HashSet<String>>>,
    tokens: (async_channel::Sender<()>, async_channel::Receiver<()>),
    start: Instant,
}

impl Crawl {
    fn visit(&self, spawner: &Spawner<String>, path: String) {
        if !self.seen.lock().expect("not poisoned").insert(path.clone()) {
            return;
        }
        let crawl = self.clone();
        let inner = spawner.clone();
        let _ = spawner.spawn(async move {
            // Take a token (at most 3 fetches at once); give it back after.
            let _ = crawl.tokens.1.recv().await;
            let fetched = fetch(&path).await;
            let _ = crawl.tokens.0.try_send(());
            let ms = crawl.start.elapsed().as_millis();
            match fetched {
                Ok(links) => {
                    println!("  [{ms:>4} ms] {path} -> {} links", links.len());
                    for link in links {
                        crawl.visit(&inner, link.to_string());
                    }
                }
                // A dead link is reported, not a reason to stop the crawl.
                Err(e) => println!("  [{ms:>4} ms] {e}"),
            }
            Ok(())
        });
    }
}

fn main() {
    rt::block_on(async {
        println!("crawl (3 at a time):");
        let tokens = async_channel::bounded(3);
        for _ in 0..3 {
            let _ = tokens.0.try_send(());
        }
        let crawl = Crawl {
            seen: Arc::default(),
            tokens,
            start: Instant::now(),
        };
        let group: Group<String> = Group::new();
        crawl.visit(&group.spawner(), "/".to_string());
        match group.join().await {
            Ok(()) => println!(
                "crawled {} pages",
                crawl.seen.lock().expect("not poisoned").len()
            ),
            Err(e) => println!("crawl failed: {e}"),
        }

        println!("\nfastest mirrors (150 ms deadline):");
        let mirrors = [
            ("eu", 60u64),
            ("us", 20),
            ("asia", 400),
            ("local", 5),
            ("mars", 5_000),
        ];
        let start = Instant::now();
        let mut answers = as_completed(mirrors.map(|(name, ms)| async move {
            rt::sleep(Duration::from_millis(ms)).await;
            name
        }))
        .deadline(Duration::from_millis(150));
        while let Some(item) = answers.next().await {
            let ms = start.elapsed().as_millis();
            match item {
                Completion::Done { value, .. } => println!("  [{ms:>4} ms] {value} answered"),
                Completion::Panicked { index, message } => {
                    println!("  mirror #{index} crashed: {message}")
                }
                Completion::DeadlineExceeded { pending } => {
                    println!("  [{ms:>4} ms] deadline: {pending} slow mirrors cancelled")
                }
            }
        }
    });
}
