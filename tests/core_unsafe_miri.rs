//! The crate's `unsafe` core — the lock-free lane, the type-erased
//! envelopes and the in-place future slot — driven through the public API
//! with nothing but std threads and `futures_lite::future::block_on`, so
//! that Miri can run it (Miri cannot run async-io's reactor: it needs
//! `timerfd_create`). Nothing here sleeps or spawns on a runtime.
//!
//! `cargo +nightly miri test --test core_unsafe_miri` checks these paths
//! for undefined behaviour, leaks and data races; without Miri they are
//! ordinary (fast) tests.
//!
//! What each test walks through:
//! - tells and asks of several message types (different payload sizes and
//!   vtables) from several threads: node allocation, the CAS push, the
//!   take-all swap, the reversal into a batch, the handler future written
//!   into the slot and polled in place, the slot growing for a big future;
//! - a bounded mailbox on capacity 1: senders parking and being woken;
//! - a panicking handler: the placed future is dropped mid-unwind, and the
//!   next instance reuses the slot;
//! - close with messages queued and taken: every envelope dropped once,
//!   askers answered with an error;
//! - a message whose `Drop` panics at close;
//! - a shared mailbox: messages stored in place, boxed (too big, or
//!   over-aligned), given back when full or closed, dropped once at close,
//!   handled by exactly one of several actors on other threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use futures_lite::future::block_on;
use retinue::{Actor, AskError, Capacity, Context, ExitReason, Handler, Inbox, Message};

/// Counts drops so the tests can tell a leak from a double drop.
#[derive(Clone)]
struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Sum {
    total: u64,
    told: u64,
}
impl Actor for Sum {}

