//! [`Context`]: what a running actor instance can do besides handling
//! messages — stop, fail, watch and link, timers, owned tasks and streams.
//!
//! Invariant: a context belongs to one instance. Everything it started is
//! aborted when it is dropped, which happens when the instance ends for any
//! reason (even a kill), so owned work never outlives its actor.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

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
///
/// What it can do, each with an example on its method: who am I ([`id`](Self::id),
/// [`path`](Self::path), [`addr`](Self::addr), [`weak_addr`](Self::weak_addr),
/// [`mailbox_len`](Self::mailbox_len)); end this instance ([`stop`](Self::stop),
/// [`stop_with`](Self::stop_with), [`fail`](Self::fail)); other actors' lives
/// ([`watch`](Self::watch), [`link`](Self::link)); timers
/// ([`send_after`](Self::send_after), [`interval`](Self::interval)); owned work
/// ([`spawn_task`](Self::spawn_task), [`add_stream`](Self::add_stream),
/// [`owned_tasks`](Self::owned_tasks)).
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
    ///
    /// ```
    /// use retinue::{Actor, ActorId, Context, Handler, Message};
    ///
    /// struct Me;
    /// impl Actor for Me {}
    /// struct WhoAmI;
    /// impl Message for WhoAmI { type Reply = ActorId; }
    /// impl Handler<WhoAmI> for Me {
    ///     async fn handle(&mut self, _: WhoAmI, ctx: &mut Context<Self>) -> ActorId { ctx.id() }
    /// }
    /// # retinue::rt::block_on(async {
    /// let me = retinue::spawn(Me);
    /// assert_eq!(me.ask(WhoAmI).await, Ok(me.id()));
    /// # });
    /// ```
    pub fn id(&self) -> ActorId {
        self.mailbox.id()
    }

    /// This actor's place in a supervision tree (`"workers/fetcher"`), when
    /// a supervisor runs it; see [`Inbox::set_path`](crate::Inbox::set_path).
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    /// use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
    ///
    /// struct Worker;
    /// impl Actor for Worker {}
    /// struct Where;
    /// impl Message for Where { type Reply = Option<String>; }
    /// impl Handler<Where> for Worker {
    ///     async fn handle(&mut self, _: Where, ctx: &mut Context<Self>) -> Option<String> {
    ///         ctx.path().map(str::to_owned)
    ///     }
    /// }
    /// # retinue::rt::block_on(async {
    /// let spec = ChildSpec::worker("fetcher", || Worker);
    /// let worker = spec.addr::<Worker>().unwrap();
    /// let sup = Supervisor::new(Strategy::OneForOne).child(spec).spawn().await.unwrap();
    /// assert_eq!(worker.ask(Where).await, Ok(Some("fetcher".to_owned())));
    /// assert_eq!(retinue::spawn(Worker).ask(Where).await, Ok(None), "not supervised");
    /// sup.shutdown().await;
    /// # });
    /// ```
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// This actor's address. It keeps the actor reachable: an actor that
    /// stores its own `Addr` never exits by being forgotten.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    ///
    /// /// Counts down by telling itself, one message per step.
    /// struct Countdown(u32);
    /// impl Actor for Countdown {}
    /// struct Step;
    /// impl Message for Step { type Reply = (); }
    /// impl Handler<Step> for Countdown {
    ///     async fn handle(&mut self, _: Step, ctx: &mut Context<Self>) {
    ///         self.0 -= 1;
    ///         if self.0 == 0 { ctx.stop() } else { let _ = ctx.addr().try_tell(Step); }
    ///     }
    /// }
    /// # retinue::rt::block_on(async {
    /// let countdown = retinue::spawn(Countdown(3));
    /// countdown.tell(Step).await.unwrap();
    /// assert_eq!(countdown.wait_stopped().await, retinue::ExitReason::Normal);
    /// # });
    /// ```
    pub fn addr(&self) -> Addr<A> {
        Addr::from_mailbox(self.mailbox.clone())
    }

    /// This actor's address, without keeping it reachable.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message, WeakAddr};
    ///
    /// struct Me;
    /// impl Actor for Me {}
    /// struct Weak;
    /// impl Message for Weak { type Reply = WeakAddr<Me>; }
    /// impl Handler<Weak> for Me {
    ///     async fn handle(&mut self, _: Weak, ctx: &mut Context<Self>) -> WeakAddr<Me> { ctx.weak_addr() }
    /// }
    /// # retinue::rt::block_on(async {
    /// let me = retinue::spawn(Me);
    /// let weak = me.ask(Weak).await.unwrap();
    /// drop(me); // the last strong address: the actor exits
    /// while weak.is_alive() { retinue::rt::yield_now().await }
    /// assert!(weak.upgrade().is_none());
    /// # });
    /// ```
    pub fn weak_addr(&self) -> WeakAddr<A> {
        self.addr().downgrade()
    }

    /// How many ordinary messages are waiting.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message};
    ///
    /// /// Sheds load: drops work while more than 2 messages wait behind it.
    /// struct Shedder { done: u32 }
    /// impl Actor for Shedder {}
    /// struct Work;
    /// impl Message for Work { type Reply = (); }
    /// impl Handler<Work> for Shedder {
    ///     async fn handle(&mut self, _: Work, ctx: &mut Context<Self>) {
    ///         if ctx.mailbox_len() <= 2 { self.done += 1 }
    ///     }
    /// }
    /// struct Done;
    /// impl Message for Done { type Reply = u32; }
    /// impl Handler<Done> for Shedder {
    ///     async fn handle(&mut self, _: Done, _: &mut Context<Self>) -> u32 { self.done }
    /// }
    /// # retinue::rt::block_on(async {
    /// let shedder = retinue::spawn(Shedder { done: 0 });
    /// assert_eq!(shedder.ask(Done).await, Ok(0));
    /// shedder.tell(Work).await.unwrap();
    /// assert_eq!(shedder.ask(Done).await, Ok(1));
    /// # });
    /// ```
    pub fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    /// Ends this instance with [`ExitReason::Normal`] once the current
    /// handler returns.
    ///
    /// ```
    /// use retinue::{Actor, Context, ExitReason, Handler, Message};
    ///
    /// struct OneShot;
    /// impl Actor for OneShot {}
    /// struct Go;
    /// impl Message for Go { type Reply = (); }
    /// impl Handler<Go> for OneShot {
    ///     async fn handle(&mut self, _: Go, ctx: &mut Context<Self>) { ctx.stop() }
    /// }
    /// # retinue::rt::block_on(async {
    /// let actor = retinue::spawn(OneShot);
    /// actor.ask(Go).await.unwrap(); // the reply still arrives
    /// assert_eq!(actor.wait_stopped().await, ExitReason::Normal);
    /// # });
    /// ```
    pub fn stop(&mut self) {
        self.request_exit(ExitReason::Normal);
    }

    /// Ends this instance with `reason` once the current handler returns.
    ///
    /// ```
    /// use retinue::{Actor, Context, ExitReason, Handler, Message};
    ///
    /// struct Service;
    /// impl Actor for Service {}
    /// struct Drain;
    /// impl Message for Drain { type Reply = (); }
    /// impl Handler<Drain> for Service {
    ///     async fn handle(&mut self, _: Drain, ctx: &mut Context<Self>) {
    ///         ctx.stop_with(ExitReason::Shutdown); // normal: a transient child is not restarted
    ///     }
    /// }
    /// # retinue::rt::block_on(async {
    /// let service = retinue::spawn(Service);
    /// service.tell(Drain).await.unwrap();
    /// assert_eq!(service.wait_stopped().await, ExitReason::Shutdown);
    /// # });
    /// ```
    pub fn stop_with(&mut self, reason: ExitReason) {
        self.request_exit(reason);
    }

    /// Ends this instance with [`ExitReason::Failed`] once the current
    /// handler returns. A supervisor treats it as a crash.
    ///
    /// ```
    /// use retinue::{Actor, Context, ExitReason, Handler, Message};
    ///
    /// struct Conn;
    /// impl Actor for Conn {}
    /// struct Lost;
    /// impl Message for Lost { type Reply = (); }
    /// impl Handler<Lost> for Conn {
    ///     async fn handle(&mut self, _: Lost, ctx: &mut Context<Self>) {
    ///         ctx.fail("connection reset"); // a supervisor restarts it
    ///     }
    /// }
    /// # retinue::rt::block_on(async {
    /// let conn = retinue::spawn(Conn);
    /// conn.tell(Lost).await.unwrap();
    /// let reason = conn.wait_stopped().await;
    /// assert_eq!(reason.to_string(), "failed: connection reset");
    /// assert!(matches!(reason, ExitReason::Failed(_)));
    /// # });
    /// ```
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
    ///
    /// ```
    /// use retinue::{Actor, Addr, BoxError, Context, ExitReason, Handler, Message};
    ///
    /// struct Peer;
    /// impl Actor for Peer {}
    /// struct Crash;
    /// impl Message for Crash { type Reply = (); }
    /// impl Handler<Crash> for Peer {
    ///     async fn handle(&mut self, _: Crash, _: &mut Context<Self>) { panic!("down") }
    /// }
    ///
    /// struct Partner(Addr<Peer>);
    /// impl Actor for Partner {
    ///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
    ///         ctx.link(&self.0);
    ///         Ok(())
    ///     }
    /// }
    /// # retinue::rt::block_on(async {
    /// let peer = retinue::spawn(Peer);
    /// let partner = retinue::spawn(Partner(peer.clone()));
    /// # while partner.mailbox_len() > 0 { retinue::rt::yield_now().await }
    /// let _ = peer.ask(Crash).await;
    /// let reason = partner.wait_stopped().await;
    /// assert!(reason.to_string().starts_with("failed: linked actor"), "{reason}");
    /// # });
    /// ```
    pub fn link<B: Actor>(&mut self, peer: &Addr<B>) {
        propagate_failure(peer.mailbox(), &self.mailbox);
        propagate_failure(&self.mailbox, peer.mailbox());
    }

    /// Runs `task` in the background, owned by this instance: it is
    /// aborted when the instance ends, and a panic in it ends the instance
    /// with [`ExitReason::Panicked`]. To report back, send a message to
    /// [`addr`](Self::addr). Like timers and streams, it carries the
    /// [`Baggage`] of the message being handled when it was started.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message, ReplyTo};
    ///
    /// /// Answers from a background task, so its mailbox stays free meanwhile.
    /// struct Fetcher;
    /// impl Actor for Fetcher {}
    /// struct Fetch(u32, ReplyTo<u32>);
    /// impl Message for Fetch { type Reply = (); }
    /// impl Handler<Fetch> for Fetcher {
    ///     async fn handle(&mut self, Fetch(n, port): Fetch, ctx: &mut Context<Self>) {
    ///         ctx.spawn_task(async move {
    ///             retinue::rt::yield_now().await; // slow I/O here
    ///             let _ = port.send(n + 1);
    ///         });
    ///     }
    /// }
    /// # retinue::rt::block_on(async {
    /// let fetcher = retinue::spawn(Fetcher);
    /// assert_eq!(fetcher.ask_with(|port| Fetch(41, port)).await, Ok(42));
    /// # });
    /// ```
    pub fn spawn_task<F>(&mut self, task: F) -> TaskHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn_owned(TaskId::next(), task)
    }

    /// Feeds a stream to this actor: each item arrives as a message, in
    /// order, through the ordinary lane (so a slow actor slows the stream),
    /// and a [`StreamEnded`] follows the last one.
    ///
    /// ```
    /// use retinue::{Actor, BoxError, Context, ExitReason, Handler, Message, StreamEnded};
    ///
    /// struct Summer { total: u32 }
    /// impl Actor for Summer {
    ///     async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
    ///         ctx.add_stream(futures_lite::stream::iter([Num(1), Num(2), Num(3)]));
    ///         Ok(())
    ///     }
    ///     async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
    ///         assert_eq!(self.total, 6);
    ///     }
    /// }
    /// struct Num(u32);
    /// impl Message for Num { type Reply = (); }
    /// impl Handler<Num> for Summer {
    ///     async fn handle(&mut self, Num(n): Num, _: &mut Context<Self>) { self.total += n }
    /// }
    /// impl Handler<StreamEnded> for Summer {
    ///     async fn handle(&mut self, _: StreamEnded, ctx: &mut Context<Self>) { ctx.stop() }
    /// }
    /// # retinue::rt::block_on(async {
    /// let summer = retinue::spawn(Summer { total: 0 });
    /// assert_eq!(summer.wait_stopped().await, ExitReason::Normal);
    /// # });
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::{Actor, Context, Handler, Message};
    ///
    /// struct Owner;
    /// impl Actor for Owner {}
    /// struct Start;
    /// impl Message for Start { type Reply = usize; }
    /// impl Handler<Start> for Owner {
    ///     async fn handle(&mut self, _: Start, ctx: &mut Context<Self>) -> usize {
    ///         let timer = ctx.send_after(Start, Duration::from_secs(3600));
    ///         let before = ctx.owned_tasks();
    ///         timer.cancel();
    ///         before
    ///     }
    /// }
    /// # retinue::rt::block_on(async {
    /// let owner = retinue::spawn(Owner);
    /// assert_eq!(owner.ask(Start).await, Ok(1));
    /// # });
    /// ```
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
