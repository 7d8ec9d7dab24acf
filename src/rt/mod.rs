//! The runtime seam: the only module that names a runtime crate.
//!
//! Everything retinue needs from an executor — spawning, sleeping, timeouts,
//! blocking work and a `block_on` bridge — goes through this module. The
//! backend-independent parts (join handles, abort, panic catching, the
//! live-task counter) live here; each backend is one file beside it:
//!
//! | cargo feature | backend | file |
//! |---|---|---|
//! | `async-std` (default) | async-std, with its tokio 1 compatibility | `async_std.rs` |
//! | `tokio` | a multi-thread tokio runtime | `tokio.rs` |
//! | `smol` | an async-executor pool, with a tokio 1 reactor entered | `smol.rs` |
//!
//! Several backend features may be enabled at once (`--all-features` does):
//! the precedence is **async-std > tokio > smol**, and [`backend`] says at
//! run time which one was picked. Select another one with
//! `--no-default-features --features tokio` (or `smol`).
//!
//! Worker threads: `ASYNC_STD_THREAD_COUNT` (async-std),
//! `TOKIO_WORKER_THREADS` (tokio), `SMOL_THREADS` (smol); each defaults to
//! the number of cores.
//!
//! Tokio 1 futures (timers, sockets, and so every tokio-based client crate)
//! work inside actors, their timers and their owned tasks on every backend,
//! with no set-up: async-std and smol enter a global tokio runtime on every
//! executor thread and in [`block_on`]; the tokio backend is tokio.
//!
//! Invariants:
//! - Every task spawned here is wrapped so that a panic is caught and
//!   reported through its [`JoinHandle`] instead of unwinding an executor
//!   thread.
//! - [`JoinHandle::abort`] is synchronous: the task's future is dropped the
//!   next time the executor looks at it, so `Drop` code may abort tasks.
//! - [`live_tasks`] counts spawned futures that have not been dropped yet;
//!   tests use it to prove that a shutdown leaves nothing running.
//! - Dropping a [`JoinHandle`] detaches the task on every backend.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use retinue::rt;
//!
//! rt::block_on(async {
//!     let task = rt::spawn(async { 6 * 7 });
//!     assert_eq!(task.await.unwrap(), 42);
//!
//!     let slow = rt::timeout(Duration::from_millis(10), rt::sleep(Duration::from_secs(60)));
//!     assert!(slow.await.is_err());
//! });
//! ```

#[cfg(not(any(feature = "async-std-bare", feature = "tokio", feature = "smol")))]
compile_error!("retinue needs a runtime: enable one of the features `async-std`, `tokio`, `smol`");

#[cfg(feature = "async-std-bare")]
mod async_std;
#[cfg(feature = "async-std-bare")]
use self::async_std as imp;

#[cfg(all(feature = "tokio", not(feature = "async-std-bare")))]
mod tokio;
#[cfg(all(feature = "tokio", not(feature = "async-std-bare")))]
use self::tokio as imp;

#[cfg(all(
    feature = "smol",
    not(any(feature = "async-std-bare", feature = "tokio"))
))]
mod smol;
#[cfg(all(
    feature = "smol",
    not(any(feature = "async-std-bare", feature = "tokio"))
))]
use self::smol as imp;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::FutureExt;

static LIVE_TASKS: AtomicUsize = AtomicUsize::new(0);

/// How many tasks spawned through [`spawn`] are still alive (not yet
/// finished, aborted and dropped).
///
/// ```
/// # retinue::rt::block_on(async {
/// let task = retinue::rt::spawn(std::future::pending::<()>());
/// assert!(retinue::rt::live_tasks() >= 1);
/// task.abort();
/// # });
/// ```
pub fn live_tasks() -> usize {
    LIVE_TASKS.load(Ordering::SeqCst)
}

/// The runtime retinue runs on, picked at compile time by cargo features
/// (precedence async-std > tokio > smol).
///
/// ```
/// let name = retinue::rt::backend().name();
/// assert!(["async-std", "tokio", "smol"].contains(&name));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// async-std (feature `async-std`, the default).
    AsyncStd,
    /// A multi-thread tokio runtime (feature `tokio`).
    Tokio,
    /// smol's executor and reactor (feature `smol`).
    Smol,
}