struct Add(u64, #[allow(dead_code)] Token);
impl Message for Add {
    type Reply = ();
}
impl Handler<Add> for Sum {
    async fn handle(&mut self, msg: Add, _: &mut Context<Self>) {
        self.total += msg.0;
        self.told += 1;
    }
}

struct Total;
impl Message for Total {
    type Reply = (u64, u64);
}
impl Handler<Total> for Sum {
    async fn handle(&mut self, _: Total, _: &mut Context<Self>) -> (u64, u64) {
        (self.total, self.told)
    }
}

/// A handler whose future is big (a 4 KiB local kept across an await):
/// the slot must grow, and later small futures reuse it.
struct Big(u8);
impl Message for Big {
    type Reply = u64;
}
impl Handler<Big> for Sum {
    async fn handle(&mut self, msg: Big, _: &mut Context<Self>) -> u64 {
        let buffer = [msg.0; 4096];
        futures_lite::future::yield_now().await;
        buffer.iter().map(|b| u64::from(*b)).sum()
    }
}

struct Boom;
impl Message for Boom {
    type Reply = ();
}
impl Handler<Boom> for Sum {
    async fn handle(&mut self, _: Boom, _: &mut Context<Self>) {
        futures_lite::future::yield_now().await;
        panic!("boom (expected by the test)");
    }
}

const SENDERS: u64 = 3;
const PER_SENDER: u64 = if cfg!(miri) { 20 } else { 2_000 };

#[test]
fn tells_and_asks_from_threads_arrive_once_each() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut inbox = Inbox::<Sum>::with_capacity(Capacity::Bounded(4));
    let addr = inbox.addr();
    let actor = thread::spawn(move || block_on(inbox.run(Sum::default())));
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (addr, drops) = (addr.clone(), drops.clone());
            thread::spawn(move || {
                block_on(async {
                    for n in 1..=PER_SENDER {
                        addr.tell(Add(n, Token(drops.clone()))).await.unwrap();
                    }
                    assert_eq!(addr.ask(Big(1)).await, Ok(4096));
                })
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let (total, told) = block_on(addr.ask(Total)).unwrap();
    assert_eq!(told, SENDERS * PER_SENDER);
    assert_eq!(total, SENDERS * PER_SENDER * (PER_SENDER + 1) / 2);
    addr.stop();
    drop(addr);
    assert_eq!(actor.join().unwrap(), ExitReason::Stopped);
    assert_eq!(drops.load(Ordering::SeqCst) as u64, SENDERS * PER_SENDER);
}

#[test]
fn a_panicking_handler_frees_its_future_and_the_next_instance_reuses_the_slot() {
    let mut inbox = Inbox::<Sum>::with_capacity(Capacity::Bounded(8));
    let addr = inbox.addr();
    let asker = {
        let addr = addr.clone();
        thread::spawn(move || block_on(async { (addr.ask(Boom).await, addr.ask(Big(2)).await) }))
    };
    // First instance: panics inside the placed future.
    let first = block_on(inbox.run(Sum::default()));
    assert!(matches!(first, ExitReason::Panicked(_)), "{first:?}");
    // Second instance on the same mailbox answers what was queued.
    let second = thread::spawn(move || block_on(inbox.run(Sum::default())));
    let (boom, big) = asker.join().unwrap();
    assert_eq!(boom, Err(AskError::NoReply));
    assert_eq!(big, Ok(8192));
    addr.stop();
    assert_eq!(second.join().unwrap(), ExitReason::Stopped);
}

#[test]
fn close_drops_every_queued_and_taken_message_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let inbox = Inbox::<Sum>::with_capacity(Capacity::Unbounded);
    let addr = inbox.addr();
    for n in 0..10 {
        addr.try_tell(Add(n, Token(drops.clone())))
            .unwrap_or_else(|_| panic!("room"));
    }
    let asker = {
        let addr = addr.clone();
        thread::spawn(move || block_on(addr.ask(Total)))
    };
    while addr.mailbox_len() < 11 {
        thread::yield_now();
    }
    inbox.close(ExitReason::Shutdown);
    // The length counts the place the ask reserved, which can come just
    // before its push: the close then refuses the push (`Closed`) instead
    // of dropping the queued ask (`NoReply`). Either way it is answered.
    let asked = asker.join().unwrap();
    assert!(
        matches!(asked, Err(AskError::NoReply | AskError::Closed)),
        "{asked:?}"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 10);
    assert!(
        addr.try_tell(Total).is_err(),
        "a closed mailbox takes nothing"
    );
}

struct PanicsOnDrop;
impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("drop panics (expected by the test)");
        }
    }
}
struct Carry(#[allow(dead_code)] PanicsOnDrop);
impl Message for Carry {
    type Reply = ();
}
impl Handler<Carry> for Sum {
    async fn handle(&mut self, msg: Carry, _: &mut Context<Self>) {
        std::mem::forget(msg);
    }
}

#[test]
fn a_message_whose_drop_panics_at_close_does_not_stop_the_close() {
    let drops = Arc::new(AtomicUsize::new(0));
    let inbox = Inbox::<Sum>::with_capacity(Capacity::Unbounded);
    let addr = inbox.addr();
    addr.try_tell(Carry(PanicsOnDrop))
        .unwrap_or_else(|_| panic!("room"));
    addr.try_tell(Add(1, Token(drops.clone())))
        .unwrap_or_else(|_| panic!("room"));
    inbox.close(ExitReason::Shutdown);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the message behind it is dropped too"
    );
    assert_eq!(block_on(addr.wait_stopped()), ExitReason::Shutdown);
}

// ----- the shared mailbox: envelopes stored in place (or boxed) ----------

