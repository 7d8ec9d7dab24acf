//! Lifecycle: start failures, panics, exit reasons, death watch and links.

use retinue::{
    Actor, Addr, AskError, BoxError, Context, Down, ExitReason, Handler, Inbox, Message, rt,
};

/// Tells the test when `stopped` ran and with what reason.
struct Probe {
    fail_start: Option<&'static str>,
    panic_start: bool,
    handled: async_channel::Sender<&'static str>,
    stopped: async_channel::Sender<ExitReason>,
}

impl Probe {
    fn new() -> (
        Probe,
        async_channel::Receiver<&'static str>,
        async_channel::Receiver<ExitReason>,
    ) {
        let (handled, handled_rx) = async_channel::unbounded();
        let (stopped, stopped_rx) = async_channel::unbounded();
        let probe = Probe {
            fail_start: None,
            panic_start: false,
            handled,
            stopped,
        };
        (probe, handled_rx, stopped_rx)
    }
}

impl Actor for Probe {
    async fn started(&mut self, _: &mut Context<Self>) -> Result<(), BoxError> {
        if self.panic_start {
            panic!("cannot start");
        }
        match self.fail_start {
            Some(why) => Err(why.into()),
            None => Ok(()),
        }
    }

    async fn stopped(&mut self, _: &mut Context<Self>, reason: &ExitReason) {
        let _ = self.stopped.send(reason.clone()).await;
    }
}

enum Do {
    Note(&'static str),
    Panic,
    Stop,
    Fail,
}
impl Message for Do {
    type Reply = ();
}
impl Handler<Do> for Probe {
    async fn handle(&mut self, msg: Do, ctx: &mut Context<Self>) {
        match msg {
            Do::Note(n) => {
                let _ = self.handled.send(n).await;
            }
            Do::Panic => panic!("handler blew up"),
            Do::Stop => ctx.stop(),
            Do::Fail => ctx.fail("gave up"),
        }
    }
}

#[test]
fn a_panicking_handler_ends_the_actor_as_panicked_and_still_runs_stopped() {
    rt::block_on(async {
        let (probe, _, stopped) = Probe::new();
        let addr = retinue::spawn(probe);
        assert_eq!(addr.ask(Do::Panic).await, Err(AskError::NoReply));
        let expected = ExitReason::Panicked("handler blew up".into());
        assert_eq!(addr.wait_stopped().await, expected);
        assert_eq!(stopped.recv().await.unwrap(), expected);
    });
}

#[test]
fn a_failing_start_is_reported_and_no_message_is_handled() {
    rt::block_on(async {
        let (mut probe, handled, stopped) = Probe::new();
        probe.fail_start = Some("no database");
        let addr = retinue::spawn(probe);
        let _ = addr.tell(Do::Note("never")).await;
        let reason = addr.wait_stopped().await;
        assert_eq!(reason.to_string(), "failed: no database");
        assert!(handled.try_recv().is_err(), "no message was handled");
        assert!(stopped.try_recv().is_err(), "stopped is not run");
    });
}

#[test]
fn a_panicking_start_is_reported_as_panicked() {
    rt::block_on(async {
        let (mut probe, _, _) = Probe::new();
        probe.panic_start = true;
        let addr = retinue::spawn(probe);
        assert_eq!(
            addr.wait_stopped().await,
            ExitReason::Panicked("cannot start".into())
        );
    });
}

#[test]
fn exit_reasons_tell_who_ended_the_actor() {
    rt::block_on(async {
        let (probe, _, _) = Probe::new();
        let own = retinue::spawn(probe);
        own.tell(Do::Stop).await.unwrap();
        assert_eq!(own.wait_stopped().await, ExitReason::Normal);

        let (probe, _, _) = Probe::new();
        let failed = retinue::spawn(probe);
        failed.tell(Do::Fail).await.unwrap();
        assert_eq!(failed.wait_stopped().await.to_string(), "failed: gave up");

        let (probe, _, _) = Probe::new();
        let stopped = retinue::spawn(probe);
        stopped.stop();
        assert_eq!(stopped.wait_stopped().await, ExitReason::Stopped);

        let (probe, _, _) = Probe::new();
        let shut = retinue::spawn(probe);
        shut.stop_with(ExitReason::Shutdown);
        assert_eq!(shut.wait_stopped().await, ExitReason::Shutdown);
    });
}

#[test]
fn dropping_every_address_ends_the_actor_normally_after_its_mailbox_drains() {
    rt::block_on(async {
        let (probe, handled, stopped) = Probe::new();
        let addr = retinue::spawn(probe);
        addr.tell(Do::Note("a")).await.unwrap();
        addr.tell(Do::Note("b")).await.unwrap();
        let weak = addr.downgrade();
        drop(addr);
        assert_eq!(stopped.recv().await.unwrap(), ExitReason::Normal);
        assert_eq!(handled.recv().await.unwrap(), "a");
        assert_eq!(handled.recv().await.unwrap(), "b");
        // A weak address neither kept it alive nor can revive it.
        while weak.is_alive() {
            rt::yield_now().await;
        }
        assert!(weak.upgrade().is_none());
    });
}

/// Watches a target and forwards the Down it gets.
struct Watcher {
    target: Addr<Probe>,
    downs: async_channel::Sender<Down>,
}
impl Actor for Watcher {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        ctx.watch(&self.target);
        Ok(())
    }
}
impl Handler<Down> for Watcher {
    async fn handle(&mut self, down: Down, _: &mut Context<Self>) {
        let _ = self.downs.send(down).await;
    }
}

