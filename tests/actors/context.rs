//! Context services: timers, owned tasks, streams.

use std::time::Duration;

use retinue::{
    Actor, BoxError, Context, ExitReason, Handler, Message, StreamEnded, TaskHandle, rt,
};

/// Sends a value on drop: proves that a task was really cancelled.
struct DropSignal(Option<async_channel::Sender<&'static str>>, &'static str);
impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.try_send(self.1);
        }
    }
}

#[derive(Default)]
struct Clockwork {
    events: Option<async_channel::Sender<String>>,
    timer: Option<TaskHandle>,
}
impl Actor for Clockwork {}

impl Clockwork {
    fn note(&self, what: impl Into<String>) {
        if let Some(tx) = &self.events {
            let _ = tx.try_send(what.into());
        }
    }
}

struct Tick(u32);
impl Message for Tick {
    type Reply = ();
}
impl Handler<Tick> for Clockwork {
    async fn handle(&mut self, msg: Tick, _: &mut Context<Self>) {
        self.note(format!("tick {}", msg.0));
    }
}
impl Handler<StreamEnded> for Clockwork {
    async fn handle(&mut self, _: StreamEnded, _: &mut Context<Self>) {
        self.note("stream ended");
    }
}

enum Setup {
    After(Duration),
    AfterThenCancel,
    Interval,
    PanickingInterval,
    Background(async_channel::Sender<&'static str>),
    PanickingTask,
    Stream,
}
impl Message for Setup {
    type Reply = ();
}
impl Handler<Setup> for Clockwork {
    async fn handle(&mut self, msg: Setup, ctx: &mut Context<Self>) {
        match msg {
            Setup::After(d) => {
                ctx.send_after(Tick(1), d);
            }
            Setup::AfterThenCancel => {
                let timer = ctx.send_after(Tick(99), Duration::from_millis(5));
                timer.cancel();
                ctx.send_after(Tick(2), Duration::from_millis(30));
            }
            Setup::Interval => {
                let mut n = 0;
                self.timer = Some(ctx.interval(Duration::from_millis(1), move || {
                    n += 1;
                    Tick(n)
                }));
            }
            Setup::PanickingInterval => {
                ctx.interval(Duration::from_millis(1), || -> Tick {
                    panic!("tick maker")
                });
            }
            Setup::Background(tx) => {
                // Made before the task and moved into it: a task cancelled
                // before its first poll drops it too (made inside, it
                // would never exist, and the test could not tell).
                let signal = DropSignal(Some(tx), "task dropped");
                ctx.spawn_task(async move {
                    let _signal = signal;
                    std::future::pending::<()>().await;
                });
            }
            Setup::PanickingTask => {
                ctx.spawn_task(async { panic!("owned task") });
            }
            Setup::Stream => {
                ctx.add_stream(futures_lite::stream::iter((10..13).map(Tick)));
            }
        }
    }
}

struct CancelTimer;
impl Message for CancelTimer {
    type Reply = ();
}
impl Handler<CancelTimer> for Clockwork {
    async fn handle(&mut self, _: CancelTimer, _: &mut Context<Self>) {
        if let Some(t) = self.timer.take() {
            t.cancel();
        }
        self.note("cancelled");
    }
}

fn clockwork() -> (Clockwork, async_channel::Receiver<String>) {
    let (tx, rx) = async_channel::unbounded();
    (
        Clockwork {
            events: Some(tx),
            timer: None,
        },
        rx,
    )
}

#[test]
fn send_after_delivers_once_and_cancel_prevents_delivery() {
    rt::block_on(async {
        let (actor, events) = clockwork();
        let addr = retinue::spawn(actor);
        addr.tell(Setup::AfterThenCancel).await.unwrap();
        // The later timer fires; the cancelled earlier one never did.
        assert_eq!(events.recv().await.unwrap(), "tick 2");
        assert!(events.try_recv().is_err());
    });
}

#[test]
fn an_interval_ticks_in_order_until_cancelled() {
    rt::block_on(async {
        let (actor, events) = clockwork();
        let addr = retinue::spawn(actor);
        addr.tell(Setup::Interval).await.unwrap();
        for n in 1..=3 {
            assert_eq!(events.recv().await.unwrap(), format!("tick {n}"));
        }
        addr.tell(CancelTimer).await.unwrap();
        // A tick the interval sent before the cancel ran may still arrive,
        // even after "cancelled" (it was queued behind CancelTimer). A
        // marker sent now lands behind every such tick.
        while events.recv().await.unwrap() != "cancelled" {}
        addr.tell(Tick(1000)).await.unwrap();
        while events.recv().await.unwrap() != "tick 1000" {}
        addr.tell(Setup::After(Duration::from_millis(20)))
            .await
            .unwrap();
        assert_eq!(
            events.recv().await.unwrap(),
            "tick 1",
            "no interval tick in between"
        );
    });
}

#[test]
fn owned_tasks_and_timers_are_cancelled_when_the_actor_stops() {
    rt::block_on(async {
        let (actor, _events) = clockwork();
        let addr = retinue::spawn(actor);
        let (tx, dropped) = async_channel::unbounded();
        addr.ask(Setup::Background(tx)).await.unwrap();
        addr.ask(Setup::Interval).await.unwrap();
        addr.stop();
        addr.wait_stopped().await;
        let cancelled = rt::timeout(Duration::from_secs(10), dropped.recv()).await;
        assert_eq!(cancelled, Ok(Ok("task dropped")));
    });
}

#[test]
fn a_panic_in_an_owned_task_ends_the_actor_as_panicked() {
    rt::block_on(async {
        let (actor, _events) = clockwork();
        let addr = retinue::spawn(actor);
        addr.tell(Setup::PanickingTask).await.unwrap();
        assert_eq!(
            addr.wait_stopped().await,
            ExitReason::Panicked("owned task".into())
        );
    });
}

#[test]
fn a_panic_in_a_timer_callback_ends_the_actor_as_panicked() {
    rt::block_on(async {
        let (actor, _events) = clockwork();
        let addr = retinue::spawn(actor);
        addr.tell(Setup::PanickingInterval).await.unwrap();
        assert_eq!(
            addr.wait_stopped().await,
            ExitReason::Panicked("tick maker".into())
        );
    });
}

#[test]
fn stream_items_arrive_as_messages_then_the_end_is_notified() {
    rt::block_on(async {
        let (actor, events) = clockwork();
        let addr = retinue::spawn(actor);
        addr.tell(Setup::Stream).await.unwrap();
        for expected in ["tick 10", "tick 11", "tick 12", "stream ended"] {
            assert_eq!(events.recv().await.unwrap(), expected);
        }
    });
}

/// Counts what it owns from `started`, to check owned work is per instance.
struct Owner;
impl Actor for Owner {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        ctx.spawn_task(std::future::pending());
        Ok(())
    }
}
struct Owned;
impl Message for Owned {
    type Reply = usize;
}
impl Handler<Owned> for Owner {
    async fn handle(&mut self, _: Owned, ctx: &mut Context<Self>) -> usize {
        ctx.owned_tasks()
    }
}

#[test]
fn owned_tasks_are_counted_per_instance() {
    rt::block_on(async {
        let addr = retinue::spawn(Owner);
        assert_eq!(addr.ask(Owned).await, Ok(1));
    });
}

#[test]
fn blocking_work_runs_off_the_executor() {
    rt::block_on(async {
        struct Hasher;
        impl Actor for Hasher {}
        struct Digest(Vec<u8>);
        impl Message for Digest {
            type Reply = u64;
        }
        impl Handler<Digest> for Hasher {
            async fn handle(&mut self, msg: Digest, _: &mut Context<Self>) -> u64 {
                rt::spawn_blocking(move || msg.0.iter().map(|&b| b as u64).sum()).await
            }
        }
        let hasher = retinue::spawn(Hasher);
        assert_eq!(hasher.ask(Digest(vec![1, 2, 3])).await, Ok(6));
    });
}