/// Too big to be stored in place (more than six words): boxed.
struct Wide([u64; 16], #[allow(dead_code)] Token);
impl Message for Wide {
    type Reply = u64;
}
impl Handler<Wide> for Sum {
    async fn handle(&mut self, msg: Wide, _: &mut Context<Self>) -> u64 {
        msg.0.iter().sum()
    }
}

/// Aligned beyond a word: boxed too, whatever its size.
#[repr(align(64))]
struct Aligned(u64);
struct Far(Aligned);
impl Message for Far {
    type Reply = u64;
}
impl Handler<Far> for Sum {
    async fn handle(&mut self, msg: Far, _: &mut Context<Self>) -> u64 {
        assert_eq!(std::ptr::from_ref(&msg.0) as usize % 64, 0, "still aligned");
        msg.0.0
    }
}

#[test]
fn shared_tells_and_asks_of_every_payload_form_arrive_once_each() {
    use retinue::SharedMailbox;
    let drops = Arc::new(AtomicUsize::new(0));
    let shared = SharedMailbox::<Sum>::new(Capacity::Bounded(2));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let mut inbox = Inbox::<Sum>::new();
            inbox.share(&shared);
            let addr = inbox.addr();
            (
                addr,
                thread::spawn(move || block_on(inbox.run(Sum::default()))),
            )
        })
        .collect();
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (shared, drops) = (shared.clone(), drops.clone());
            thread::spawn(move || {
                block_on(async {
                    for n in 1..=PER_SENDER {
                        shared.tell(Add(n, Token(drops.clone()))).await.unwrap();
                    }
                    let wide = shared.ask(Wide([2; 16], Token(drops.clone())));
                    assert_eq!(wide.await, Ok(32));
                    assert_eq!(shared.ask(Far(Aligned(7))).await, Ok(7));
                })
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let mut told = 0;
    for (addr, _) in &workers {
        told += block_on(addr.ask(Total)).unwrap().1;
    }
    assert_eq!(
        told,
        2 * PER_SENDER,
        "each tell handled by exactly one worker"
    );
    for (addr, worker) in workers {
        addr.stop();
        assert_eq!(worker.join().unwrap(), ExitReason::Stopped);
    }
    assert_eq!(drops.load(Ordering::SeqCst) as u64, 2 * PER_SENDER + 2);
}

#[test]
fn shared_close_and_refusals_give_back_or_drop_every_message_once() {
    use retinue::{SharedMailbox, TrySendError};
    let drops = Arc::new(AtomicUsize::new(0));
    let shared = SharedMailbox::<Sum>::new(Capacity::Bounded(3));
    shared
        .try_tell(Add(1, Token(drops.clone())))
        .unwrap_or_else(|_| panic!("room"));
    shared
        .try_tell(Wide([1; 16], Token(drops.clone())))
        .unwrap_or_else(|_| panic!("room"));
    let asker = {
        let shared = shared.clone();
        thread::spawn(move || block_on(shared.ask(Total)))
    };
    while shared.len() < 3 {
        thread::yield_now();
    }
    // Full: both forms come back whole, nothing dropped.
    match shared.try_tell(Add(2, Token(drops.clone()))) {
        Err(TrySendError::Full(Add(2, token))) => drop(token),
        _ => panic!("full"),
    }
    match shared.try_tell(Wide([3; 16], Token(drops.clone()))) {
        Err(TrySendError::Full(Wide(words, token))) => {
            assert_eq!(words, [3; 16]);
            drop(token);
        }
        _ => panic!("full"),
    }
    assert_eq!(drops.load(Ordering::SeqCst), 2, "only the two given back");
    assert!(shared.drop_oldest(), "the first, in place");
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    shared.close();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        4,
        "the boxed one dropped once"
    );
    assert_eq!(asker.join().unwrap(), Err(AskError::NoReply));
    match block_on(shared.tell(Add(4, Token(drops.clone())))) {
        Err(retinue::SendError(Add(4, token))) => drop(token),
        _ => panic!("closed"),
    }
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn a_shared_message_that_panics_its_handler_frees_it_and_a_new_instance_serves_on() {
    use retinue::SharedMailbox;
    let shared = SharedMailbox::<Sum>::new(Capacity::Bounded(8));
    let mut inbox = Inbox::<Sum>::new();
    inbox.share(&shared);
    let addr = inbox.addr();
    let asker = {
        let shared = shared.clone();
        thread::spawn(move || {
            block_on(async { (shared.ask(Boom).await, shared.ask(Big(3)).await) })
        })
    };
    let first = block_on(inbox.run(Sum::default()));
    assert!(matches!(first, ExitReason::Panicked(_)), "{first:?}");
    let second = thread::spawn(move || block_on(inbox.run(Sum::default())));
    let (boom, big) = asker.join().unwrap();
    assert_eq!(boom, Err(AskError::NoReply));
    assert_eq!(big, Ok(3 * 4096));
    addr.stop();
    assert_eq!(second.join().unwrap(), ExitReason::Stopped);
}
