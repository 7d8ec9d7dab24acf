//! One supervised child: its mailbox, its factory, and the keeper task that
//! runs instance after instance on that mailbox.
//!
//! Invariants:
//! - The keeper task owns the child's [`Inbox`] for the whole life of the
//!   mailbox, across restarts; instances come and go, the address stays.
//! - The keeper is never aborted while the supervisor lives: a kill drops
//!   only the running instance (by racing it against a kill signal), so
//!   queued messages survive even a brutal restart.
//! - Exits are reported twice on purpose: recorded in `Shared` for a
//!   supervisor that is waiting on a stop it asked for, and sent as a
//!   notice for exits nobody asked for (crashes). Both carry the instance
//!   number, so a stale report never touches a newer instance.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use event_listener::{Event, listener};
use futures_lite::FutureExt;

use crate::rt::{self, JoinHandle};
use crate::{Actor, ActorId, Addr, Capacity, ExitReason, Inbox, ReplyTo, SharedMailbox};

use super::spec::Shutdown;
use super::supervisor::Supervisor;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Called by the keeper when an instance ends: (instance, reason).
pub(crate) type ExitNotice = Arc<dyn Fn(u64, ExitReason) + Send + Sync>;

/// Stops one instance of a child, whatever its actor type.
pub(crate) type InstanceStopper = Arc<dyn Fn(u64, ExitReason) + Send + Sync>;

/// What the supervisor needs from a child, whatever its actor type.
pub(crate) trait ErasedChild: Send {
    fn actor_type(&self) -> &'static str;
    fn actor_id(&self) -> ActorId;
    fn mailbox_len(&self) -> usize;
    /// Messages handled on the current mailbox ([`Addr::handled`]).
    fn handled(&self) -> u64;
    fn capacity(&self) -> Capacity;
    fn addr_any(&self) -> Arc<dyn Any + Send + Sync>;
    fn supervisor_addr(&self) -> Option<Addr<Supervisor>>;
    /// Stops one instance of the current mailbox (`Addr::stop_instance`).
    fn stopper(&self) -> InstanceStopper;
    fn set_capacity(&mut self, capacity: Capacity);
    /// Its supervised path, for spans and metrics (see `Inbox::set_path`).
    fn set_path(&mut self, path: Arc<str>);
    /// Starts a new instance; `Ok(instance number)` once `started` succeeded.
    fn start(&mut self, notice: ExitNotice) -> BoxFuture<'_, Result<u64, ExitReason>>;
    /// Stops `instance` as `shutdown` says and returns how it ended.
    fn stop(&mut self, instance: u64, shutdown: Shutdown) -> BoxFuture<'_, ExitReason>;
    /// Ends the mailbox for good (the next start makes a new one).
    fn close(&mut self, reason: ExitReason) -> BoxFuture<'_, ()>;
}

type Factory<A> = Arc<Mutex<Box<dyn FnMut() -> A + Send>>>;

pub(crate) struct TypedChild<A: Actor> {
    factory: Factory<A>,
    capacity: Capacity,
    /// The mailbox before its keeper starts.
    idle: Option<Inbox<A>>,
    keeper: Option<Keeper<A>>,
    /// The current mailbox's address; held so that a supervised child never
    /// exits just because its other addresses were dropped.
    addr: Addr<A>,
    path: Option<Arc<str>>,
    /// Served by every mailbox of this child (see `Inbox::share`).
    shared: Option<SharedMailbox<A>>,
}

struct Keeper<A: Actor> {
    commands: async_channel::Sender<Command>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    _actor: std::marker::PhantomData<fn() -> A>,
}

enum Command {
    Start(ReplyTo<Result<u64, ExitReason>>),
    Close(ExitReason),
}

/// What the keeper and the supervisor share.
#[derive(Default)]
struct Shared {
    /// Instances up to this number are to be killed.
    kill_upto: AtomicU64,
    kill: Event,
    /// The last instance that ended, and how.
    last_exit: Mutex<(u64, Option<ExitReason>)>,
    exited: Event,
}

impl Shared {
    fn kill(&self, instance: u64) {
        self.kill_upto.fetch_max(instance, Ordering::SeqCst);
        self.kill.notify(usize::MAX);
    }

    async fn killed(&self, instance: u64) -> ExitReason {
        loop {
            if self.kill_upto.load(Ordering::SeqCst) >= instance {
                return ExitReason::Killed;
            }
            listener!(self.kill => kill);
            if self.kill_upto.load(Ordering::SeqCst) >= instance {
                return ExitReason::Killed;
            }
            kill.await;
        }
    }

    fn record_exit(&self, instance: u64, reason: ExitReason) {
        *self.last_exit.lock().unwrap_or_else(|e| e.into_inner()) = (instance, Some(reason));
        self.exited.notify(usize::MAX);
    }

    fn exit_of(&self, instance: u64) -> Option<ExitReason> {
        let last = self.last_exit.lock().unwrap_or_else(|e| e.into_inner());
        match &*last {
            (n, Some(reason)) if *n >= instance => Some(reason.clone()),
            _ => None,
        }
    }

    async fn wait_exit(&self, instance: u64) -> ExitReason {
        loop {
            if let Some(reason) = self.exit_of(instance) {
                return reason;
            }
            listener!(self.exited => exited);
            if let Some(reason) = self.exit_of(instance) {
                return reason;
            }
            exited.await;
        }
    }
}

impl<A: Actor> TypedChild<A> {
    pub(crate) fn new<F>(factory: F, capacity: Capacity) -> Self
    where
        F: FnMut() -> A + Send + 'static,
    {
        let inbox = Inbox::with_capacity(capacity);
        TypedChild {
            factory: Arc::new(Mutex::new(Box::new(factory))),
            capacity,
            addr: inbox.addr(),
            idle: Some(inbox),
            keeper: None,
            path: None,
            shared: None,
        }
    }

