//! The async-std backend (feature `async-std`, the default).
//!
//! With the `async-std` feature, async-std's `tokio1` compatibility is on:
//! async-global-executor lazily starts one global multi-thread tokio
//! runtime (or takes the current one) and every executor thread, and every
//! `block_on`, enters it once, so tokio 1 futures work inside actors at no
//! per-poll cost. `async-std-bare` alone builds this backend without it.
//!
//! Worker threads: `ASYNC_STD_THREAD_COUNT` (async-std's own variable).
//!
//! Invariant: dropping a [`Task`] detaches the task (async-std's own
//! behaviour).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{Backend, JoinError};

pub(super) const BACKEND: Backend = Backend::AsyncStd;
pub(super) const TOKIO_INTEROP: bool = cfg!(feature = "async-std");

/// A spawned task's output; dropping it detaches the task.
pub(super) struct Task<T>(::async_std::task::JoinHandle<T>);

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(Ok)
    }
}

pub(super) fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Task(::async_std::task::spawn(future))
}

pub(super) fn spawn_detached<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(::async_std::task::spawn(future));
}

pub(super) async fn spawn_blocking<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    ::async_std::task::spawn_blocking(f).await
}

pub(super) fn block_on<F: Future>(future: F) -> F::Output {
    ::async_std::task::block_on(future)
}

pub(super) async fn sleep(duration: Duration) {
    ::async_std::task::sleep(duration).await
}
