//! Stress tests for the mailbox's lock-free hot path (the user lane, the
//! bounded accounting and the wake-ups between senders and the receiver).
//!
//! Invariants these tests check, through the public API only:
//! - per-sender FIFO and exact totals with many senders on tiny capacities
//!   (1, 2, 3) and unbounded: a lost wake-up of the receiver or of a sender
//!   waiting for room shows up as a timeout, not as a stuck test run;
//! - nothing lost, nothing duplicated when the mailbox closes while
//!   senders push: each message is dropped exactly once, whether it was
//!   handled, given back to its sender, or discarded at close;
//! - every ask resolves (a reply, `Closed` or `NoReply`) when it races a stop;
//! - messages taken but not yet handled survive a handler panic and are
//!   served, in order, by the next instance on the same `Inbox`;
//! - a message told right before its sender drops the last address is
//!   handled, not discarded as "orphaned";
//! - an urgent (control lane) message is handled before every ordinary one
//!   told after it.
//!
//! Every await that could hang is bounded by `rt::timeout` with a generous
//! limit, so a hang fails the test.
//!
//! Deliberate breakages these tests were seen to catch (each undone after):
//! no wake on a push that clears `PARKED`, `park` setting no tag, no
//! `unreserve` notification, `unreserve` waking one sender instead of all
//! (capacities 2 and 3), places never freed, the batch not reversed (FIFO),
//! `close` leaking the queue or not waking waiting senders, the batch
//! dropped on a handler panic, a payload dropped twice (the process
//! aborts), a spin between the control look and the user take (the urgent
//! test: that race needs the widened window to show here; the lock's model
//! test met it under load), and the bugs fixed with these tests (an
//! orphaned actor discarding the last sender's message; a panicking `Drop`
//! at close hanging every waiter; an urgent message overtaken by an
//! ordinary one told after it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use retinue::{
    Actor, AskError, Capacity, Context, ExitReason, Handler, Inbox, Message, SendError,
    TrySendError, WeakAddr, rt,
};

use crate::common;

use common::cancel::run;
use common::wait::LONG as LIMIT;

/// Runs `fut` as a task on the runtime (so the executor's workers poll it,
/// not the test thread), failing the test if it fails or hangs.
fn run_bounded<F: Future<Output = ()> + Send + 'static>(what: &str, fut: F) {
    if let Err(err) = run(rt::spawn(fut)) {
        panic!("{what}: the test task failed: {err:?}");
    }
}

// ----- drop accounting -------------------------------------------------------

/// One drop counter per message id.
struct Drops(Vec<AtomicUsize>);

impl Drops {
    fn new(n: usize) -> Arc<Self> {
        Arc::new(Drops((0..n).map(|_| AtomicUsize::new(0)).collect()))
    }
    fn assert_each_dropped_once(&self, what: &str) {
        for (id, d) in self.0.iter().enumerate() {
            assert_eq!(d.load(Ordering::SeqCst), 1, "{what}: message {id} dropped");
        }
    }
}

/// A message with an id that counts its own drop.
struct Tracked {
    sender: usize,
    seq: usize,
    id: usize,
    drops: Arc<Drops>,
}
impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.0[self.id].fetch_add(1, Ordering::SeqCst);
    }
}
impl Message for Tracked {
    type Reply = ();
}

// ----- the recording actor -----------------------------------------------------

