//! [`gather`]: run futures concurrently (each as its own task) and collect
//! their results in argument order.
//!
//! Invariants:
//! - Results are returned in argument order, whatever the completion order.
//! - Fail-fast-and-cancel ([`gather`]): on the first failure every other
//!   task is aborted, and the call returns only after their futures have
//!   been dropped (their cleanup ran). Collect-all ([`gather_all`]) never
//!   cancels. First-error-leave-running ([`gather_leave_running`], asyncio's
//!   `gather`) returns the first failure at once and lets the others run on.
//! - Every task runs inside the gather's scope (see `hold.rs`): a return
//!   other than [`gather_leave_running`]'s early one waits until every task
//!   and everything they started is gone, and an enclosing group waits for
//!   the tasks a dropped or early-returned gather left behind.
//! - Dropping the gather future aborts every task it started.
//! - A panic in a future is caught and reported as
//!   [`TaskError::Panicked`] for that index.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_lite::FutureExt;

use crate::rt::{self, JoinHandle};

use super::error::TaskError;
use super::hold::Hold;

/// The first failure of a fail-fast [`gather`].
///
/// ```
/// use retinue::task::{gather, GatherError, TaskError};
///
/// # retinue::rt::block_on(async {
/// let err = gather((0..4).map(|i| async move { if i == 2 { Err("two") } else { Ok(i) } }))
///     .await
///     .unwrap_err();
/// assert_eq!(err, GatherError { index: 2, error: TaskError::Failed("two") });
/// assert_eq!(err.to_string(), "gathered future #2: task failed: two");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GatherError<E> {
    /// The argument position of the failed future.
    pub index: usize,
    /// What went wrong.
    pub error: TaskError<E>,
}

impl<E: fmt::Display> fmt::Display for GatherError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gathered future #{}: {}", self.index, self.error)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GatherError<E> {}

type Done<T, E> = (usize, Result<T, TaskError<E>>);

/// Aborts every task still listed when dropped.
struct Tasks {
    handles: Vec<Option<JoinHandle<()>>>,
    /// The gather's own hold on its scope.
    hold: Hold,
}

impl Tasks {
    async fn abort_and_wait(&mut self) {
        for h in self.handles.iter_mut() {
            if let Some(h) = h.take() {
                h.abort();
            }
        }
        self.wait().await;
    }

    /// Waits until every task, and everything it started, is gone.
    async fn wait(&self) {
        self.hold.drained().await;
    }

    /// Lets the tasks still running run on (they keep the enclosing scope,
    /// if any, busy until they finish).
    fn leave_running(&mut self) {
        self.handles.iter_mut().for_each(|h| drop(h.take()));
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        for h in self.handles.iter().flatten() {
            h.abort();
        }
    }
}

fn start<I, F, T, E>(futures: I) -> (Tasks, async_channel::Receiver<Done<T, E>>, usize)
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let (tx, rx) = async_channel::unbounded();
    let hold = Hold::new_scope();
    let handles: Vec<Option<JoinHandle<()>>> = futures
        .into_iter()
        .enumerate()
        .map(|(index, fut)| {
            let tx = tx.clone();
            Some(rt::spawn(hold.clone().run(async move {
                let result = match AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(Ok(v)) => Ok(v),
                    Ok(Err(e)) => Err(TaskError::Failed(e)),
                    Err(p) => Err(TaskError::Panicked(rt::panic_message(&*p))),
                };
                let _ = tx.try_send((index, result));
            })))
        })
        .collect();
    let n = handles.len();
    (Tasks { handles, hold }, rx, n)
}

/// Runs every future as a task and returns their values in argument
/// order. Fail-fast-and-cancel: the first error (or panic) aborts the
/// others, waits until they (and whatever they started) are gone, and is
/// returned with its index. This differs from asyncio's `gather`, which
/// leaves the others running: that is [`gather_leave_running`].
///
/// ```
/// use std::time::Duration;
/// use retinue::task::{gather, TaskError};
///
/// # retinue::rt::block_on(async {
/// let delays = [30u64, 10, 20];
/// let values = gather(delays.map(|ms| async move {
///     retinue::rt::sleep(Duration::from_millis(ms)).await;
///     Ok::<_, String>(ms)
/// })).await.unwrap();
/// assert_eq!(values, vec![30, 10, 20]); // argument order
///
/// let failed = gather(vec![
///     Box::pin(async { Err("no".to_string()) }) as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>,
///     Box::pin(async { retinue::rt::sleep(Duration::from_secs(60)).await; Ok(1u64) }),
/// ]).await.unwrap_err();
/// assert_eq!((failed.index, failed.error), (0, TaskError::Failed("no".to_string())));
/// # });
/// ```
pub async fn gather<I, F, T, E>(futures: I) -> Result<Vec<T>, GatherError<E>>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    gather_with(futures, OnError::Cancel).await
}

