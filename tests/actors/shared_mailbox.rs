//! A mailbox served by several actors (`SharedMailbox`, Akka's balancing
//! dispatcher): whichever actor is free takes the next message, an actor's
//! own mailbox (control lane first) comes first, nothing is hoarded, and
//! sharing survives restarts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_channel::{Receiver, Sender};
use futures_lite::future::poll_once;
use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
use retinue::{
    Actor, ActorId, AskError, Capacity, Context, ExitReason, Handler, Inbox, Message,
    SharedMailbox, rt,
};

const LONG: Duration = Duration::from_secs(10);

fn run<F: std::future::Future>(f: F) -> F::Output {
    rt::block_on(rt::timeout(LONG, f)).expect("test hung")
}

#[derive(Default)]
struct Worker {
    seen: Vec<&'static str>,
}
impl Actor for Worker {}

/// Records its label; answers with the worker's id.
struct Note(&'static str);
impl Message for Note {
    type Reply = ActorId;
}
impl Handler<Note> for Worker {
    async fn handle(&mut self, note: Note, ctx: &mut Context<Self>) -> ActorId {
        self.seen.push(note.0);
        ctx.id()
    }
}

struct Seen;
impl Message for Seen {
    type Reply = Vec<&'static str>;
}
impl Handler<Seen> for Worker {
    async fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Vec<&'static str> {
        self.seen.clone()
    }
}

/// Says who took it, then blocks until the gate closes.
struct Slow {
    started: Sender<ActorId>,
    gate: Receiver<()>,
}
impl Message for Slow {
    type Reply = ();
}
impl Handler<Slow> for Worker {
    async fn handle(&mut self, slow: Slow, ctx: &mut Context<Self>) {
        let _ = slow.started.send(ctx.id()).await;
        let _ = slow.gate.recv().await;
    }
}

struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Worker {
    async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("crash (expected by the test)");
    }
}

/// Spawns `n` actors serving `shared`; returns their addresses.
fn serve(shared: &SharedMailbox<Worker>, n: usize) -> Vec<retinue::Addr<Worker>> {
    (0..n)
        .map(|_| {
            let mut inbox = Inbox::<Worker>::new();
            inbox.share(shared);
            let addr = inbox.addr();
            rt::spawn(async move { inbox.run(Worker::default()).await });
            addr
        })
        .collect()
}

fn slow() -> (Slow, Receiver<ActorId>, Sender<()>) {
    let (started, started_rx) = async_channel::unbounded();
    let (gate_tx, gate) = async_channel::bounded(1);
    (Slow { started, gate }, started_rx, gate_tx)
}

#[test]
fn an_actor_serves_its_own_mailbox_first_then_the_shared_one_in_order() {
    run(async {
        let shared = SharedMailbox::<Worker>::new(Capacity::DEFAULT);
        let mut inbox = Inbox::<Worker>::new();
        inbox.share(&shared);
        let addr = inbox.addr();
        // Everything is queued before the instance starts.
        shared.try_tell(Note("shared 1")).unwrap();
        shared.try_tell(Note("shared 2")).unwrap();
        addr.try_tell(Note("own 1")).unwrap();
        addr.try_tell(Note("own 2")).unwrap();
        rt::spawn(async move { inbox.run(Worker::default()).await });
        // Queued behind everything above in the shared mailbox.
        shared.ask(Note("shared 3")).await.unwrap();
        assert_eq!(
            addr.ask(Seen).await.unwrap(),
            ["own 1", "own 2", "shared 1", "shared 2", "shared 3"]
        );
        addr.stop();
        addr.wait_stopped().await;
    });
}

#[test]
fn a_stop_is_served_before_any_shared_message() {
    run(async {
        let shared = SharedMailbox::<Worker>::new(Capacity::DEFAULT);
        let mut inbox = Inbox::<Worker>::new();
        inbox.share(&shared);
        for label in ["a", "b", "c"] {
            shared.try_tell(Note(label)).unwrap();
        }
        inbox.addr().stop();
        assert_eq!(inbox.run(Worker::default()).await, ExitReason::Stopped);
        assert_eq!(shared.len(), 3, "left for the other actors");
    });
}