/// Checks per-sender FIFO as messages arrive and counts them.
struct Checker {
    next: Vec<usize>,
    handled: Arc<Vec<AtomicBool>>,
    total: usize,
    out_of_order: usize,
}
impl Checker {
    fn new(senders: usize, ids: usize) -> (Self, Arc<Vec<AtomicBool>>) {
        let handled: Arc<Vec<AtomicBool>> =
            Arc::new((0..ids).map(|_| AtomicBool::new(false)).collect());
        let checker = Checker {
            next: vec![0; senders],
            handled: handled.clone(),
            total: 0,
            out_of_order: 0,
        };
        (checker, handled)
    }
}
impl Actor for Checker {}
impl Handler<Tracked> for Checker {
    async fn handle(&mut self, msg: Tracked, _: &mut Context<Self>) {
        // Seqs may skip (a message given back) but never go back.
        if msg.seq < self.next[msg.sender] {
            self.out_of_order += 1;
        }
        self.next[msg.sender] = msg.seq + 1;
        let twice = self.handled[msg.id].swap(true, Ordering::SeqCst);
        assert!(!twice, "message {} handled twice", msg.id);
        self.total += 1;
        if msg.id % 5 == 0 {
            rt::yield_now().await; // let the lane fill behind us
        }
    }
}

/// How many handled, and how many out of order.
struct Stats;
impl Message for Stats {
    type Reply = (usize, usize);
}
impl Handler<Stats> for Checker {
    async fn handle(&mut self, _: Stats, _: &mut Context<Self>) -> (usize, usize) {
        (self.total, self.out_of_order)
    }
}

// ----- 1. many senders, tiny capacities ----------------------------------------

