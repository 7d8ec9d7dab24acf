//! Condition: unit tests per behaviour, a model-based property test, a stress test.

use crate::common;

use common::wait::{LONG, wait_until};

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_lite::future::poll_once;
use proptest::prelude::*;
use retinue::rt;
use retinue::sync::{Condition, ConditionError, Lock, LockError, LockGuard};

async fn waiting(cond: &Condition, n: usize) {
    wait_until(&format!("{n} waiting"), || async {
        cond.waiting().await.unwrap() == n
    })
    .await;
}

fn pair() -> (Lock, Condition) {
    let lock = Lock::new();
    let cond = Condition::new(lock.clone());
    (lock, cond)
}

type Waiter = rt::JoinHandle<Result<LockGuard, ConditionError>>;

/// A task that takes the lock, waits on the condition, and reports through
/// `tx` (with the lock held) before releasing.
fn spawn_waiter(lock: &Lock, cond: &Condition, id: u32, tx: async_channel::Sender<u32>) -> Waiter {
    let (lock, cond) = (lock.clone(), cond.clone());
    rt::spawn(async move {
        let guard = lock.acquire().await.unwrap();
        let guard = cond.wait(guard).await?;
        tx.send(id).await.unwrap();
        Ok(guard)
    })
}

#[test]
fn wait_releases_and_reacquires_the_lock() {
    rt::block_on(async {
        let (lock, cond) = pair();
        let (tx, rx) = async_channel::unbounded();
        let waiter = spawn_waiter(&lock, &cond, 1, tx);
        waiting(&cond, 1).await;
        // the waiter released the lock while waiting
        let guard = lock.try_acquire().await.unwrap();
        assert_eq!(cond.notify(&guard, 1).await, Ok(1));
        assert!(
            rx.try_recv().is_err(),
            "woke while the notifier holds the lock"
        );
        drop(guard);
        assert_eq!(rx.recv().await.unwrap(), 1);
        let held = waiter.await.unwrap().unwrap();
        assert_eq!(lock.holder_token().await.unwrap(), Some(held.token()));
    });
}

/// Like [`spawn_waiter`], but reports and releases the lock before it ends.
fn spawn_reporter(
    lock: &Lock,
    cond: &Condition,
    id: u32,
    tx: async_channel::Sender<u32>,
) -> rt::JoinHandle<Result<(), ConditionError>> {
    let (lock, cond) = (lock.clone(), cond.clone());
    rt::spawn(async move {
        let guard = lock.acquire().await.unwrap();
        let guard = cond.wait(guard).await?;
        tx.send(id).await.unwrap();
        drop(guard);
        Ok(())
    })
}

#[test]
fn notify_wakes_fifo_and_notify_all_wakes_everyone() {
    rt::block_on(async {
        let (lock, cond) = pair();
        let (tx, rx) = async_channel::unbounded();
        let mut tasks = Vec::new();
        for i in 0..5 {
            tasks.push(spawn_reporter(&lock, &cond, i, tx.clone()));
            waiting(&cond, i as usize + 1).await;
        }
        let guard = lock.acquire().await.unwrap();
        assert_eq!(cond.notify(&guard, 2).await, Ok(2));
        assert_eq!(cond.waiting().await.unwrap(), 3);
        drop(guard);
        // The two longest-waiting are woken; they re-acquire the lock in
        // whatever order they reach it.
        let mut first = vec![rx.recv().await.unwrap(), rx.recv().await.unwrap()];
        first.sort();
        assert_eq!(first, vec![0, 1]);
        let guard = lock.acquire().await.unwrap();
        assert_eq!(cond.waiting().await.unwrap(), 3);
        assert_eq!(cond.notify_all(&guard).await, Ok(3));
        drop(guard);
        let mut rest = Vec::new();
        for _ in 0..3 {
            rest.push(rx.recv().await.unwrap());
        }
        rest.sort();
        assert_eq!(rest, vec![2, 3, 4]);
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert!(!lock.is_locked().await.unwrap());
    });
}

#[test]
fn wait_timeout_returns_with_the_lock_held() {
    rt::block_on(async {
        let (lock, cond) = pair();
        let guard = lock.acquire().await.unwrap();
        let (guard, result) = cond
            .wait_timeout(guard, Duration::from_millis(5))
            .await
            .unwrap();
        assert!(result.timed_out());
        assert_eq!(lock.holder_token().await.unwrap(), Some(guard.token()));
        assert_eq!(cond.waiting().await.unwrap(), 0);
    });
}