impl Backend {
    /// The backend's cargo feature name.
    ///
    /// ```
    /// use retinue::rt::Backend;
    /// assert_eq!(Backend::Tokio.name(), "tokio");
    /// assert_eq!(Backend::AsyncStd.to_string(), "async-std");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Backend::AsyncStd => "async-std",
            Backend::Tokio => "tokio",
            Backend::Smol => "smol",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which backend this build of retinue runs on.
///
/// ```
/// use retinue::rt::{Backend, backend};
/// if cfg!(feature = "async-std") {
///     assert_eq!(backend(), Backend::AsyncStd);
/// }
/// ```
pub fn backend() -> Backend {
    imp::BACKEND
}

/// Whether tokio 1 futures work inside actors without set-up. True on
/// every backend except `async-std-bare` (async-std without its tokio
/// compatibility, a build for measuring what that compatibility costs).
///
/// ```
/// if retinue::rt::tokio_interop() {
///     // tokio::net, tokio::time or a reqwest client work in handlers here.
/// }
/// ```
pub fn tokio_interop() -> bool {
    imp::TOKIO_INTEROP
}

/// Why a task produced no value.
///
/// ```
/// use retinue::rt::{self, JoinError};
/// # rt::block_on(async {
/// let task = rt::spawn(async {
///     if true {
///         panic!("boom");
///     }
///     1
/// });
/// assert_eq!(task.await, Err(JoinError::Panicked("boom".into())));
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    /// The task was aborted before it finished.
    Aborted,
    /// The task panicked; the panic's message.
    Panicked(String),
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Aborted => f.write_str("task was aborted"),
            JoinError::Panicked(msg) => write!(f, "task panicked: {msg}"),
        }
    }
}

impl std::error::Error for JoinError {}

/// Turns a panic payload into the message it carried.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("at {}", 42)).unwrap_err();
/// assert_eq!(retinue::rt::panic_message(&*payload), "at 42");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

#[derive(Default)]
struct AbortFlag {
    aborted: AtomicBool,
    finished: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl AbortFlag {
    fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn register(&self, cx: &Context<'_>) {
        let mut slot = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future that actually runs on the executor: aborts, catches
    /// panics and keeps the live-task count.
    struct Guarded<F> {
        #[pin]
        future: F,
        flag: Arc<AbortFlag>,
        // The waker last handed to `flag`: executors pass a task the same
        // waker on every poll, so the flag's lock is taken only when it
        // changes (in practice, once).
        registered: Option<Waker>,
        // Last field: dropped after `future`, so "finished" is only
        // published once the future (and everything it owns) is gone.
        _count: LiveCount,
    }
}

/// One live task in [`live_tasks`], for as long as it exists; marks the
/// task's abort flag (if it has one) finished when it goes.
struct LiveCount(Option<Arc<AbortFlag>>);

impl LiveCount {
    fn new(flag: Option<Arc<AbortFlag>>) -> Self {
        LIVE_TASKS.fetch_add(1, Ordering::SeqCst);
        LiveCount(flag)
    }
}

impl Drop for LiveCount {
    fn drop(&mut self) {
        if let Some(flag) = &self.0 {
            flag.finished.store(true, Ordering::SeqCst);
        }
        LIVE_TASKS.fetch_sub(1, Ordering::SeqCst);
    }
}

pin_project_lite::pin_project! {
    /// The future of a detached task: catches and logs panics, keeps the
    /// live-task count, and has nothing else (no abort flag, no waker).
    struct Detached<F> {
        #[pin]
        future: F,
        _count: LiveCount,
    }
}

impl<F: Future<Output = ()>> Future for Detached<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        poll_catching(self.project().future, cx).map(|done| {
            if let Err(panic) = done {
                tracing::error!(%panic, "a detached task panicked");
            }
        })
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = Result<F::Output, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.flag.aborted.load(Ordering::SeqCst) {
            return Poll::Ready(Err(JoinError::Aborted));
        }
        if !this
            .registered
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            this.flag.register(cx);
            *this.registered = Some(cx.waker().clone());
            if this.flag.aborted.load(Ordering::SeqCst) {
                return Poll::Ready(Err(JoinError::Aborted));
            }
        }
        poll_catching(this.future, cx).map(|done| done.map_err(JoinError::Panicked))
    }
}

/// Polls `future`, turning a panic into a finished poll with the panic's
/// message.
fn poll_catching<F: Future>(
    future: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<Result<F::Output, String>> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(poll) => poll.map(Ok),
        Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
    }
}

/// A handle to a spawned task. Awaiting it gives the task's output;
/// dropping it lets the task run on (detached).
///
/// ```
/// # retinue::rt::block_on(async {
/// let task = retinue::rt::spawn(async { 6 * 7 });
/// assert_eq!(task.await, Ok(42));
/// # });
/// ```
pub struct JoinHandle<T> {
    inner: imp::Task<Result<T, JoinError>>,
    flag: Arc<AbortFlag>,
}

/// Aborts a task from anywhere, without awaiting. Cheap to clone.
///
/// ```
/// use retinue::rt::{self, JoinError};
/// # rt::block_on(async {
/// let task = rt::spawn(std::future::pending::<()>());
/// let abort = task.abort_handle();
/// abort.abort();
/// assert!(abort.is_aborted());
/// assert_eq!(task.await, Err(JoinError::Aborted));
/// assert!(abort.is_finished());
/// # });
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    flag: Arc<AbortFlag>,
}

