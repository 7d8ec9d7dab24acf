//! Asking: replies, deferred replies, failures and timeouts.

use std::time::Duration;

use futures_lite::future;
use retinue::{Actor, AskError, Context, Handler, Message, ReplyTo, rt};

#[derive(Default)]
struct Desk {
    parked: Vec<ReplyTo<u32>>,
    closed_seen: Option<async_channel::Sender<bool>>,
}
impl Actor for Desk {}

struct Double(u32);
impl Message for Double {
    type Reply = u32;
}
impl Handler<Double> for Desk {
    async fn handle(&mut self, msg: Double, _: &mut Context<Self>) -> u32 {
        msg.0 * 2
    }
}

/// Parks its reply port to answer later.
struct Park(ReplyTo<u32>);
impl Message for Park {
    type Reply = ();
}
impl Handler<Park> for Desk {
    async fn handle(&mut self, msg: Park, _: &mut Context<Self>) {
        self.parked.push(msg.0);
    }
}

/// Answers every parked port with its position.
struct Answer;
impl Message for Answer {
    type Reply = ();
}
impl Handler<Answer> for Desk {
    async fn handle(&mut self, _: Answer, _: &mut Context<Self>) {
        for (i, port) in self.parked.drain(..).enumerate() {
            let _ = port.send(i as u32);
        }
    }
}

/// Drops every parked port unanswered.
struct Forget;
impl Message for Forget {
    type Reply = ();
}
impl Handler<Forget> for Desk {
    async fn handle(&mut self, _: Forget, _: &mut Context<Self>) {
        self.parked.clear();
    }
}

/// Reports whether each parked port's asker has gone.
struct CheckClosed(async_channel::Sender<bool>);
impl Message for CheckClosed {
    type Reply = ();
}
impl Handler<CheckClosed> for Desk {
    async fn handle(&mut self, msg: CheckClosed, _: &mut Context<Self>) {
        for port in self.parked.drain(..) {
            let closed = port.is_closed();
            let _ = msg.0.send(closed).await;
            assert_eq!(port.send(9).is_err(), closed, "send hands back iff closed");
        }
        self.closed_seen = Some(msg.0);
    }
}

/// Asks itself.
struct AskMyself;
impl Message for AskMyself {
    type Reply = Result<u32, AskError>;
}
impl Handler<AskMyself> for Desk {
    async fn handle(&mut self, _: AskMyself, ctx: &mut Context<Self>) -> Result<u32, AskError> {
        ctx.addr().ask(Double(1)).await
    }
}

struct Boom;
impl Message for Boom {
    type Reply = u32;
}
impl Handler<Boom> for Desk {
    async fn handle(&mut self, _: Boom, _: &mut Context<Self>) -> u32 {
        panic!("boom")
    }
}

#[test]
fn ask_returns_the_handlers_reply() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        assert_eq!(desk.ask(Double(21)).await, Ok(42));
    });
}

#[test]
fn deferred_replies_arrive_from_a_later_message() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        let mut first = Box::pin(desk.ask_with(Park));
        assert!(future::poll_once(&mut first).await.is_none());
        let mut second = Box::pin(desk.ask_with(Park));
        assert!(future::poll_once(&mut second).await.is_none());
        // Both are parked once this ask has been answered (FIFO).
        desk.ask(Double(0)).await.unwrap();
        desk.tell(Answer).await.unwrap();
        assert_eq!(first.await, Ok(0));
        assert_eq!(second.await, Ok(1));
    });
}

#[test]
fn a_dropped_reply_port_fails_the_ask_instead_of_hanging() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        let mut asked = Box::pin(desk.ask_with(Park));
        assert!(future::poll_once(&mut asked).await.is_none());
        desk.tell(Forget).await.unwrap();
        assert_eq!(asked.await, Err(AskError::NoReply));
    });
}

