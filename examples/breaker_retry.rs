//! A flaky service behind a circuit breaker, called with retry.
//!
//! The service (an actor) fails its first 5 requests, then healthy.
//! The breaker trips after 3 failures in a row; retry backs off on errors,
//! and when the breaker rejects, it waits exactly the breaker's remaining
//! time instead of hammering it. Run: `cargo run --example breaker_retry`.

use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use retinue::sync::{BreakerConfig, CallError, CircuitBreaker, TripPolicy};
use retinue::task::{Backoff, Jitter, OnRejected, Retry};
use retinue::{Actor, Context, Handler, Message, rt};

struct FlakyService {
    requests: u32,
}
impl Actor for FlakyService {}

struct Get(u32);
impl Message for Get {
    type Reply = Result<String, String>;
}

impl Handler<Get> for FlakyService {
    async fn handle(&mut self, Get(id): Get, _: &mut Context<Self>) -> Result<String, String> {
        self.requests += 1;
        if self.requests <= 5 {
            Err(format!("503 for request {id}"))
        } else {
            Ok(format!("item {id}"))
        }
    }
}

fn main() {
    rt::block_on(async {
        let service = retinue::spawn(FlakyService { requests: 0 });
        let breaker = CircuitBreaker::spawn(BreakerConfig {
            trip: TripPolicy::ConsecutiveFailures { failures: 3 },
            open_wait: Duration::from_millis(200),
            call_timeout: Some(Duration::from_secs(1)),
            ..BreakerConfig::default()
        })
        .expect("valid config");

        let start = Instant::now();
        let mut changes = breaker.subscribe().await.expect("breaker is running");
        rt::spawn(async move {
            while let Some(t) = changes.next().await {
                let ms = start.elapsed().as_millis();
                println!("  [{ms:>4} ms] breaker {} -> {}", t.from, t.to);
            }
        });

        let policy = Retry::new()
            .max_attempts(5)
            .backoff(Backoff::exponential(Duration::from_millis(20)).jitter(Jitter::None))
            .on_rejected(OnRejected::Wait {
                max: Duration::from_secs(1),
            })
            .on_retry(move |attempt, delay| {
                let ms = start.elapsed().as_millis();
                println!("  [{ms:>4} ms] attempt {attempt} did not succeed; next in {delay:.0?}");
            });

        for id in 1..=3 {
            println!("request {id}:");
            let result = policy
                .run_breaker(&breaker, || async {
                    service.ask(Get(id)).await.map_err(|e| e.to_string())?
                })
                .await;
            match result {
                Ok(item) => println!("  -> ok: {item}"),
                Err(CallError::Rejected(r)) => println!("  -> still rejected: {r}"),
                Err(e) => println!("  -> failed: {e}"),
            }
        }

        let m = breaker.metrics().await.expect("breaker is running");
        println!(
            "metrics: {} calls, {} failures, {} rejected, state {}",
            m.calls, m.failures, m.rejected, m.state
        );
    });
}
