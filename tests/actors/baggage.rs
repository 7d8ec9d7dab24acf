//! Baggage travels with messages across actors, asks, timers and tasks.

use std::time::Duration;

use retinue::{Actor, Addr, Baggage, Context, Handler, Message, ReplyTo, rt};

#[derive(Clone, Debug, PartialEq)]
struct RequestId(&'static str);

/// Forwards to `next`, or reports the request id it sees.
struct Hop {
    next: Option<Addr<Hop>>,
}
impl Actor for Hop {}

struct Trace(ReplyTo<Vec<Option<RequestId>>>, Vec<Option<RequestId>>);
impl Message for Trace {
    type Reply = ();
}
impl Handler<Trace> for Hop {
    async fn handle(&mut self, Trace(port, mut seen): Trace, _: &mut Context<Self>) {
        seen.push(Baggage::get::<RequestId>());
        match &self.next {
            Some(next) => next.tell(Trace(port, seen)).await.unwrap(),
            None => {
                let _ = port.send(seen);
            }
        }
    }
}

/// Reports the request id later, from a timer and from an owned task.
struct Later;
impl Actor for Later {}
struct Deferred(ReplyTo<Option<RequestId>>, bool);
impl Message for Deferred {
    type Reply = ();
}
struct Fire(ReplyTo<Option<RequestId>>);
impl Message for Fire {
    type Reply = ();
}
impl Handler<Deferred> for Later {
    async fn handle(&mut self, Deferred(port, use_timer): Deferred, ctx: &mut Context<Self>) {
        if use_timer {
            ctx.send_after(Fire(port), Duration::from_millis(1));
        } else {
            ctx.spawn_task(async move {
                let _ = port.send(Baggage::get::<RequestId>());
            });
        }
    }
}
impl Handler<Fire> for Later {
    async fn handle(&mut self, Fire(port): Fire, _: &mut Context<Self>) {
        let _ = port.send(Baggage::get::<RequestId>());
    }
}

fn chain() -> Addr<Hop> {
    let c = retinue::spawn(Hop { next: None });
    let b = retinue::spawn(Hop { next: Some(c) });
    retinue::spawn(Hop { next: Some(b) })
}

#[test]
fn baggage_follows_a_request_through_three_actors() {
    rt::block_on(async {
        let a = chain();
        let seen = Baggage::new()
            .with(RequestId("req-1"))
            .scope(a.ask_with(|port| Trace(port, Vec::new())))
            .await
            .unwrap();
        assert_eq!(seen, vec![Some(RequestId("req-1")); 3]);
        let unscoped = a.ask_with(|port| Trace(port, Vec::new())).await.unwrap();
        assert_eq!(
            unscoped,
            vec![None; 3],
            "no baggage leaks into later messages"
        );
    });
}

#[test]
fn concurrent_requests_keep_their_own_baggage() {
    rt::block_on(async {
        let a = chain();
        let tasks: Vec<_> = ["x", "y", "z"]
            .into_iter()
            .map(|id| {
                let a = a.clone();
                rt::spawn(Baggage::new().with(RequestId(id)).scope(async move {
                    (
                        id,
                        a.ask_with(|port| Trace(port, Vec::new())).await.unwrap(),
                    )
                }))
            })
            .collect();
        for task in tasks {
            let (id, seen) = task.await.unwrap();
            assert_eq!(seen, vec![Some(RequestId(id)); 3]);
        }
    });
}

#[test]
fn timers_and_owned_tasks_carry_the_baggage_of_the_message_that_made_them() {
    rt::block_on(async {
        let later = retinue::spawn(Later);
        for use_timer in [true, false] {
            let seen = Baggage::new()
                .with(RequestId("req-2"))
                .scope(later.ask_with(|port| Deferred(port, use_timer)))
                .await;
            assert_eq!(seen, Ok(Some(RequestId("req-2"))), "timer: {use_timer}");
        }
    });
}

#[test]
fn with_replaces_a_value_of_the_same_type() {
    let b = Baggage::new()
        .with(RequestId("a"))
        .with(5u32)
        .with(RequestId("b"));
    assert_eq!(b.len(), 2);
    assert_eq!(b.value::<RequestId>(), Some(RequestId("b")));
    assert_eq!(b.value::<u32>(), Some(5));
    assert_eq!(Baggage::get::<u32>(), None);
}
