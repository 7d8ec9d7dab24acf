//! A pool through its own address: code that takes a `Recipient<M>` works
//! the same with one actor and with a pool (every routing), non-waiting
//! sends refuse rather than wait, and a pool whose supervisor gave up
//! answers with an error instead of spinning.

use std::collections::HashSet;
use std::time::Duration;

use async_channel::{Receiver, Sender};
use retinue::pool::{Pool, PoolError, Routing};
use retinue::supervisor::Flags;
use retinue::{
    Actor, ActorId, AskError, Capacity, Context, Handler, Message, Recipient, TrySendError, rt,
};

const LONG: Duration = Duration::from_secs(20);

fn run<F: std::future::Future>(f: F) -> F::Output {
    rt::block_on(rt::timeout(LONG, f)).expect("test hung")
}

/// Squares numbers, says who it is, and reports tells on a channel; a
/// gated one says it started a job, then waits for the gate to open.
struct Squarer {
    seen: Sender<(u64, ActorId)>,
    gate: Option<(Sender<u64>, Receiver<()>)>,
}
impl Actor for Squarer {}

#[derive(Clone)]
struct Square(u64);
impl Message for Square {
    type Reply = (u64, ActorId);
}
impl Handler<Square> for Squarer {
    async fn handle(&mut self, Square(n): Square, ctx: &mut Context<Self>) -> (u64, ActorId) {
        if let Some((started, gate)) = &self.gate {
            let _ = started.send(n).await;
            let _ = gate.recv().await;
        }
        let _ = self.seen.send((n, ctx.id())).await;
        (n * n, ctx.id())
    }
}

struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl Handler<Crash> for Squarer {
    async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("asked to crash");
    }
}

/// What callers write: they take a `Recipient`, not a pool or an actor.
async fn sum_of_squares(to: &Recipient<Square>, upto: u64) -> (u64, HashSet<ActorId>) {
    let mut sum = 0;
    let mut who = HashSet::new();
    for n in 1..=upto {
        let (sq, id) = to.ask(Square(n)).await.unwrap();
        sum += sq;
        who.insert(id);
    }
    (sum, who)
}

async fn tell_all(to: &Recipient<Square>, upto: u64) {
    for n in 1..=upto {
        to.tell(Square(n)).await.unwrap();
    }
}

fn squarer() -> (
    impl Fn() -> Squarer + Send + Sync + 'static,
    Receiver<(u64, ActorId)>,
) {
    let (tx, rx) = async_channel::unbounded();
    (
        move || Squarer {
            seen: tx.clone(),
            gate: None,
        },
        rx,
    )
}

#[test]
fn a_function_taking_a_recipient_works_with_an_actor_and_with_a_pool() {
    run(async {
        let (make, seen) = squarer();
        let single = retinue::spawn(make());
        let (sum, who) = sum_of_squares(&single.recipient(), 20).await;
        assert_eq!((sum, who.len()), (2870, 1));
        for routing in [
            Routing::RoundRobin,
            Routing::Random,
            Routing::SmallestMailbox,
            Routing::ConsistentHash,
            Routing::Balancing,
        ] {
            let (make, _) = squarer();
            let pool = Pool::builder(make)
                .size(3)
                .routing(routing)
                .key(|s: &Square| s.0)
                .spawn()
                .await
                .unwrap();
            let recipient: Recipient<Square> = pool.recipient();
            let (sum, who) = sum_of_squares(&recipient, 20).await;
            assert_eq!(sum, 2870, "{routing:?}");
            let workers: HashSet<_> = pool.workers().iter().map(|w| w.id()).collect();
            assert!(
                who.is_subset(&workers),
                "{routing:?}: answered by the pool's workers"
            );
            // (Sequential asks leave every mailbox empty: smallest-mailbox
            // picks the first on ties, random may repeat, and balancing
            // lets any free worker take the next job: often the one that
            // just answered. `tests/pool/routing.rs` checks how each
            // spreads work under load.)
            if !matches!(
                routing,
                Routing::Random | Routing::SmallestMailbox | Routing::Balancing
            ) {
                assert!(
                    who.len() >= 2,
                    "{routing:?} used {} of 3 workers",
                    who.len()
                );
            }
            assert!(recipient.is_alive());
            assert_eq!(recipient.id(), pool.supervisor().await.unwrap().addr().id());
            pool.shutdown().await;
        }
        drop(seen);
    });
}