#[test]
fn a_busy_actor_holds_nothing_but_the_message_in_hand() {
    run(async {
        let shared = SharedMailbox::<Worker>::new(Capacity::DEFAULT);
        let workers = serve(&shared, 1);
        let (job, started, gate) = slow();
        shared.tell(job).await.unwrap();
        for label in ["a", "b", "c", "d"] {
            shared.tell(Note(label)).await.unwrap();
        }
        started.recv().await.unwrap();
        assert_eq!(shared.len(), 4, "nothing taken ahead of time");
        drop(gate); // the slow job ends
        shared.ask(Note("e")).await.unwrap();
        assert_eq!(
            workers[0].ask(Seen).await.unwrap(),
            ["a", "b", "c", "d", "e"]
        );
        workers[0].stop();
    });
}

#[test]
fn a_free_actor_takes_every_message_a_busy_one_cannot() {
    run(async {
        let shared = SharedMailbox::<Worker>::new(Capacity::DEFAULT);
        let workers = serve(&shared, 2);
        let (job, started, gate) = slow();
        shared.tell(job).await.unwrap();
        let busy = started.recv().await.unwrap();
        for _ in 0..50 {
            let by = shared.ask(Note("x")).await.unwrap();
            assert_ne!(by, busy, "the busy actor took a message");
        }
        drop(gate);
        for w in &workers {
            w.stop();
            w.wait_stopped().await;
        }
    });
}

#[test]
fn an_actor_without_addresses_serves_until_the_shared_handles_are_gone() {
    run(async {
        let shared = SharedMailbox::<Worker>::new(Capacity::DEFAULT);
        let mut inbox = Inbox::<Worker>::new();
        inbox.share(&shared);
        // No address of its own is ever taken: its own mailbox is orphaned.
        let running = rt::spawn(async move { inbox.run(Worker::default()).await });
        shared.ask(Note("served")).await.unwrap();
        drop(shared);
        assert_eq!(running.await.unwrap(), ExitReason::Normal);
    });
}

#[test]
fn a_restarted_worker_goes_on_serving_the_shared_mailbox() {
    run(async {
        let shared = SharedMailbox::<Worker>::new(Capacity::DEFAULT);
        let spec = ChildSpec::worker_sharing("w", &shared, Worker::default);
        let worker = spec.addr::<Worker>().unwrap();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(spec)
            .spawn()
            .await
            .unwrap();
        shared.tell(Crash).await.unwrap();
        // Answered by the restarted instance (the first one crashed).
        assert_eq!(shared.ask(Note("after")).await, Ok(worker.id()));
        assert_eq!(
            worker.ask(Seen).await.unwrap(),
            ["after"],
            "a fresh instance"
        );
        sup.shutdown().await;
    });
}

#[test]
fn after_close_the_actors_serve_their_own_mailboxes_and_sends_fail_with_the_message() {
    run(async {
        let shared = SharedMailbox::<Worker>::new(Capacity::DEFAULT);
        let workers = serve(&shared, 1);
        shared.close();
        assert!(matches!(shared.tell(Note("late")).await, Err(e) if e.0.0 == "late"));
        assert_eq!(shared.ask(Note("late")).await, Err(AskError::Closed));
        assert_eq!(workers[0].ask(Note("own")).await, Ok(workers[0].id()));
        workers[0].stop();
    });
}

struct Counted(#[allow(dead_code)] Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
struct Keep(#[allow(dead_code)] Counted);
impl Message for Keep {
    type Reply = ();
}
impl Handler<Keep> for Worker {
    async fn handle(&mut self, _: Keep, _: &mut Context<Self>) {}
}

#[test]
fn a_tell_cancelled_while_waiting_for_room_queues_nothing_and_drops_its_message() {
    run(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let shared = SharedMailbox::<Worker>::new(Capacity::Bounded(1));
        shared.try_tell(Note("first")).unwrap(); // nobody serves it: full
        {
            let tell = shared.tell(Keep(Counted(drops.clone())));
            let mut tell = std::pin::pin!(tell);
            assert!(poll_once(tell.as_mut()).await.is_none(), "waits for room");
        } // cancelled here
        assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped with the future");
        assert_eq!(shared.len(), 1, "nothing queued");
        let workers = serve(&shared, 1);
        assert_eq!(shared.ask(Seen).await.unwrap(), ["first"]);
        workers[0].stop();
    });
}