#[test]
fn a_cancelled_ask_closes_the_port_and_send_hands_the_value_back() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        let mut kept = Box::pin(desk.ask_with(Park));
        assert!(future::poll_once(&mut kept).await.is_none());
        let mut cancelled = Box::pin(desk.ask_with(Park));
        assert!(future::poll_once(&mut cancelled).await.is_none());
        drop(cancelled);
        let (tx, rx) = async_channel::unbounded();
        desk.tell(CheckClosed(tx)).await.unwrap();
        assert!(!rx.recv().await.unwrap(), "the kept asker is still there");
        assert!(rx.recv().await.unwrap(), "the cancelled asker is gone");
        assert_eq!(kept.await, Ok(9));
    });
}

#[test]
fn a_timed_out_ask_closes_the_port() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        let timed_out = rt::timeout(Duration::from_millis(20), desk.ask_with(Park)).await;
        assert!(timed_out.is_err());
        let (tx, rx) = async_channel::unbounded();
        desk.tell(CheckClosed(tx)).await.unwrap();
        assert!(rx.recv().await.unwrap());
    });
}

#[test]
fn ask_timeout_reports_timeout() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        let (tx, rx) = async_channel::bounded::<()>(1);
        struct Stall(async_channel::Receiver<()>);
        impl Message for Stall {
            type Reply = u32;
        }
        impl Handler<Stall> for Desk {
            async fn handle(&mut self, msg: Stall, _: &mut Context<Self>) -> u32 {
                let _ = msg.0.recv().await;
                1
            }
        }
        let result = desk.ask_timeout(Stall(rx), Duration::from_millis(20)).await;
        assert_eq!(result, Err(AskError::Timeout));
        drop(tx);
        assert_eq!(desk.ask(Double(2)).await, Ok(4), "the actor carries on");
    });
}

#[test]
fn an_ask_to_a_stopped_actor_fails_at_once() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        desk.stop();
        desk.wait_stopped().await;
        // No timeout needed: it must not wait at all.
        let mut ask = Box::pin(desk.ask(Double(1)));
        assert_eq!(
            future::poll_once(&mut ask).await,
            Some(Err(AskError::Closed))
        );
        assert_eq!(desk.ask_with(Park).await, Err(AskError::Closed));
    });
}

#[test]
fn queued_asks_fail_when_the_actor_stops() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        let mut parked = Box::pin(desk.ask_with(Park));
        assert!(future::poll_once(&mut parked).await.is_none());
        desk.stop();
        assert_eq!(parked.await, Err(AskError::NoReply));
    });
}

#[test]
fn an_actor_asking_itself_gets_an_error_not_a_deadlock() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        assert_eq!(desk.ask(AskMyself).await, Ok(Err(AskError::SelfAsk)));
    });
}

#[test]
fn the_asker_of_a_panicking_handler_gets_an_error() {
    rt::block_on(async {
        let desk = retinue::spawn(Desk::default());
        assert_eq!(desk.ask(Boom).await, Err(AskError::NoReply));
    });
}

#[test]
fn recipients_erase_the_actor_type() {
    rt::block_on(async {
        struct Other;
        impl Actor for Other {}
        impl Handler<Double> for Other {
            async fn handle(&mut self, msg: Double, _: &mut Context<Self>) -> u32 {
                msg.0 * 3
            }
        }
        let doublers: Vec<retinue::Recipient<Double>> = vec![
            retinue::spawn(Desk::default()).recipient(),
            retinue::spawn(Other).recipient(),
        ];
        let mut replies = Vec::new();
        for r in &doublers {
            replies.push(r.ask(Double(5)).await.unwrap());
        }
        assert_eq!(replies, vec![10, 15]);
    });
}

#[test]
fn block_on_bridges_synchronous_code() {
    let desk = rt::block_on(async { retinue::spawn(Desk::default()) });
    // Plain synchronous code asking an actor:
    let reply = rt::block_on(desk.ask(Double(4)));
    assert_eq!(reply, Ok(8));
}