fn many_senders(capacity: Capacity) {
    const SENDERS: usize = 16;
    const EACH: usize = 1000;
    run_bounded(&format!("{capacity:?}"), async move {
        let drops = Drops::new(SENDERS * EACH);
        let (checker, handled) = Checker::new(SENDERS, SENDERS * EACH);
        let addr = retinue::spawn_with(checker, capacity);
        let tasks: Vec<_> = (0..SENDERS)
            .map(|sender| {
                let addr = addr.clone();
                let drops = drops.clone();
                rt::spawn(async move {
                    for seq in 0..EACH {
                        let msg = Tracked {
                            sender,
                            seq,
                            id: sender * EACH + seq,
                            drops: drops.clone(),
                        };
                        // Every third sender polls with `try_tell` instead
                        // of waiting inside `tell`.
                        if sender % 3 == 0 {
                            let mut msg = msg;
                            loop {
                                match addr.try_tell(msg) {
                                    Ok(()) => break,
                                    Err(TrySendError::Full(m)) => {
                                        msg = m;
                                        rt::yield_now().await;
                                    }
                                    Err(TrySendError::Closed(_)) => panic!("closed"),
                                }
                            }
                        } else if addr.tell(msg).await.is_err() {
                            panic!("closed");
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let (total, out_of_order) = addr.ask(Stats).await.unwrap();
        assert_eq!(total, SENDERS * EACH, "{capacity:?}: every message handled");
        assert_eq!(out_of_order, 0, "{capacity:?}: per-sender FIFO");
        assert!(handled.iter().all(|h| h.load(Ordering::SeqCst)));
        drops.assert_each_dropped_once(&format!("{capacity:?}"));
    });
}

#[test]
fn many_senders_on_capacity_1_keep_order_and_lose_nothing() {
    many_senders(Capacity::Bounded(1));
}

#[test]
fn many_senders_on_capacity_2_keep_order_and_lose_nothing() {
    many_senders(Capacity::Bounded(2));
}

#[test]
fn many_senders_on_capacity_3_keep_order_and_lose_nothing() {
    many_senders(Capacity::Bounded(3));
}

#[test]
fn many_senders_unbounded_keep_order_and_lose_nothing() {
    many_senders(Capacity::Unbounded);
}

// ----- 2. close while sending --------------------------------------------------

/// A message whose `Drop` sends another message to the same actor (as a
/// guard's release does): while the mailbox is open it is delivered,
/// during and after close it comes back.
struct Boomerang {
    inner: Tracked,
    to: WeakAddr<Checker>,
    echo_drops: Arc<Drops>,
}
impl Message for Boomerang {
    type Reply = ();
}
impl Drop for Boomerang {
    fn drop(&mut self) {
        let echo = Tracked {
            sender: 0,
            seq: 0,
            id: self.inner.id,
            drops: self.echo_drops.clone(),
        };
        if let Some(addr) = self.to.upgrade() {
            // Either delivered (then handled or discarded at close, and
            // dropped there) or handed back and dropped right here.
            let _ = addr.tell_urgent(Echo(echo));
        }
        // Without an address the echo is dropped here.
    }
}
impl Handler<Boomerang> for Checker {
    async fn handle(&mut self, msg: Boomerang, _: &mut Context<Self>) {
        let id = msg.inner.id;
        let twice = self.handled[id].swap(true, Ordering::SeqCst);
        assert!(!twice, "message {id} handled twice");
        self.total += 1;
    }
}

struct Echo(#[allow(dead_code)] Tracked);
impl Message for Echo {
    type Reply = ();
}
impl Handler<Echo> for Checker {
    async fn handle(&mut self, msg: Echo, _: &mut Context<Self>) {
        drop(msg);
    }
}

#[test]
fn close_while_sending_loses_nothing_and_duplicates_nothing() {
    const SENDERS: usize = 8;
    const EACH: usize = 300;
    const ROUNDS: usize = 12;
    run_bounded("close while sending", async {
        for round in 0..ROUNDS {
            let capacity = [
                Capacity::Bounded(1),
                Capacity::Bounded(2),
                Capacity::Bounded(3),
                Capacity::Unbounded,
            ][round % 4];
            let drops = Drops::new(SENDERS * EACH);
            let echo_drops = Drops::new(SENDERS * EACH);
            let (checker, handled) = Checker::new(SENDERS, SENDERS * EACH);
            let addr = retinue::spawn_with(checker, capacity);
            let returned: Arc<Vec<AtomicBool>> = Arc::new(
                (0..SENDERS * EACH)
                    .map(|_| AtomicBool::new(false))
                    .collect(),
            );
            let sent = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..SENDERS)
                .map(|sender| {
                    let addr = addr.clone();
                    let drops = drops.clone();
                    let echo_drops = echo_drops.clone();
                    let returned = returned.clone();
                    let sent = sent.clone();
                    rt::spawn(async move {
                        for seq in 0..EACH {
                            let id = sender * EACH + seq;
                            let inner = Tracked {
                                sender,
                                seq,
                                id,
                                drops: drops.clone(),
                            };
                            sent.fetch_add(1, Ordering::SeqCst);
                            let back = if id % 4 == 1 {
                                let msg = Boomerang {
                                    inner,
                                    to: addr.downgrade(),
                                    echo_drops: echo_drops.clone(),
                                };
                                match addr.tell(msg).await {
                                    Ok(()) => false,
                                    Err(SendError(m)) => {
                                        assert_eq!(m.inner.id, id, "its own message back");
                                        true
                                    }
                                }
                            } else if id % 4 == 2 {
                                match addr.try_tell(inner) {
                                    Ok(()) => false,
                                    Err(TrySendError::Full(m) | TrySendError::Closed(m)) => {
                                        assert_eq!(m.id, id, "its own message back");
                                        true
                                    }
                                }
                            } else {
                                match addr.tell(inner).await {
                                    Ok(()) => false,
                                    Err(SendError(m)) => {
                                        assert_eq!(m.id, id, "its own message back");
                                        true
                                    }
                                }
                            };
                            returned[id].store(back, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            // Stop once a share of the traffic is in flight.
            let stop_at = SENDERS * EACH / (2 + round);
            while sent.load(Ordering::SeqCst) < stop_at {
                rt::yield_now().await;
            }
            addr.stop();
            let reason = addr.wait_stopped().await;
            assert_eq!(reason, ExitReason::Stopped);
            for t in tasks {
                t.await.unwrap();
            }
            // Boomerangs not yet dropped would still hold nothing: all
            // messages are dropped by now (handled, given back, discarded).
            for id in 0..SENDERS * EACH {
                let h = handled[id].load(Ordering::SeqCst);
                let r = returned[id].load(Ordering::SeqCst);
                assert!(
                    !(h && r),
                    "round {round}: message {id} handled and given back"
                );
            }
            drops.assert_each_dropped_once(&format!("round {round} ({capacity:?})"));
            for (id, d) in echo_drops.0.iter().enumerate() {
                let expected = usize::from(id % 4 == 1);
                assert_eq!(
                    d.load(Ordering::SeqCst),
                    expected,
                    "round {round}: echo of {id} dropped"
                );
            }
            assert!(!addr.is_alive());
        }
    });
}

// ----- 3. asks racing with stop -------------------------------------------------

struct Slow;
impl Actor for Slow {}
struct Double(u64);
impl Message for Double {
    type Reply = u64;
}
impl Handler<Double> for Slow {
    async fn handle(&mut self, msg: Double, _: &mut Context<Self>) -> u64 {
        if msg.0 % 3 == 0 {
            rt::yield_now().await;
        }
        msg.0 * 2
    }
}

#[test]
fn asks_racing_with_stop_all_resolve() {
    const ASKERS: usize = 8;
    const EACH: u64 = 200;
    run_bounded("asks racing with stop", async {
        for round in 0..8usize {
            let capacity = if round % 2 == 0 {
                Capacity::Bounded(1 + round % 3)
            } else {
                Capacity::Unbounded
            };
            let addr = retinue::spawn_with(Slow, capacity);
            let answered = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..ASKERS)
                .map(|_| {
                    let addr = addr.clone();
                    let answered = answered.clone();
                    rt::spawn(async move {
                        let (mut ok, mut failed) = (0, 0);
                        for i in 0..EACH {
                            match rt::timeout(LIMIT, addr.ask(Double(i))).await {
                                Ok(Ok(v)) => {
                                    assert_eq!(v, i * 2);
                                    ok += 1;
                                    answered.fetch_add(1, Ordering::SeqCst);
                                }
                                Ok(Err(AskError::Closed | AskError::NoReply)) => failed += 1,
                                Ok(Err(other)) => panic!("unexpected ask error {other:?}"),
                                Err(_) => panic!("an ask hung across a stop"),
                            }
                        }
                        (ok, failed)
                    })
                })
                .collect();
            let stop_at = (ASKERS * EACH as usize) / (2 + round);
            while answered.load(Ordering::SeqCst) < stop_at {
                rt::yield_now().await;
            }
            addr.stop();
            let mut total = 0;
            for t in tasks {
                let (ok, failed) = t.await.unwrap();
                total += ok + failed;
            }
            assert_eq!(total, ASKERS * EACH as usize, "every ask resolved");
            assert_eq!(addr.wait_stopped().await, ExitReason::Stopped);
        }
    });
}

// ----- 4. a handler panicking mid-batch -----------------------------------------

/// Records ids; panics on ids that are multiples of 7 (after the first).
struct Fragile {
    seen: Arc<std::sync::Mutex<Vec<usize>>>,
}
impl Actor for Fragile {}
impl Handler<Tracked> for Fragile {
    async fn handle(&mut self, msg: Tracked, _: &mut Context<Self>) {
        if msg.id % 7 == 3 {
            panic!("boom on {}", msg.id);
        }
        self.seen.lock().unwrap().push(msg.id);
    }
}

fn panics_mid_batch(capacity: Capacity, concurrent_sender: bool) {
    const N: usize = 300;
    run_bounded("panic mid-batch", async move {
        let drops = Drops::new(N);
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut inbox = Inbox::<Fragile>::with_capacity(capacity);
        let addr = inbox.addr();
        let msgs = {
            let drops = drops.clone();
            (0..N).map(move |id| Tracked {
                sender: 0,
                seq: id,
                id,
                drops: drops.clone(),
            })
        };
        let sender = if concurrent_sender {
            Some(rt::spawn(async move {
                for m in msgs {
                    if addr.tell(m).await.is_err() {
                        panic!("closed");
                    }
                }
                // Dropping the last address ends the last instance.
            }))
        } else {
            // Queue everything first, so that the first take gets a batch
            // of all of it and the panics hit the middle of that batch.
            for m in msgs {
                assert!(addr.try_tell(m).is_ok());
            }
            drop(addr);
            None
        };
        let mut panics = 0;
        loop {
            match inbox.run(Fragile { seen: seen.clone() }).await {
                ExitReason::Panicked(_) => panics += 1,
                ExitReason::Normal => break,
                other => panic!("unexpected exit {other:?}"),
            }
        }
        if let Some(sender) = sender {
            sender.await.unwrap();
        }
        inbox.close(ExitReason::Normal);
        let expected: Vec<usize> = (0..N).filter(|id| id % 7 != 3).collect();
        assert_eq!(
            *seen.lock().unwrap(),
            expected,
            "queued messages survive, in order"
        );
        assert_eq!(panics, (0..N).filter(|id| id % 7 == 3).count());
        drops.assert_each_dropped_once("panic mid-batch");
    });
}

#[test]
fn a_panic_mid_batch_keeps_the_rest_of_the_batch_for_the_next_instance() {
    panics_mid_batch(Capacity::Unbounded, false);
    panics_mid_batch(Capacity::Bounded(300), false);
}

#[test]
fn a_panic_mid_batch_under_a_concurrent_sender_on_tiny_capacity() {
    panics_mid_batch(Capacity::Bounded(1), true);
    panics_mid_batch(Capacity::Bounded(3), true);
}

// ----- 5. each message dropped exactly once ---------------------------------------

/// A zero-sized message with a `Drop` (counted in a static).
struct Zst;
static ZST_DROPS: AtomicUsize = AtomicUsize::new(0);
static ZST_HANDLED: AtomicUsize = AtomicUsize::new(0);
impl Drop for Zst {
    fn drop(&mut self) {
        ZST_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}
impl Message for Zst {
    type Reply = ();
}

/// Holds the actor in a handler until the gate opens.
struct Gate(async_channel::Receiver<()>, async_channel::Sender<()>);
impl Message for Gate {
    type Reply = ();
}

struct Keeper;
impl Actor for Keeper {}
impl Handler<Tracked> for Keeper {
    async fn handle(&mut self, _: Tracked, _: &mut Context<Self>) {}
}
impl Handler<Zst> for Keeper {
    async fn handle(&mut self, _: Zst, _: &mut Context<Self>) {
        ZST_HANDLED.fetch_add(1, Ordering::SeqCst);
    }
}
impl Handler<Gate> for Keeper {
    async fn handle(&mut self, msg: Gate, _: &mut Context<Self>) {
        let _ = msg.1.send(()).await; // "I am in the handler"
        let _ = msg.0.recv().await;
    }
}

#[test]
fn each_message_is_dropped_exactly_once_handled_refused_or_discarded() {
    run_bounded("drop accounting", async {
        const N: usize = 11;
        let drops = Drops::new(N);
        let msg = |id| Tracked {
            sender: 0,
            seq: id,
            id,
            drops: drops.clone(),
        };
        let addr = retinue::spawn_with(Keeper, Capacity::Bounded(3));
        // 0, 1 and a ZST: handled.
        addr.tell(msg(0)).await.unwrap();
        addr.tell(msg(1)).await.unwrap();
        addr.tell(Zst).await.unwrap();
        // Hold the actor busy, then fill the lane: 2, 3 and a ZST queued.
        let (open, gate) = async_channel::bounded(1);
        let (inside_tx, inside) = async_channel::bounded(1);
        addr.tell(Gate(gate, inside_tx)).await.unwrap();
        inside.recv().await.unwrap();
        addr.tell(msg(2)).await.unwrap();
        addr.tell(msg(3)).await.unwrap();
        addr.tell(Zst).await.unwrap();
        // 4 and a ZST: refused, full.
        match addr.try_tell(msg(4)) {
            Err(TrySendError::Full(m)) => assert_eq!(m.id, 4),
            other => panic!("expected Full, got Ok = {}", other.is_ok()),
        }
        assert!(matches!(addr.try_tell(Zst), Err(TrySendError::Full(Zst))));
        assert_eq!(
            drops.0[4].load(Ordering::SeqCst),
            1,
            "the refused one, once"
        );
        // 5, 6: urgent, ahead of the stop on the control lane: handled.
        addr.tell_urgent(msg(5)).unwrap();
        addr.tell_urgent(msg(6)).unwrap();
        // The stop takes effect after those: 2, 3 and the queued ZST are
        // discarded at close.
        addr.stop();
        drop(open);
        assert_eq!(addr.wait_stopped().await, ExitReason::Stopped);
        for id in [2, 3] {
            assert_eq!(
                drops.0[id].load(Ordering::SeqCst),
                1,
                "discarded {id}, once"
            );
        }
        // 7, 8: refused, closed; 9 (urgent) and 10 (try) too.
        match addr.tell(msg(7)).await {
            Err(SendError(m)) => assert_eq!(m.id, 7),
            Ok(()) => panic!("told a stopped actor"),
        }
        assert!(addr.tell(msg(8)).await.is_err());
        assert!(addr.tell_urgent(msg(9)).is_err());
        assert!(matches!(
            addr.try_tell(msg(10)),
            Err(TrySendError::Closed(_))
        ));
        drops.assert_each_dropped_once("drop accounting");
        // ZSTs: one handled, one queued and discarded, one refused (Full),
        // each dropped once.
        assert_eq!(ZST_HANDLED.load(Ordering::SeqCst), 1);
        assert_eq!(ZST_DROPS.load(Ordering::SeqCst), 3);
    });
}

// ----- 6. the last sender leaving -------------------------------------------------

/// Counts what it handled and reports it when it stops.
struct Tally {
    handled: usize,
    report: async_channel::Sender<(usize, ExitReason)>,
}
impl Actor for Tally {
    async fn stopped(&mut self, _: &mut Context<Self>, reason: &ExitReason) {
        let _ = self.report.try_send((self.handled, reason.clone()));
    }
}
struct Tick;
impl Message for Tick {
    type Reply = ();
}
impl Handler<Tick> for Tally {
    async fn handle(&mut self, _: Tick, _: &mut Context<Self>) {
        self.handled += 1;
    }
}

#[test]
fn a_message_told_just_before_the_last_address_drops_is_handled() {
    // The race: the receiver finds the lane empty, then a sender pushes
    // and drops the last address, then the receiver sees no senders and
    // ends as orphaned. The message must not be discarded.
    const ROUNDS: usize = 40_000;
    const SENDERS: usize = 2;
    run_bounded("last sender leaving", async {
        for round in 0..ROUNDS {
            let (report, reports) = async_channel::bounded(1);
            let capacity = if round % 2 == 0 {
                Capacity::Unbounded
            } else {
                Capacity::Bounded(4)
            };
            let addr = retinue::spawn_with(Tally { handled: 0, report }, capacity);
            let tasks: Vec<_> = (0..SENDERS)
                .map(|_| {
                    let addr = addr.clone();
                    rt::spawn(async move {
                        addr.tell(Tick).await.unwrap();
                        // Dropped right after the push.
                    })
                })
                .collect();
            drop(addr);
            for t in tasks {
                t.await.unwrap();
            }
            let (handled, reason) = reports.recv().await.unwrap();
            assert_eq!(reason, ExitReason::Normal);
            assert_eq!(
                handled, SENDERS,
                "round {round}: a told message was discarded"
            );
        }
    });
}

// ----- 7. a message whose drop panics, discarded at close -------------------------

/// Panics when dropped unhandled (a user bug, but one that must not hang
/// everyone else waiting on the actor).
struct Grenade;
impl Drop for Grenade {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a queued message's Drop panicked");
        }
    }
}
impl Message for Grenade {
    type Reply = ();
}
impl Handler<Grenade> for Keeper {
    async fn handle(&mut self, msg: Grenade, _: &mut Context<Self>) {
        std::mem::forget(msg); // handled ones are defused
    }
}

#[test]
fn a_panicking_drop_at_close_does_not_hang_waiters_or_other_askers() {
    run_bounded("panicking drop at close", async {
        let drops = Drops::new(3);
        let addr = retinue::spawn_with(Keeper, Capacity::Bounded(8));
        let (open, gate) = async_channel::bounded(1);
        let (inside_tx, inside) = async_channel::bounded(1);
        addr.tell(Gate(gate, inside_tx)).await.unwrap();
        inside.recv().await.unwrap();
        // Queued behind the gate: a tracked message, the grenade, another
        // tracked message and an ask (whose port must be dropped: NoReply).
        let tracked = |id| Tracked {
            sender: 0,
            seq: id,
            id,
            drops: drops.clone(),
        };
        addr.tell(tracked(0)).await.unwrap();
        addr.tell(Grenade).await.unwrap();
        addr.tell(tracked(1)).await.unwrap();
        let ask = rt::spawn({
            let addr = addr.clone();
            let asked = tracked(2);
            async move { addr.ask(asked).await }
        });
        while addr.mailbox_len() < 4 {
            rt::yield_now().await;
        }
        addr.stop();
        drop(open);
        let reason = rt::timeout(LIMIT / 2, addr.wait_stopped()).await;
        assert_eq!(reason, Ok(ExitReason::Stopped), "wait_stopped resolves");
        let asked = rt::timeout(LIMIT / 2, ask).await.expect("the ask resolves");
        assert_eq!(asked.unwrap(), Err(AskError::NoReply));
        drops.assert_each_dropped_once("around the grenade");
    });
}

// ----- 8. the control lane never falls behind the user lane -----------------------

/// Records, per ordinary message, whether the urgent one told before it
/// had been handled first.
#[derive(Default)]
struct Priority {
    last_urgent: u64,
    overtaken: u64,
}
impl Actor for Priority {}

struct Urgent(u64);
impl Message for Urgent {
    type Reply = ();
}
impl Handler<Urgent> for Priority {
    async fn handle(&mut self, Urgent(i): Urgent, _: &mut Context<Self>) {
        self.last_urgent = i;
    }
}

struct Plain(u64);
impl Message for Plain {
    type Reply = ();
}
impl Handler<Plain> for Priority {
    async fn handle(&mut self, Plain(i): Plain, _: &mut Context<Self>) {
        if self.last_urgent < i {
            self.overtaken += 1;
        }
    }
}

struct Overtaken;
impl Message for Overtaken {
    type Reply = u64;
}
impl Handler<Overtaken> for Priority {
    async fn handle(&mut self, _: Overtaken, _: &mut Context<Self>) -> u64 {
        self.overtaken
    }
}

/// `tell_urgent` promises handling before any queued ordinary message, so
/// an ordinary message told after an urgent one never overtakes it. The
/// race this catches: the receiver found the control lane empty, the
/// sender then pushed both, and the receiver took the ordinary message
/// without looking at the control lane again. A second sender's filler
/// keeps the receiver turning through that window.
#[test]
fn an_urgent_message_is_handled_before_ordinary_ones_told_after_it() {
    run_bounded("urgent before ordinary", async {
        let addr = retinue::spawn(Priority::default());
        let done = Arc::new(AtomicBool::new(false));
        let filler = rt::spawn({
            let (addr, done) = (addr.clone(), done.clone());
            async move {
                while !done.load(Ordering::Relaxed) {
                    addr.tell(Plain(0)).await.unwrap();
                }
            }
        });
        for i in 1..=100_000 {
            addr.tell_urgent(Urgent(i)).unwrap();
            addr.tell(Plain(i)).await.unwrap();
        }
        done.store(true, Ordering::Relaxed);
        filler.await.unwrap();
        assert_eq!(
            addr.ask(Overtaken).await,
            Ok(0),
            "ordinary messages overtook urgent ones"
        );
    });
}
