//! Waiting for an observable condition with a generous deadline.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use retinue::rt;

/// Long enough that only a real bug reaches it.
pub const LONG: Duration = Duration::from_secs(10);

/// Polls `check` until it is true; fails the test after [`LONG`].
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + LONG;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        rt::sleep(Duration::from_millis(1)).await;
    }
}