#[test]
fn tells_through_the_recipient_reach_the_workers_every_one_once() {
    run(async {
        for routing in [Routing::RoundRobin, Routing::Balancing, Routing::Broadcast] {
            let (make, seen) = squarer();
            let pool = Pool::builder(make)
                .size(2)
                .routing(routing)
                .copy::<Square>()
                .spawn()
                .await
                .unwrap();
            tell_all(&pool.recipient(), 50).await;
            let copies = if routing == Routing::Broadcast { 2 } else { 1 };
            let mut got = Vec::new();
            for _ in 0..50 * copies {
                got.push(seen.recv().await.unwrap().0);
            }
            got.sort_unstable();
            let want: Vec<u64> = (1..=50).flat_map(|n| [n; 2][..copies].to_vec()).collect();
            assert_eq!(got, want, "{routing:?}");
            pool.shutdown().await;
        }
    });
}

/// A pool of gated workers: (pool, open the gate, started jobs, handled jobs).
async fn gated(
    size: usize,
) -> (
    Pool<Squarer>,
    Sender<()>,
    Receiver<u64>,
    Receiver<(u64, ActorId)>,
) {
    let (tx, seen) = async_channel::unbounded();
    let (started, starts) = async_channel::unbounded();
    let (open, gate) = async_channel::bounded::<()>(1);
    let pool = Pool::builder(move || Squarer {
        seen: tx.clone(),
        gate: Some((started.clone(), gate.clone())),
    })
    .size(size)
    .capacity(Capacity::Bounded(1))
    .spawn()
    .await
    .unwrap();
    (pool, open, starts, seen)
}

#[test]
fn try_tell_refuses_when_every_worker_is_full_and_loses_nothing() {
    run(async {
        let (pool, open, starts, seen) = gated(2).await;
        let recipient = pool.recipient::<Square>();
        // One job in hand at each worker (held at the gate)...
        recipient.try_tell(Square(0)).unwrap();
        recipient.try_tell(Square(1)).unwrap();
        starts.recv().await.unwrap();
        starts.recv().await.unwrap();
        // ...then try_tell fills their one-place mailboxes and refuses,
        // handing the message back, without ever waiting.
        let mut taken = 2;
        let refused = loop {
            match recipient.try_tell(Square(taken)) {
                Ok(()) => taken += 1,
                Err(e) => break e,
            }
            assert!(taken < 10, "two full one-place mailboxes took {taken}");
        };
        assert!(matches!(refused, TrySendError::Full(Square(n)) if n == taken));
        assert!(matches!(
            pool.try_tell(Square(99)),
            Err(PoolError::Full(Square(99)))
        ));
        open.close(); // the gate opens for good
        let mut handled: Vec<u64> = Vec::new();
        for _ in 0..taken {
            handled.push(seen.recv().await.unwrap().0);
        }
        handled.sort_unstable();
        assert_eq!(
            handled,
            (0..taken).collect::<Vec<_>>(),
            "every accepted job, once"
        );
        pool.shutdown().await;
    });
}

#[test]
fn tell_urgent_reaches_a_worker_before_its_queue() {
    run(async {
        let (pool, open, starts, seen) = gated(1).await;
        let recipient = pool.recipient::<Square>();
        recipient.tell(Square(1)).await.unwrap();
        starts.recv().await.unwrap(); // 1 is in hand, at the gate
        recipient.tell(Square(2)).await.unwrap(); // queued
        recipient.tell_urgent(Square(3)).unwrap(); // ahead of 2
        open.close();
        let mut order = Vec::new();
        for _ in 0..3 {
            order.push(seen.recv().await.unwrap().0);
        }
        assert_eq!(order, [1, 3, 2]);
        pool.shutdown().await;
    });
}

#[test]
fn a_pool_whose_supervisor_gave_up_refuses_instead_of_spinning() {
    run(async {
        let (make, _seen) = squarer();
        let pool = Pool::builder(make)
            .size(3)
            .flags(Flags::default().intensity(0, Duration::from_secs(5)))
            .spawn()
            .await
            .unwrap();
        let sup = pool.supervisor().await.unwrap();
        let _ = pool.ask(Crash).await; // no restart allowed: it gives up
        sup.addr().wait_stopped().await;
        let recipient = pool.recipient::<Square>();
        assert!(!recipient.is_alive());
        assert!(recipient.tell(Square(1)).await.is_err());
        assert!(matches!(
            recipient.try_tell(Square(2)),
            Err(TrySendError::Closed(_))
        ));
        assert_eq!(recipient.ask(Square(3)).await, Err(AskError::Closed));
    });
}
