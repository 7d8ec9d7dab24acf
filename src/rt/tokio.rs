//! The tokio backend (feature `tokio`): tasks run on a multi-thread tokio
//! runtime, so tokio futures are native and retinue shares the executor
//! with the rest of a tokio service.
//!
//! Which runtime: the current one when there is one (inside
//! `#[tokio::main]`, a tokio task, or under `Handle::enter`); otherwise a
//! global multi-thread runtime that retinue starts lazily on first use and
//! never stops. Worker threads: `TOKIO_WORKER_THREADS` (tokio's own
//! variable, read by tokio's builder), default the number of cores.
//!
//! Invariants:
//! - Nothing here needs a runtime to be current: every call that tokio would
//!   refuse outside one (spawn, sleep, spawn_blocking) falls back to the
//!   global runtime.
//! - Dropping a [`Task`] detaches the task (tokio's own behaviour).

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use ::tokio::runtime::{Builder, Handle, Runtime, RuntimeFlavor};

use super::{Backend, JoinError, panic_message};

pub(super) const BACKEND: Backend = Backend::Tokio;
pub(super) const TOKIO_INTEROP: bool = true;

/// retinue's own runtime, for callers outside any tokio runtime.
fn global() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .enable_all()
            .thread_name("retinue-tokio")
            .build()
            .expect("retinue: cannot start the tokio runtime")
    })
}

/// The current runtime's handle, or the global runtime's.
fn handle() -> Handle {
    Handle::try_current().unwrap_or_else(|_| global().handle().clone())
}

/// A spawned task's output; dropping it detaches the task.
pub(super) struct Task<T>(::tokio::task::JoinHandle<T>);

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|done| done.map_err(join_error))
    }
}

/// tokio's reasons for a missing output: a panic (never from retinue's own
/// wrapped futures) or a runtime shutting down under the task.
fn join_error(e: ::tokio::task::JoinError) -> JoinError {
    match e.try_into_panic() {
        Ok(payload) => JoinError::Panicked(panic_message(&*payload)),
        Err(_) => JoinError::Aborted,
    }
}

pub(super) fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Task(match Handle::try_current() {
        Ok(current) => current.spawn(future),
        Err(_) => global().spawn(future),
    })
}

pub(super) fn spawn_detached<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(spawn(future));
}

pub(super) async fn spawn_blocking<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match handle().spawn_blocking(f).await {
        Ok(value) => value,
        Err(e) => match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(_) => panic!("retinue: the tokio runtime shut down under a blocking task"),
        },
    }
}

pub(super) fn block_on<F: Future>(future: F) -> F::Output {
    match Handle::try_current() {
        Err(_) => global().block_on(future),
        Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
            ::tokio::task::block_in_place(|| current.block_on(future))
        }
        // A current-thread runtime cannot lend its thread: poll here with
        // its context entered (its own tasks wait until we return).
        Ok(current) => {
            let _entered = current.enter();
            futures_lite::future::block_on(future)
        }
    }
}

pub(super) async fn sleep(duration: Duration) {
    let timer = match Handle::try_current() {
        Ok(_) => ::tokio::time::sleep(duration),
        Err(_) => {
            let _entered = global().enter();
            ::tokio::time::sleep(duration)
        }
    };
    timer.await
}