    /// Every instance also serves `shared`.
    pub(crate) fn sharing(mut self, shared: &SharedMailbox<A>) -> Self {
        self.shared = Some(shared.clone());
        self
    }

    fn spawn_keeper(&mut self, notice: ExitNotice) -> &Keeper<A> {
        let mut inbox = match self.idle.take() {
            Some(inbox) => inbox,
            None => {
                let inbox = Inbox::with_capacity(self.capacity);
                self.addr = inbox.addr();
                inbox
            }
        };
        if let Some(path) = &self.path {
            inbox.set_path(path.clone());
        }
        if let Some(shared) = &self.shared {
            inbox.share(shared);
        }
        let (commands, rx) = async_channel::unbounded();
        let shared = Arc::new(Shared::default());
        let task = rt::spawn(keep(
            inbox,
            self.factory.clone(),
            rx,
            shared.clone(),
            notice,
        ));
        self.keeper.insert(Keeper {
            commands,
            shared,
            task,
            _actor: std::marker::PhantomData,
        })
    }
}

/// The keeper task: runs instances on `inbox` when told to, until closed.
async fn keep<A: Actor>(
    mut inbox: Inbox<A>,
    factory: Factory<A>,
    commands: async_channel::Receiver<Command>,
    shared: Arc<Shared>,
    notice: ExitNotice,
) {
    while let Ok(command) = commands.recv().await {
        let reply = match command {
            Command::Close(reason) => {
                inbox.close(reason);
                return;
            }
            Command::Start(reply) => reply,
        };
        let instance = inbox.instances() + 1;
        let built = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut factory = factory.lock().unwrap_or_else(|e| e.into_inner());
            factory()
        }));
        let actor = match built {
            Ok(actor) => actor,
            Err(payload) => {
                let _ = reply.send(Err(ExitReason::Panicked(rt::panic_message(&*payload))));
                continue;
            }
        };
        match inbox.start(actor).await {
            Err(reason) => {
                let _ = reply.send(Err(reason));
            }
            Ok(running) => {
                let _ = reply.send(Ok(instance));
                let reason = running.run().or(shared.killed(instance)).await;
                shared.record_exit(instance, reason.clone());
                notice(instance, reason);
            }
        }
    }
}

impl<A: Actor> ErasedChild for TypedChild<A> {
    fn actor_type(&self) -> &'static str {
        crate::short_type_name::<A>()
    }

    fn actor_id(&self) -> ActorId {
        self.addr.id()
    }

    fn mailbox_len(&self) -> usize {
        self.addr.mailbox_len()
    }

    fn handled(&self) -> u64 {
        self.addr.handled()
    }

    fn capacity(&self) -> Capacity {
        self.addr.capacity()
    }

    fn addr_any(&self) -> Arc<dyn Any + Send + Sync> {
        Arc::new(self.addr.clone())
    }

    fn supervisor_addr(&self) -> Option<Addr<Supervisor>> {
        (&self.addr as &dyn Any)
            .downcast_ref::<Addr<Supervisor>>()
            .cloned()
    }

    fn stopper(&self) -> InstanceStopper {
        let addr = self.addr.clone();
        Arc::new(move |instance, reason| addr.stop_instance(instance, reason))
    }

    fn set_capacity(&mut self, capacity: Capacity) {
        if self.keeper.is_none() {
            let inbox = Inbox::with_capacity(capacity);
            self.addr = inbox.addr();
            self.idle = Some(inbox);
        }
        self.capacity = capacity;
    }

    fn set_path(&mut self, path: Arc<str>) {
        self.path = Some(path);
    }

    fn start(&mut self, notice: ExitNotice) -> BoxFuture<'_, Result<u64, ExitReason>> {
        Box::pin(async move {
            let keeper = match &self.keeper {
                Some(keeper) => keeper,
                None => self.spawn_keeper(notice),
            };
            let (port, reply) = ReplyTo::pair();
            if keeper.commands.try_send(Command::Start(port)).is_err() {
                return Err(ExitReason::Killed);
            }
            reply.await.unwrap_or(Err(ExitReason::Killed))
        })
    }

    fn stop(&mut self, instance: u64, shutdown: Shutdown) -> BoxFuture<'_, ExitReason> {
        Box::pin(async move {
            let Some(keeper) = &self.keeper else {
                return ExitReason::Shutdown;
            };
            let shared = &keeper.shared;
            match shutdown {
                Shutdown::Brutal => shared.kill(instance),
                Shutdown::Timeout(limit) => {
                    self.addr.stop_instance(instance, ExitReason::Shutdown);
                    if rt::timeout(limit, shared.wait_exit(instance))
                        .await
                        .is_err()
                    {
                        shared.kill(instance);
                    }
                }
                Shutdown::Infinity => self.addr.stop_instance(instance, ExitReason::Shutdown),
            }
            shared.wait_exit(instance).await
        })
    }

    fn close(&mut self, reason: ExitReason) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(inbox) = self.idle.take() {
                inbox.close(reason.clone());
            }
            if let Some(mut keeper) = self.keeper.take() {
                let _ = keeper.commands.try_send(Command::Close(reason));
                let _ = (&mut keeper.task).await;
            }
        })
    }
}

impl<A: Actor> Drop for Keeper<A> {
    fn drop(&mut self) {
        // Only reached when the supervisor itself is torn down without a
        // graceful shutdown (killed): take the child down with it.
        self.task.abort();
    }
}