#[test]
fn a_dropped_wait_holds_nothing_and_passes_its_wakeup_on() {
    rt::block_on(async {
        let (lock, cond) = pair();
        // A parks (polled by hand), then B parks behind it.
        let (l, c) = (lock.clone(), cond.clone());
        let mut a = Box::pin(async move {
            let g = l.acquire().await.unwrap();
            c.wait(g).await
        });
        let deadline = Instant::now() + LONG;
        while cond.waiting().await.unwrap() < 1 {
            assert!(poll_once(&mut a).await.is_none());
            assert!(Instant::now() < deadline, "A never parked");
            rt::sleep(Duration::from_millis(1)).await;
        }
        let (tx, rx) = async_channel::unbounded();
        let b = spawn_waiter(&lock, &cond, 2, tx);
        waiting(&cond, 2).await;
        let guard = lock.acquire().await.unwrap();
        // The wake-up is stored in A's reply; A gives up before reading it.
        assert_eq!(cond.notify(&guard, 1).await, Ok(1));
        drop(a);
        drop(guard);
        // B gets the forwarded wake-up.
        assert_eq!(rt::timeout(LONG, rx.recv()).await.unwrap().unwrap(), 2);
        drop(b.await.unwrap().unwrap());
        assert!(!lock.is_locked().await.unwrap());
        assert_eq!(cond.waiting().await.unwrap(), 0);
    });
}

/// The four wait forms, as boxed futures that end holding the lock.
#[derive(Debug, Clone, Copy)]
enum Form {
    Wait,
    WaitFor,
    WaitTimeout,
    WaitForTimeout,
}

type Held = Pin<Box<dyn Future<Output = Result<LockGuard, ConditionError>> + Send>>;

fn wait_form(form: Form, lock: &Lock, cond: &Condition, go: &Arc<AtomicBool>) -> Held {
    let (lock, cond, go) = (lock.clone(), cond.clone(), go.clone());
    Box::pin(async move {
        let g = lock.acquire().await.unwrap();
        let ready = move || go.load(Ordering::SeqCst);
        match form {
            Form::Wait => cond.wait(g).await,
            Form::WaitFor => cond.wait_for(g, ready).await,
            Form::WaitTimeout => cond.wait_timeout(g, LONG).await.map(|(g, _)| g),
            Form::WaitForTimeout => cond.wait_for_timeout(g, LONG, ready).await.map(|(g, _)| g),
        }
    })
}

/// CPython's `test_cancelled_wakeup_relock`: the woken waiter is dropped
/// after the wake-up reached it, while it queues to re-acquire the lock;
/// the notification must pass to the next waiter.
#[test]
fn a_woken_wait_dropped_while_relocking_passes_the_notification_on() {
    for form in [
        Form::Wait,
        Form::WaitFor,
        Form::WaitTimeout,
        Form::WaitForTimeout,
    ] {
        common::cancel::run(async {
            let (lock, cond) = pair();
            let go = Arc::new(AtomicBool::new(false));
            // A parks first (polled by hand, so the test can drop it).
            let mut a = wait_form(form, &lock, &cond, &go);
            let deadline = Instant::now() + LONG;
            while cond.waiting().await.unwrap() < 1 {
                assert!(poll_once(&mut a).await.is_none());
                assert!(Instant::now() < deadline, "{form:?}: A never parked");
                rt::sleep(Duration::from_millis(1)).await;
            }
            let b = rt::spawn(wait_form(form, &lock, &cond, &go));
            waiting(&cond, 2).await;
            let guard = lock.acquire().await.unwrap();
            go.store(true, Ordering::SeqCst);
            assert_eq!(cond.notify(&guard, 1).await, Ok(1));
            // A reads its wake-up and queues for the lock we hold.
            while lock.queue_len().await.unwrap() < 1 {
                assert!(poll_once(&mut a).await.is_none());
                assert!(Instant::now() < deadline, "{form:?}: A never relocked");
                rt::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(cond.waiting().await.unwrap(), 1, "{form:?}: B still parked");
            drop(a);
            drop(guard);
            let held = rt::timeout(LONG, b).await;
            let g = held
                .unwrap_or_else(|_| panic!("{form:?}: the notification was lost"))
                .unwrap()
                .unwrap();
            assert_eq!(lock.holder_token().await.unwrap(), Some(g.token()));
            drop(g);
            let status = cond.status().await.unwrap();
            assert_eq!((status.waiting, status.entries), (0, 0), "{form:?}");
        });
    }
}

#[test]
fn wait_for_checks_the_predicate_under_the_lock() {
    rt::block_on(async {
        let (lock, cond) = pair();
        let flag = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (lock, cond, flag) = (lock.clone(), cond.clone(), flag.clone());
            rt::spawn(async move {
                let g = lock.acquire().await.unwrap();
                cond.wait_for(g, || flag.load(Ordering::SeqCst)).await
            })
        };
        waiting(&cond, 1).await;
        // a notify without the predicate: it goes back to waiting
        let g = lock.acquire().await.unwrap();
        cond.notify_all(&g).await.unwrap();
        drop(g);
        waiting(&cond, 1).await;
        let g = lock.acquire().await.unwrap();
        flag.store(true, Ordering::SeqCst);
        cond.notify_all(&g).await.unwrap();
        drop(g);
        drop(waiter.await.unwrap().unwrap());
        // and the timeout form
        let g = lock.acquire().await.unwrap();
        let (g, ok) = cond
            .wait_for_timeout(g, Duration::from_millis(5), || false)
            .await
            .unwrap();
        assert!(!ok);
        assert_eq!(lock.holder_token().await.unwrap(), Some(g.token()));
    });
}

