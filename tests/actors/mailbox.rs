//! Mailbox behaviour: FIFO, backpressure, the control lane, capacity.

use futures_lite::future;
use retinue::{Actor, Addr, Capacity, Context, Handler, Message, TrySendError, rt};

/// Records every number it gets; can be told to wait on a gate first.
#[derive(Default)]
struct Recorder {
    seen: Vec<u32>,
}
impl Actor for Recorder {}

struct Num(u32);
impl Message for Num {
    type Reply = ();
}
impl Handler<Num> for Recorder {
    async fn handle(&mut self, msg: Num, _: &mut Context<Self>) {
        self.seen.push(msg.0);
    }
}

/// Blocks the actor until the sender side of the channel is used.
struct Hold(async_channel::Receiver<()>);
impl Message for Hold {
    type Reply = ();
}
impl Handler<Hold> for Recorder {
    async fn handle(&mut self, msg: Hold, _: &mut Context<Self>) {
        let _ = msg.0.recv().await;
    }
}

struct Seen;
impl Message for Seen {
    type Reply = Vec<u32>;
}
impl Handler<Seen> for Recorder {
    async fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Vec<u32> {
        self.seen.clone()
    }
}

/// Makes the actor busy on a held message; returns the key that frees it.
async fn hold(addr: &Addr<Recorder>) -> async_channel::Sender<()> {
    let (open, gate) = async_channel::bounded(1);
    addr.tell(Hold(gate)).await.unwrap();
    // Wait until the actor has taken the Hold out of the mailbox.
    while addr.mailbox_len() > 0 {
        rt::yield_now().await;
    }
    open
}

#[test]
fn messages_from_one_sender_arrive_in_order() {
    rt::block_on(async {
        let addr = retinue::spawn_with(Recorder::default(), Capacity::Bounded(4));
        for i in 0..1000 {
            addr.tell(Num(i)).await.unwrap();
        }
        assert_eq!(addr.ask(Seen).await.unwrap(), (0..1000).collect::<Vec<_>>());
    });
}

#[test]
fn each_of_many_senders_keeps_its_order() {
    rt::block_on(async {
        let addr = retinue::spawn_with(Recorder::default(), Capacity::Bounded(8));
        let senders: Vec<_> = (0..4u32)
            .map(|s| {
                let addr = addr.clone();
                rt::spawn(async move {
                    for i in 0..250 {
                        addr.tell(Num(s * 1000 + i)).await.unwrap();
                    }
                })
            })
            .collect();
        for s in senders {
            s.await.unwrap();
        }
        let seen = addr.ask(Seen).await.unwrap();
        assert_eq!(seen.len(), 1000);
        for s in 0..4 {
            let mine: Vec<u32> = seen.iter().copied().filter(|n| n / 1000 == s).collect();
            assert_eq!(mine, (0..250).map(|i| s * 1000 + i).collect::<Vec<_>>());
        }
    });
}

#[test]
fn a_full_mailbox_makes_tell_wait_and_try_tell_give_the_message_back() {
    rt::block_on(async {
        let addr = retinue::spawn_with(Recorder::default(), Capacity::Bounded(2));
        let open = hold(&addr).await;
        addr.try_tell(Num(1)).unwrap();
        addr.try_tell(Num(2)).unwrap();
        match addr.try_tell(Num(3)) {
            Err(TrySendError::Full(Num(3))) => {}
            other => panic!("expected Full(3), got {other:?}"),
        }
        // tell waits while full...
        let mut blocked = Box::pin(addr.tell(Num(3)));
        assert!(future::poll_once(&mut blocked).await.is_none());
        assert_eq!(addr.mailbox_len(), 2);
        // ...and goes through once the actor makes room.
        open.send(()).await.unwrap();
        blocked.await.unwrap();
        assert_eq!(addr.ask(Seen).await.unwrap(), vec![1, 2, 3]);
    });
}

#[test]
fn urgent_messages_overtake_queued_ones() {
    rt::block_on(async {
        let addr = retinue::spawn_with(Recorder::default(), Capacity::Bounded(1));
        let open = hold(&addr).await;
        addr.try_tell(Num(1)).unwrap();
        // The user lane is full, the control lane still takes messages.
        for i in 100..110 {
            addr.tell_urgent(Num(i)).unwrap();
        }
        open.send(()).await.unwrap();
        let mut expected: Vec<u32> = (100..110).collect();
        expected.push(1);
        assert_eq!(addr.ask(Seen).await.unwrap(), expected);
    });
}

#[test]
fn an_unbounded_mailbox_never_makes_tell_wait() {
    rt::block_on(async {
        let addr = retinue::spawn_with(Recorder::default(), Capacity::Unbounded);
        let open = hold(&addr).await;
        for i in 0..10_000 {
            addr.try_tell(Num(i)).unwrap();
        }
        assert_eq!(addr.mailbox_len(), 10_000);
        open.send(()).await.unwrap();
        assert_eq!(addr.ask(Seen).await.unwrap().len(), 10_000);
    });
}

#[test]
fn capacity_is_reported_and_zero_means_one() {
    rt::block_on(async {
        assert_eq!(
            retinue::spawn(Recorder::default()).capacity(),
            Capacity::DEFAULT
        );
        let one = retinue::spawn_with(Recorder::default(), Capacity::Bounded(0));
        assert_eq!(one.capacity(), Capacity::Bounded(1));
    });
}

#[test]
fn sends_to_a_stopped_actor_give_the_message_back() {
    rt::block_on(async {
        let addr = retinue::spawn(Recorder::default());
        addr.stop();
        addr.wait_stopped().await;
        assert!(matches!(
            addr.try_tell(Num(1)),
            Err(TrySendError::Closed(Num(1)))
        ));
        assert_eq!(addr.tell(Num(2)).await.unwrap_err().into_inner().0, 2);
        assert_eq!(addr.tell_urgent(Num(3)).unwrap_err().into_inner().0, 3);
        assert!(!addr.is_alive());
    });
}

#[test]
fn a_waiting_tell_fails_when_the_actor_stops() {
    rt::block_on(async {
        let addr = retinue::spawn_with(Recorder::default(), Capacity::Bounded(1));
        let open = hold(&addr).await;
        addr.try_tell(Num(1)).unwrap();
        let mut waiting = Box::pin(addr.tell(Num(2)));
        assert!(future::poll_once(&mut waiting).await.is_none());
        // The stop is served before the queued Num(1), so no room ever
        // opens: the waiting tell learns that the actor is gone.
        addr.stop();
        open.send(()).await.unwrap();
        assert_eq!(waiting.await.unwrap_err().into_inner().0, 2);
        assert_eq!(addr.wait_stopped().await, retinue::ExitReason::Stopped);
    });
}

#[test]
fn addresses_and_inboxes_can_be_shared_across_threads() {
    // A compile-time check: this file stops building if a change to the
    // mailbox makes these types lose `Send` or `Sync`.
    fn shareable<T: Send + Sync>() {}
    shareable::<Addr<Recorder>>();
    shareable::<retinue::Inbox<Recorder>>();
    shareable::<retinue::WeakAddr<Recorder>>();
}