impl AbortHandle {
    /// Asks the task to stop; its future is dropped at its next poll.
    pub fn abort(&self) {
        self.flag.abort();
    }

    /// Whether [`abort`](Self::abort) was called.
    pub fn is_aborted(&self) -> bool {
        self.flag.aborted.load(Ordering::SeqCst)
    }

    /// Whether the task's future is gone: it finished, panicked, or was
    /// aborted and dropped.
    pub fn is_finished(&self) -> bool {
        self.flag.finished.load(Ordering::SeqCst)
    }
}

impl<T> JoinHandle<T> {
    /// Asks the task to stop; its future is dropped at its next poll, and
    /// awaiting this handle then gives [`JoinError::Aborted`].
    pub fn abort(&self) {
        self.flag.abort();
    }

    /// A clonable handle that can only abort the task.
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle {
            flag: self.flag.clone(),
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.inner)
            .poll(cx)
            .map(|r| r.and_then(|inner| inner))
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").finish_non_exhaustive()
    }
}

/// Spawns a task on the executor.
///
/// ```
/// # retinue::rt::block_on(async {
/// let task = retinue::rt::spawn(async { "done" });
/// assert_eq!(task.await, Ok("done"));
/// # });
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let flag = Arc::new(AbortFlag::default());
    let guarded = Guarded {
        future,
        flag: flag.clone(),
        registered: None,
        _count: LiveCount::new(Some(flag.clone())),
    };
    JoinHandle {
        inner: imp::spawn(guarded),
        flag,
    }
}

/// Spawns a task that nobody will await or abort: [`spawn`] without the
/// [`JoinHandle`], and cheaper (no abort flag to allocate, no waker to
/// keep). A panic in it is caught and logged with `tracing`. Actors
/// started with [`spawn`](crate::spawn) run on such tasks.
///
/// ```
/// # retinue::rt::block_on(async {
/// let (done, finished) = retinue::ReplyTo::pair();
/// retinue::rt::spawn_detached(async move {
///     let _ = done.send("ran");
/// });
/// assert_eq!(finished.await, Ok("ran"));
/// # });
/// ```
pub fn spawn_detached<F>(future: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let detached = Detached {
        future,
        _count: LiveCount::new(None),
    };
    imp::spawn_detached(detached);
}

/// Runs blocking or CPU-heavy code on a thread pool meant for it, so that
/// the executor's worker threads keep serving actors. A handler awaits it.
///
/// ```
/// # retinue::rt::block_on(async {
/// let sum = retinue::rt::spawn_blocking(|| (1..=100u64).sum::<u64>()).await;
/// assert_eq!(sum, 5050);
/// # });
/// ```
pub async fn spawn_blocking<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    imp::spawn_blocking(f).await
}

/// Runs a future to completion on the current thread: the bridge from plain
/// synchronous code (a `main`, a test, a callback) into retinue.
///
/// On tokio, called outside any runtime it uses retinue's global
/// multi-thread runtime; called inside one it runs on that runtime (via
/// `block_in_place` on a multi-thread runtime).
///
/// ```
/// assert_eq!(retinue::rt::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    imp::block_on(future)
}

/// Waits for `duration`.
///
/// ```
/// use std::time::{Duration, Instant};
/// # retinue::rt::block_on(async {
/// let start = Instant::now();
/// retinue::rt::sleep(Duration::from_millis(2)).await;
/// assert!(start.elapsed() >= Duration::from_millis(2));
/// # });
/// ```
pub async fn sleep(duration: Duration) {
    imp::sleep(duration).await
}

/// The error of [`timeout`]: the deadline passed first.
///
/// ```
/// assert_eq!(retinue::rt::Elapsed.to_string(), "deadline elapsed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `future` for at most `duration`; the future is dropped (cancelled)
/// when the deadline passes first.
///
/// ```
/// use std::time::Duration;
/// use retinue::rt::{self, Elapsed};
/// # rt::block_on(async {
/// assert_eq!(rt::timeout(Duration::from_secs(5), async { 1 }).await, Ok(1));
/// let never = std::future::pending::<()>();
/// assert_eq!(rt::timeout(Duration::from_millis(1), never).await, Err(Elapsed));
/// # });
/// ```
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    async { Ok(future.await) }
        .or(async {
            sleep(duration).await;
            Err(Elapsed)
        })
        .await
}

/// Lets other tasks run before continuing.
///
/// ```
/// # retinue::rt::block_on(async {
/// retinue::rt::yield_now().await;
/// # });
/// ```
pub async fn yield_now() {
    futures_lite::future::yield_now().await
}