#[test]
fn misuse_is_a_typed_error() {
    rt::block_on(async {
        let (lock, cond) = pair();
        let other = Lock::new();
        let g = lock.acquire().await.unwrap();
        let o = other.acquire().await.unwrap();
        assert_eq!(cond.notify(&g, 0).await, Err(ConditionError::ZeroCount));
        assert_eq!(cond.notify(&o, 1).await, Err(ConditionError::WrongLock));
        assert_eq!(cond.notify_all(&o).await, Err(ConditionError::WrongLock));
        assert_eq!(cond.wait(o).await.unwrap_err(), ConditionError::WrongLock);
        drop(g);
    });
}

#[test]
fn restart_of_the_condition_is_a_spurious_wakeup_and_stop_an_error() {
    rt::block_on(async {
        let (lock, cond) = pair();
        let (tx, _rx) = async_channel::unbounded();
        let waiter = spawn_waiter(&lock, &cond, 1, tx);
        waiting(&cond, 1).await;
        cond.addr().stop();
        // the parked waiter comes back holding the lock
        let g = rt::timeout(LONG, waiter).await.unwrap().unwrap().unwrap();
        assert_eq!(lock.holder_token().await.unwrap(), Some(g.token()));
        cond.addr().wait_stopped().await;
        assert_eq!(cond.wait(g).await.unwrap_err(), ConditionError::Closed);
        assert!(!lock.is_locked().await.unwrap());
        // a dead lock is reported as a failed re-acquire
        let g = lock.acquire().await.unwrap();
        let cond = Condition::new(lock.clone());
        let c = cond.clone();
        let waiter = rt::spawn(async move { c.wait(g).await });
        waiting(&cond, 1).await;
        lock.addr().stop();
        lock.addr().wait_stopped().await;
        // Nobody can notify without the (dead) lock: stop the condition so
        // the waiter wakes and tries to re-acquire.
        cond.addr().stop();
        assert_eq!(
            rt::timeout(LONG, waiter)
                .await
                .unwrap()
                .unwrap()
                .unwrap_err(),
            ConditionError::Reacquire(LockError::Closed)
        );
    });
}

#[test]
fn stress_producer_consumers() {
    rt::block_on(async {
        const ITEMS: u64 = 200;
        let (lock, cond) = pair();
        let items = Arc::new(AtomicU64::new(0)); // protected by the lock
        let done = Arc::new(AtomicBool::new(false));
        let taken = Arc::new(AtomicU64::new(0));
        let mut consumers = Vec::new();
        for _ in 0..4 {
            let (lock, cond) = (lock.clone(), cond.clone());
            let (items, done, taken) = (items.clone(), done.clone(), taken.clone());
            consumers.push(rt::spawn(async move {
                loop {
                    let g = lock.acquire().await.unwrap();
                    let g = cond
                        .wait_for(g, || {
                            items.load(Ordering::SeqCst) > 0 || done.load(Ordering::SeqCst)
                        })
                        .await
                        .unwrap();
                    let n = items.load(Ordering::SeqCst);
                    if n == 0 {
                        return; // done and drained
                    }
                    rt::yield_now().await;
                    items.store(n - 1, Ordering::SeqCst);
                    taken.fetch_add(1, Ordering::SeqCst);
                    drop(g);
                }
            }));
        }
        for _ in 0..ITEMS {
            let g = lock.acquire().await.unwrap();
            let n = items.load(Ordering::SeqCst);
            items.store(n + 1, Ordering::SeqCst);
            cond.notify(&g, 1).await.unwrap();
        }
        let g = lock.acquire().await.unwrap();
        done.store(true, Ordering::SeqCst);
        cond.notify_all(&g).await.unwrap();
        drop(g);
        for c in consumers {
            rt::timeout(LONG, c).await.unwrap().unwrap();
        }
        assert_eq!(taken.load(Ordering::SeqCst), ITEMS);
        assert_eq!(items.load(Ordering::SeqCst), 0);
    });
}

