//! Helpers to prove that cancellation reached a task, and to bound tests.

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use async_channel::{Receiver, Sender, TryRecvError};
use retinue::rt;

/// Runs a test body with a generous bound, so a bug shows as a failure
/// instead of a hung test run.
pub fn run<F: Future>(f: F) -> F::Output {
    rt::block_on(rt::timeout(Duration::from_secs(20), f)).expect("test hung")
}

/// Closes its channel when dropped: proof that a task's cleanup ran.
pub struct DropGuard(#[allow(dead_code)] Sender<()>);

/// A guard to move into a task, and the receiver that tells it dropped.
pub fn guard() -> (DropGuard, Receiver<()>) {
    let (tx, rx) = async_channel::bounded(1);
    (DropGuard(tx), rx)
}

/// Whether the guard paired with `rx` has been dropped.
pub fn dropped(rx: &Receiver<()>) -> bool {
    rx.try_recv() == Err(TryRecvError::Closed)
}
