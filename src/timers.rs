//! Timers: messages an actor sends itself later ([`Context::send_after`])
//! or periodically ([`Context::interval`]).
//!
//! Invariant: a timer is an owned task (see [`Context::spawn_task`]), so it
//! dies with the instance that set it and carries the baggage and span of
//! the message being handled when it was set.

use std::time::{Duration, Instant};

use crate::actor::{Actor, Handler, Message};
use crate::context::Context;
use crate::owned::TaskHandle;
use crate::rt;

impl<A: Actor> Context<A> {
    /// Sends `msg` to this actor after `delay`. Cancel with the handle;
    /// the timer also dies with the actor.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::{Actor, BoxError, Context, ExitReason, Handler, Message};
    ///
    /// /// Gives up after an idle timeout.
    /// struct Session;
    /// impl Actor for Session {
    ///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
    ///         ctx.send_after(Expire, Duration::from_millis(5));
    ///         Ok(())
    ///     }
    /// }
    /// struct Expire;
    /// impl Message for Expire { type Reply = (); }
    /// impl Handler<Expire> for Session {
    ///     async fn handle(&mut self, _: Expire, ctx: &mut Context<Self>) { ctx.stop() }
    /// }
    /// # retinue::rt::block_on(async {
    /// let session = retinue::spawn(Session);
    /// assert_eq!(session.wait_stopped().await, ExitReason::Normal);
    /// # });
    /// ```
    pub fn send_after<M: Message>(&mut self, msg: M, delay: Duration) -> TaskHandle
    where
        A: Handler<M>,
    {
        let addr = self.addr();
        self.spawn_task(async move {
            rt::sleep(delay).await;
            let _ = addr.tell(msg).await;
        })
    }

    /// Sends `make()` to this actor every `period`, first after one period.
    /// When the actor is busy and ticks fall behind, missed ticks are
    /// skipped rather than bunched. A panic in `make` ends the instance
    /// with [`ExitReason::Panicked`](crate::ExitReason::Panicked).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::{Actor, BoxError, Context, ExitReason, Handler, Message};
    ///
    /// struct Heartbeat { beats: u32 }
    /// impl Actor for Heartbeat {
    ///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
    ///         ctx.interval(Duration::from_millis(1), || Beat);
    ///         Ok(())
    ///     }
    /// }
    /// struct Beat;
    /// impl Message for Beat { type Reply = (); }
    /// impl Handler<Beat> for Heartbeat {
    ///     async fn handle(&mut self, _: Beat, ctx: &mut Context<Self>) {
    ///         self.beats += 1;
    ///         if self.beats == 3 { ctx.stop() }
    ///     }
    /// }
    /// # retinue::rt::block_on(async {
    /// let heart = retinue::spawn(Heartbeat { beats: 0 });
    /// assert_eq!(heart.wait_stopped().await, ExitReason::Normal);
    /// # });
    /// ```
    pub fn interval<M, F>(&mut self, period: Duration, mut make: F) -> TaskHandle
    where
        A: Handler<M>,
        M: Message,
        F: FnMut() -> M + Send + 'static,
    {
        let addr = self.addr();
        let period = period.max(Duration::from_micros(1));
        self.spawn_task(async move {
            let mut next = Instant::now() + period;
            loop {
                rt::sleep(next.saturating_duration_since(Instant::now())).await;
                if addr.tell(make()).await.is_err() {
                    return;
                }
                next += period;
                let now = Instant::now();
                if next < now {
                    next = now + period;
                }
            }
        })
    }
}