// ---- model-based property test ------------------------------------------
//
// Clients park on the condition (with the lock), give up, or are notified;
// the model is a FIFO of parked clients. Checks: notify wakes exactly the
// front live waiters (a wake-up that hits a client that gave up moves on),
// and every woken client returns holding the lock, one at a time.

#[derive(Debug, Clone)]
enum Op {
    Wait(usize),
    Cancel(usize),
    Notify(usize),
    NotifyAll,
    Settle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..5usize).prop_map(Op::Wait),
        1 => (0..5usize).prop_map(Op::Cancel),
        2 => (1..3usize).prop_map(Op::Notify),
        1 => Just(Op::NotifyAll),
        2 => Just(Op::Settle),
    ]
}

type Pending = Pin<Box<dyn Future<Output = Result<LockGuard, ConditionError>> + Send>>;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn condition_matches_sequential_model(ops in proptest::collection::vec(op(), 1..30)) {
        rt::block_on(async move {
            let (lock, cond) = pair();
            let mut pending: Vec<Option<Pending>> = (0..5).map(|_| None).collect();
            let mut parked: VecDeque<usize> = VecDeque::new();
            let mut woken: Vec<usize> = Vec::new();
            for op in ops {
                // Wake-ups forwarded from cancelled, woken clients go to the
                // front parked clients; they are served before this ask.
                let live = cond.waiting().await.unwrap();
                assert!(live <= parked.len());
                while parked.len() > live {
                    woken.push(parked.pop_front().unwrap());
                }
                match op {
                    Op::Wait(i) if pending[i].is_none() => {
                        let g = lock.acquire().await.unwrap();
                        let c = cond.clone();
                        let mut fut: Pending = Box::pin(async move { c.wait(g).await });
                        assert!(poll_once(&mut fut).await.is_none());
                        waiting(&cond, parked.len() + 1).await;
                        pending[i] = Some(fut);
                        parked.push_back(i);
                    }
                    Op::Cancel(i) if pending[i].is_some() => {
                        pending[i] = None;
                        parked.retain(|&c| c != i);
                        woken.retain(|&c| c != i);
                        // a wake-up stored for i moves on to the next parked
                        // client (synced at the top of the loop)
                    }
                    Op::Notify(n) => {
                        let g = lock.acquire().await.unwrap();
                        let got = cond.notify(&g, n).await.unwrap();
                        assert_eq!(got, n.min(parked.len()));
                        for _ in 0..got {
                            woken.push(parked.pop_front().unwrap());
                        }
                    }
                    Op::NotifyAll => {
                        let g = lock.acquire().await.unwrap();
                        assert_eq!(cond.notify_all(&g).await.unwrap(), parked.len());
                        woken.extend(parked.drain(..));
                    }
                    Op::Settle => {
                        // every woken client comes back holding the lock
                        for &i in &woken {
                            let fut = pending[i].as_mut().unwrap();
                            let guard = rt::timeout(LONG, fut).await.unwrap().unwrap();
                            assert_eq!(lock.holder_token().await.unwrap(), Some(guard.token()));
                            pending[i] = None;
                        }
                        woken.clear();
                        for &i in &parked {
                            let fut = pending[i].as_mut().unwrap();
                            assert!(poll_once(fut).await.is_none(), "{i} woke without notify");
                        }
                    }
                    _ => {}
                }
            }
            pending.clear();
            assert!(!lock.is_locked().await.unwrap());
            assert_eq!(cond.waiting().await.unwrap(), 0);
        });
    }
}
