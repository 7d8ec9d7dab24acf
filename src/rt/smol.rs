//! The smol backend (feature `smol`): tasks run on one global
//! `async_executor::Executor` served by a pool of threads, timers and
//! blocking work come from smol (async-io, blocking).
//!
//! Worker threads: `SMOL_THREADS`, default the number of cores (smol's own
//! global executor defaults to one).
//!
//! Tokio interop, with no set-up (what the async-compat crate does): a
//! tokio 1 runtime — the current one if the first caller has one,
//! otherwise a current-thread runtime driven by one background thread — is
//! entered once by every worker thread and around every `block_on`, so
//! tokio timers and sockets work inside actors.
//!
//! Invariants:
//! - Worker threads start on the first spawn and never stop; a panic that
//!   escapes a poll (retinue's own tasks catch theirs) restarts the loop.
//! - Dropping a [`Task`] detaches the task, as on the other backends (smol
//!   would cancel it).

use std::future::Future;
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Once, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use ::smol::Executor;
use ::tokio::runtime::Handle;

use super::{Backend, JoinError};

pub(super) const BACKEND: Backend = Backend::Smol;
pub(super) const TOKIO_INTEROP: bool = true;

static EXECUTOR: Executor<'static> = Executor::new();

/// The executor, with its worker threads started.
fn executor() -> &'static Executor<'static> {
    static START: Once = Once::new();
    START.call_once(|| {
        for i in 0..threads() {
            std::thread::Builder::new()
                .name(format!("retinue-smol-{i}"))
                .spawn(serve)
                .expect("retinue: cannot start a smol worker thread");
        }
    });
    &EXECUTOR
}

/// `SMOL_THREADS`, else the number of cores.
fn threads() -> usize {
    std::env::var("SMOL_THREADS")
        .ok()
        .and_then(|v| v.parse::<NonZeroUsize>().ok())
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get)
}

/// One worker thread's life: run the executor, with tokio entered.
fn serve() {
    let _tokio = tokio_handle().enter();
    loop {
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
            ::smol::block_on(EXECUTOR.run(std::future::pending::<()>()))
        }));
        if let Err(payload) = run {
            tracing::error!(panic = %super::panic_message(&*payload), "a smol worker's poll panicked");
        }
    }
}

/// The tokio runtime entered for interop (see the module docs).
fn tokio_handle() -> &'static Handle {
    static HANDLE: OnceLock<Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        Handle::try_current().unwrap_or_else(|_| {
            let runtime = ::tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("retinue: cannot start the tokio interop runtime");
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("retinue-smol-tokio".into())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .expect("retinue: cannot start the tokio interop thread");
            handle
        })
    })
}

/// A spawned task's output; dropping it detaches the task.
pub(super) struct Task<T>(Option<::smol::Task<T>>);

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.as_mut() {
            Some(task) => Pin::new(task).poll(cx).map(Ok),
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

pub(super) fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Task(Some(executor().spawn(future)))
}

pub(super) fn spawn_detached<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    executor().spawn(future).detach();
}

pub(super) async fn spawn_blocking<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    ::smol::unblock(f).await
}

pub(super) fn block_on<F: Future>(future: F) -> F::Output {
    let _tokio = tokio_handle().enter();
    ::smol::block_on(future)
}

pub(super) async fn sleep(duration: Duration) {
    ::smol::Timer::after(duration).await;
}