#[test]
fn death_watch_delivers_the_reason() {
    rt::block_on(async {
        let (probe, _, _) = Probe::new();
        let target = retinue::spawn(probe);
        let (downs, rx) = async_channel::unbounded();
        let _watcher = retinue::spawn(Watcher {
            target: target.clone(),
            downs,
        });
        let _ = target.tell(Do::Panic).await;
        let down = rx.recv().await.unwrap();
        assert_eq!(down.id, target.id());
        assert_eq!(down.reason, ExitReason::Panicked("handler blew up".into()));
    });
}

#[test]
fn watching_an_actor_that_is_already_dead_delivers_down_at_once() {
    rt::block_on(async {
        let (probe, _, _) = Probe::new();
        let target = retinue::spawn(probe);
        target.stop();
        target.wait_stopped().await;
        let (downs, rx) = async_channel::unbounded();
        let _watcher = retinue::spawn(Watcher {
            target: target.clone(),
            downs,
        });
        assert_eq!(rx.recv().await.unwrap().reason, ExitReason::Stopped);
    });
}

/// Links itself to a peer on start.
struct Linked<B: Actor> {
    peer: Addr<B>,
}
impl<B: Actor> Actor for Linked<B> {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        ctx.link(&self.peer);
        Ok(())
    }
}
struct Crash;
impl Message for Crash {
    type Reply = ();
}
impl<B: Actor> Handler<Crash> for Linked<B> {
    async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("linked crash")
    }
}

#[test]
fn a_link_takes_the_peer_down_on_failure_both_ways() {
    rt::block_on(async {
        // The linker fails: the peer goes down.
        let (probe, _, _) = Probe::new();
        let peer = retinue::spawn(probe);
        let linker = retinue::spawn(Linked { peer: peer.clone() });
        linker.ask(Do2::Ping).await.unwrap(); // linked by now
        let _ = linker.tell(Crash).await;
        let reason = peer.wait_stopped().await;
        assert!(reason.to_string().contains("linked crash"), "{reason}");

        // The peer fails: the linker goes down.
        let (probe, _, _) = Probe::new();
        let peer = retinue::spawn(probe);
        let linker = retinue::spawn(Linked { peer: peer.clone() });
        linker.ask(Do2::Ping).await.unwrap();
        let _ = peer.tell(Do::Panic).await;
        assert!(linker.wait_stopped().await.is_abnormal());
    });
}

#[test]
fn a_normal_exit_does_not_travel_along_a_link() {
    rt::block_on(async {
        let (probe, _, _) = Probe::new();
        let peer = retinue::spawn(probe);
        let linker = retinue::spawn(Linked { peer: peer.clone() });
        linker.ask(Do2::Ping).await.unwrap();
        peer.stop();
        peer.wait_stopped().await;
        assert_eq!(linker.ask(Do2::Ping).await, Ok(()));
    });
}

enum Do2 {
    Ping,
}
impl Message for Do2 {
    type Reply = ();
}
impl<B: Actor> Handler<Do2> for Linked<B> {
    async fn handle(&mut self, _: Do2, _: &mut Context<Self>) {}
}

#[test]
fn an_inbox_runs_a_fresh_instance_on_the_same_mailbox() {
    rt::block_on(async {
        let mut inbox = Inbox::<Probe>::new();
        let addr = inbox.addr();
        let (first, handled, _) = Probe::new();
        let handled_tx = first.handled.clone();
        addr.tell(Do::Panic).await.unwrap();
        addr.tell(Do::Note("queued before the crash"))
            .await
            .unwrap();
        let reason = inbox.run(first).await;
        assert!(matches!(reason, ExitReason::Panicked(_)));
        assert!(
            addr.is_alive(),
            "an instance ending does not close the mailbox"
        );
        assert_eq!(addr.mailbox_len(), 1, "the queued message survived");

        let (mut second, _, _) = Probe::new();
        second.handled = handled_tx;
        let runner = rt::spawn(async move {
            let reason = inbox.run(second).await;
            assert_eq!(inbox.instances(), 2);
            inbox.close(reason.clone());
            reason
        });
        assert_eq!(handled.recv().await.unwrap(), "queued before the crash");
        addr.stop();
        assert_eq!(runner.await.unwrap(), ExitReason::Stopped);
        assert_eq!(addr.wait_stopped().await, ExitReason::Stopped);
    });
}
