//! [`Context`]: what a running actor instance can do besides handling
//! messages — stop, fail, watch and link, timers, owned tasks and streams.
//!
//! Invariant: a context belongs to one instance. Everything it started is
//! aborted when it is dropped, which happens when the instance ends for any
//! reason (even a kill), so owned work never outlives its actor.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_lite::{FutureExt, Stream, StreamExt};
use tracing::{Instrument, Span};

use crate::actor::{Actor, Handler, Message};
use crate::addr::{ActorId, Addr, WeakAddr};
use crate::baggage::{Baggage, WithBaggage};
use crate::error::BoxError;
use crate::exit::{Down, ExitReason, LinkedExit};
use crate::mailbox::{Control, Mailbox};
use crate::metrics::ActorMeter;
use crate::owned::{StreamEnded, TaskHandle, TaskId};
use crate::rt;

/// The running instance's view of itself, passed to every hook and handler.
pub struct Context<A: Actor> {
    mailbox: Arc<Mailbox<A>>,
    instance: u64,
    /// The supervised path of the inbox it runs on (see [`Inbox::set_path`](crate::Inbox::set_path)).
    path: Option<Arc<str>>,
    exit: Option<ExitReason>,
    owned: Vec<TaskHandle>,
    /// Prune finished owned work when `owned` reaches this length, so the
    /// list stays proportional to what is live.
    prune_at: usize,
    /// This instance's metrics (an empty type without the feature).
    pub(crate) meter: ActorMeter,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(mailbox: Arc<Mailbox<A>>, instance: u64, path: Option<Arc<str>>) -> Self {
        Context {
            meter: ActorMeter::new::<A>(path.as_deref()),
            mailbox,
            instance,
            path,
            exit: None,
            owned: Vec::new(),
            prune_at: 8,
        }
    }

    pub(crate) fn exit_requested(&self) -> Option<&ExitReason> {
        self.exit.as_ref()
    }

    pub(crate) fn request_exit(&mut self, reason: ExitReason) {
        self.exit.get_or_insert(reason);
    }

    pub(crate) fn instance(&self) -> u64 {
        self.instance
    }

    /// This actor's identity.
    pub fn id(&self) -> ActorId {
        self.mailbox.id()
    }

    /// This actor's place in a supervision tree (`"workers/fetcher"`), when
    /// a supervisor runs it; see [`Inbox::set_path`](crate::Inbox::set_path).
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// This actor's address. It keeps the actor reachable: an actor that
    /// stores its own `Addr` never exits by being forgotten.
    pub fn addr(&self) -> Addr<A> {
        Addr::from_mailbox(self.mailbox.clone())
    }

    /// This actor's address, without keeping it reachable.
    pub fn weak_addr(&self) -> WeakAddr<A> {
        self.addr().downgrade()
    }

    /// How many ordinary messages are waiting.
    pub fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    /// Ends this instance with [`ExitReason::Normal`] once the current
    /// handler returns.
    pub fn stop(&mut self) {
        self.request_exit(ExitReason::Normal);
    }

    /// Ends this instance with `reason` once the current handler returns.
    pub fn stop_with(&mut self, reason: ExitReason) {
        self.request_exit(reason);
    }

    /// Ends this instance with [`ExitReason::Failed`] once the current
    /// handler returns. A supervisor treats it as a crash.
    pub fn fail(&mut self, err: impl Into<BoxError>) {
        self.request_exit(ExitReason::failed(err));
    }

    /// Death watch: when `target` stops for good, this actor receives a
    /// [`Down`] through its control lane. Watching an actor that has
    /// already stopped delivers the `Down` at once.
    ///
    /// ```
    /// use retinue::{Actor, Addr, Context, Down, Handler, Message, ExitReason, ReplyTo};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    ///
    /// struct Watcher { target: Addr<Worker>, seen: Option<ReplyTo<ExitReason>> }
    /// impl Actor for Watcher {
    ///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), retinue::BoxError> {
    ///         ctx.watch(&self.target);
    ///         Ok(())
    ///     }
    /// }
    /// impl Handler<Down> for Watcher {
    ///     async fn handle(&mut self, down: Down, _: &mut Context<Self>) {
    ///         if let Some(port) = self.seen.take() { let _ = port.send(down.reason); }
    ///     }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let worker = retinue::spawn(Worker);
    /// let (port, reason) = ReplyTo::pair();
    /// let _watcher = retinue::spawn(Watcher { target: worker.clone(), seen: Some(port) });
    /// worker.stop();
    /// assert_eq!(reason.await, Ok(ExitReason::Stopped));
    /// # });
    /// ```
    pub fn watch<B: Actor>(&mut self, target: &Addr<B>)
    where
        A: Handler<Down>,
    {
        let me = self.weak_addr();
        target.mailbox().on_exit(Box::new(move |id, reason| {
            if let Some(me) = me.upgrade() {
                let _ = me.tell_urgent(Down {
                    id,
                    reason: reason.clone(),
                });
            }
        }));
    }

