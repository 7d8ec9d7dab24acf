//! A loom model of the lane's protocol: push / take-all / park / close.
//!
//! Run with
//! `RUSTFLAGS="--cfg retinue_loom" cargo test --release --lib lane::model`.
//! loom runs each closure under every interleaving (and every weak-CAS
//! failure) the memory model allows, so these tests check the invariants
//! stated at the top of `lane.rs` exhaustively for small cases:
//! - nothing pushed is lost or seen twice, and each sender's messages
//!   arrive in push order;
//! - a receiver that parked is always woken by the push that found it
//!   parked (a lost wake-up shows up as a loom deadlock);
//! - a push racing `close` either lands in the closed batch or comes
//!   back to its sender, never both and never neither.

use loom::sync::Arc;
use loom::sync::Notify;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::{Lane, Pushed};
use crate::envelope::{Envelope, Tell};
use crate::{Actor, Context, Handler, Message};

struct Probe;
impl Actor for Probe {}

/// A message naming its sender and its place in that sender's sequence;
/// counts its drops so a test can tell a leak from a double drop.
struct Numbered {
    sender: usize,
    seq: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Numbered {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

impl Message for Numbered {
    type Reply = ();
}

impl Handler<Numbered> for Probe {
    async fn handle(&mut self, _: Numbered, _: &mut Context<Self>) {}
}

fn envelope(sender: usize, seq: usize, drops: &Arc<AtomicUsize>) -> Envelope<Probe> {
    Envelope::new(Tell(
        Numbered {
            sender,
            seq,
            drops: drops.clone(),
        },
        None,
    ))
}

fn unwrap(envelope: Envelope<Probe>) -> Numbered {
    match envelope.into_payload::<Tell<Numbered>>() {
        Some(Tell(msg, _)) => msg,
        None => unreachable!("only `Numbered` tells are pushed"),
    }
}

/// The receiver's half of the mailbox's wait: take, and when the lane is
/// empty, park and sleep until a push that saw the park wakes it.
fn receive_all(lane: &Lane<Probe>, arrived: &Notify, expected: usize) -> Vec<(usize, usize)> {
    let mut seen = Vec::new();
    while seen.len() < expected {
        let batch = lane.take();
        if !batch.is_empty() {
            seen.extend(batch.map(unwrap).map(|m| (m.sender, m.seq)));
            continue;
        }
        // `Notify` keeps a wake-up that comes before `wait`, as the
        // mailbox's listener does once it is registered before `park`.
        if lane.park() {
            arrived.wait();
        }
    }
    seen
}

fn send(
    lane: &Lane<Probe>,
    arrived: &Notify,
    sender: usize,
    count: usize,
    drops: &Arc<AtomicUsize>,
) {
    for seq in 0..count {
        match lane.push(envelope(sender, seq, drops)) {
            Pushed::Delivered { wake: true } => arrived.notify(),
            Pushed::Delivered { wake: false } => {}
            Pushed::Closed(_) => unreachable!("nobody closes in this model"),
        }
    }
}

fn assert_fifo_per_sender(seen: &[(usize, usize)], senders: usize, per_sender: usize) {
    for sender in 0..senders {
        let seqs: Vec<usize> = seen
            .iter()
            .filter(|(s, _)| *s == sender)
            .map(|(_, q)| *q)
            .collect();
        assert_eq!(
            seqs,
            (0..per_sender).collect::<Vec<_>>(),
            "sender {sender}: {seen:?}"
        );
    }
}

#[test]
fn two_senders_nothing_lost_fifo_and_no_lost_wakeup() {
    loom::model(|| {
        let lane = Arc::new(Lane::<Probe>::new());
        let arrived = Arc::new(Notify::new());
        let drops = Arc::new(AtomicUsize::new(0));
        let senders: Vec<_> = (0..2)
            .map(|sender| {
                let (lane, arrived, drops) = (lane.clone(), arrived.clone(), drops.clone());
                thread::spawn(move || send(&lane, &arrived, sender, 2, &drops))
            })
            .collect();
        let seen = receive_all(&lane, &arrived, 4);
        for sender in senders {
            sender.join().unwrap();
        }
        assert_fifo_per_sender(&seen, 2, 2);
        assert_eq!(
            drops.load(Ordering::Relaxed),
            4,
            "each message dropped exactly once"
        );
    });
}

#[test]
fn a_take_that_clears_a_stale_park_loses_no_push() {
    // The receiver parks, is woken by something other than a push (a
    // control message, say), and takes: `take` clears PARKED while a push
    // may be landing. The push must still be received, with or without a
    // wake-up of its own.
    loom::model(|| {
        let lane = Arc::new(Lane::<Probe>::new());
        let arrived = Arc::new(Notify::new());
        let drops = Arc::new(AtomicUsize::new(0));
        assert!(lane.park());
        let sender = {
            let (lane, arrived, drops) = (lane.clone(), arrived.clone(), drops.clone());
            thread::spawn(move || send(&lane, &arrived, 0, 1, &drops))
        };
        let mut seen: Vec<_> = lane.take().map(unwrap).map(|m| (m.sender, m.seq)).collect();
        if seen.is_empty() {
            seen = receive_all(&lane, &arrived, 1);
        }
        sender.join().unwrap();
        assert_eq!(seen, vec![(0, 0)]);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}

#[test]
fn a_push_racing_close_lands_once_or_comes_back() {
    loom::model(|| {
        let lane = Arc::new(Lane::<Probe>::new());
        let drops = Arc::new(AtomicUsize::new(0));
        let sender = {
            let (lane, drops) = (lane.clone(), drops.clone());
            thread::spawn(move || {
                let mut returned = 0;
                for seq in 0..2 {
                    if let Pushed::Closed(back) = lane.push(envelope(0, seq, &drops)) {
                        returned += 1;
                        drop(back);
                    }
                }
                returned
            })
        };
        let closed: Vec<_> = lane
            .close()
            .expect("first close")
            .map(unwrap)
            .map(|m| m.seq)
            .collect();
        assert!(
            lane.close().is_none(),
            "a second close finds the lane closed"
        );
        let returned = sender.join().unwrap();
        assert_eq!(
            closed.len() + returned,
            2,
            "closed {closed:?}, returned {returned}"
        );
        // What landed before the close is a prefix of the sender's order.
        assert_eq!(closed, (0..closed.len()).collect::<Vec<_>>());
        drop(lane);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}

#[test]
fn dropping_a_lane_drops_what_it_holds() {
    loom::model(|| {
        let lane = Arc::new(Lane::<Probe>::new());
        let drops = Arc::new(AtomicUsize::new(0));
        let sender = {
            let (lane, drops) = (lane.clone(), drops.clone());
            thread::spawn(move || {
                let _ = lane.push(envelope(0, 0, &drops));
            })
        };
        let _ = lane.push(envelope(1, 0, &drops));
        sender.join().unwrap();
        drop(lane);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}