/// Runs every future as a task and returns their values in argument
/// order, like asyncio's `gather` (without `return_exceptions`): the first
/// error (or panic) is returned at once, with its index, and the other
/// tasks are **left running**; their results are dropped. Prefer
/// [`gather`] (which cancels them) unless they must finish anyway.
///
/// The tasks left running still belong to the enclosing scope: inside a
/// [`Group`](super::Group) child, the group waits for them to finish.
///
/// ```
/// use std::time::Duration;
/// use retinue::task::{gather_leave_running, TaskError};
///
/// # retinue::rt::block_on(async {
/// let (tx, rx) = async_channel::bounded(1);
/// let failed = gather_leave_running(vec![
///     Box::pin(async { Err("no") }) as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>,
///     Box::pin(async move {
///         retinue::rt::sleep(Duration::from_millis(20)).await;
///         tx.send("still ran").await.unwrap();
///         Ok(1)
///     }),
/// ]).await.unwrap_err();
/// assert_eq!((failed.index, failed.error), (0, TaskError::Failed("no")));
/// assert_eq!(rx.recv().await, Ok("still ran")); // not cancelled
/// # });
/// ```
pub async fn gather_leave_running<I, F, T, E>(futures: I) -> Result<Vec<T>, GatherError<E>>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    gather_with(futures, OnError::LeaveRunning).await
}

/// What a gather does with the other tasks on the first failure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnError {
    Cancel,
    LeaveRunning,
}

async fn gather_with<I, F, T, E>(futures: I, on_error: OnError) -> Result<Vec<T>, GatherError<E>>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let (mut tasks, rx, n) = start(futures);
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for _ in 0..n {
        let Ok((index, result)) = rx.recv().await else {
            break;
        };
        tasks.handles[index] = None;
        match result {
            Ok(v) => slots[index] = Some(v),
            Err(error) => {
                match on_error {
                    OnError::Cancel => tasks.abort_and_wait().await,
                    OnError::LeaveRunning => tasks.leave_running(),
                }
                return Err(GatherError { index, error });
            }
        }
    }
    tasks.wait().await;
    Ok(slots.into_iter().flatten().collect())
}

/// Runs every future as a task, waits for all, and returns each result in
/// argument order; nothing is cancelled.
///
/// ```
/// use retinue::task::{gather_all, TaskError};
///
/// # retinue::rt::block_on(async {
/// let results = gather_all((0..3).map(|i| async move {
///     if i == 1 { Err(format!("#{i} failed")) } else { Ok(i * 10) }
/// })).await;
/// assert_eq!(results, vec![Ok(0), Err(TaskError::Failed("#1 failed".into())), Ok(20)]);
/// # });
/// ```
pub async fn gather_all<I, F, T, E>(futures: I) -> Vec<Result<T, TaskError<E>>>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let (mut tasks, rx, n) = start(futures);
    let mut slots: Vec<Option<Result<T, TaskError<E>>>> = (0..n).map(|_| None).collect();
    for _ in 0..n {
        let Ok((index, result)) = rx.recv().await else {
            break;
        };
        tasks.handles[index] = None;
        slots[index] = Some(result);
    }
    tasks.wait().await;
    slots.into_iter().flatten().collect()
}

type AnyBox = Box<dyn Any + Send>;
type Erased<E> = std::pin::Pin<Box<dyn Future<Output = Result<AnyBox, E>> + Send>>;

fn erase<F, T, E>(fut: F) -> Erased<E>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
{
    Box::pin(async move { fut.await.map(|v| Box::new(v) as AnyBox) })
}

fn unerase<T: 'static>(value: Option<AnyBox>) -> T {
    match value.map(|v| v.downcast::<T>()) {
        Some(Ok(v)) => *v,
        // The erased futures were built from these very types, in order.
        _ => unreachable!("gather tuple: value of an unexpected type"),
    }
}

macro_rules! gather_tuple {
    ($(#[$doc:meta])* $name:ident: $($arg:ident $f:ident $t:ident),+) => {
        $(#[$doc])*
        pub async fn $name<E, $($f, $t),+>($($arg: $f),+) -> Result<($($t,)+), GatherError<E>>
        where
            E: Send + 'static,
            $($f: Future<Output = Result<$t, E>> + Send + 'static, $t: Send + 'static,)+
        {
            let values = gather(vec![$(erase($arg)),+]).await?;
            let mut values = values.into_iter();
            Ok(($(unerase::<$t>(values.next()),)+))
        }
    };
}

gather_tuple!(
    /// [`gather`] over two futures of different value types.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let (n, s) = retinue::task::gather2(
    ///     async { Ok::<_, ()>(1u8) },
    ///     async { Ok::<_, ()>("two") },
    /// ).await.unwrap();
    /// assert_eq!((n, s), (1, "two"));
    /// # });
    /// ```
    gather2: a FA A, b FB B
);
gather_tuple!(
    /// [`gather`] over three futures of different value types.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let (id, name, score) = retinue::task::gather3(
    ///     async { Ok::<_, String>(7u64) },
    ///     async { Ok::<_, String>("ada".to_string()) },
    ///     async { Ok::<_, String>(9.5f64) },
    /// ).await.unwrap();
    /// assert_eq!((id, name.as_str(), score), (7, "ada", 9.5));
    /// # });
    /// ```
    gather3: a FA A, b FB B, c FC C
);
gather_tuple!(
    /// [`gather`] over four futures of different value types.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let all = retinue::task::gather4(
    ///     async { Ok::<_, ()>(1u8) },
    ///     async { Ok::<_, ()>('b') },
    ///     async { Ok::<_, ()>("c") },
    ///     async { Ok::<_, ()>(4u32) },
    /// ).await.unwrap();
    /// assert_eq!(all, (1, 'b', "c", 4));
    /// # });
    /// ```
    gather4: a FA A, b FB B, c FC C, d FD D
);