    /// Links this actor and `peer` both ways: when either stops for good
    /// with an abnormal reason, the other fails with a [`LinkedExit`].
    /// Normal exits do not propagate. Use [`watch`](Self::watch) to be told
    /// instead of taken down.
    pub fn link<B: Actor>(&mut self, peer: &Addr<B>) {
        propagate_failure(peer.mailbox(), &self.mailbox);
        propagate_failure(&self.mailbox, peer.mailbox());
    }

    /// Sends `msg` to this actor after `delay`. Cancel with the handle;
    /// the timer also dies with the actor.
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
    /// with [`ExitReason::Panicked`].
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

    /// Runs `task` in the background, owned by this instance: it is
    /// aborted when the instance ends, and a panic in it ends the instance
    /// with [`ExitReason::Panicked`]. To report back, send a message to
    /// [`addr`](Self::addr). Like timers and streams, it carries the
    /// [`Baggage`] of the message being handled when it was started.
    pub fn spawn_task<F>(&mut self, task: F) -> TaskHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn_owned(TaskId::next(), task)
    }

    /// Feeds a stream to this actor: each item arrives as a message, in
    /// order, through the ordinary lane (so a slow actor slows the stream),
    /// and a [`StreamEnded`] follows the last one.
    pub fn add_stream<S>(&mut self, stream: S) -> TaskHandle
    where
        S: Stream + Send + 'static,
        S::Item: Message,
        A: Handler<S::Item> + Handler<StreamEnded>,
    {
        let addr = self.addr();
        let id = TaskId::next();
        self.spawn_owned(id, async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(item) = stream.next().await {
                if addr.tell(item).await.is_err() {
                    return;
                }
            }
            let _ = addr.tell(StreamEnded { id }).await;
        })
    }

    fn spawn_owned<F>(&mut self, id: TaskId, work: F) -> TaskHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mailbox = self.mailbox.clone();
        let instance = self.instance;
        // Owned work carries on the baggage of the message that started it.
        let work = crate::crash::Quiet::new(WithBaggage::maybe(Baggage::current(), work));
        let owned = async move {
            if let Err(payload) = AssertUnwindSafe(work).catch_unwind().await {
                let reason = crate::crash::panicked::<A>(mailbox.id(), "task", &*payload);
                let _ = mailbox.push_control(Control::Fail { instance, reason });
            }
        };
        // It runs in the span current when it was started (the handler's).
        let join = rt::spawn(owned.instrument(Span::current()));
        let handle = TaskHandle::new(id, join.abort_handle());
        self.own(handle.clone());
        handle
    }

    fn own(&mut self, handle: TaskHandle) {
        if self.owned.len() >= self.prune_at {
            self.owned.retain(|h| !h.is_finished());
            self.prune_at = (self.owned.len() * 2).max(8);
        }
        self.owned.push(handle);
    }

    /// How many owned tasks, timers and streams are still running.
    pub fn owned_tasks(&self) -> usize {
        self.owned.iter().filter(|h| !h.is_finished()).count()
    }
}

/// When `from` stops abnormally for good, fail whatever instance runs on `to`.
fn propagate_failure<B: Send + 'static, C: Send + 'static>(
    from: &Arc<Mailbox<B>>,
    to: &Arc<Mailbox<C>>,
) {
    let to = Arc::downgrade(to);
    from.on_exit(Box::new(move |peer, reason| {
        if reason.is_normal() {
            return;
        }
        if let Some(to) = to.upgrade() {
            let reason = ExitReason::failed(LinkedExit {
                peer,
                reason: reason.clone(),
            });
            let _ = to.push_control(Control::Exit(reason));
        }
    }));
}

impl<A: Actor> Drop for Context<A> {
    fn drop(&mut self) {
        for handle in &self.owned {
            handle.abort_handle().abort();
        }
    }
}
