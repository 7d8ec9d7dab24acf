//! Event: a flag that tasks can wait on, as an actor (`asyncio.Event`).
//!
//! Invariants:
//! - `set` answers every waiter parked at that moment before the handler
//!   returns, so a `clear` that follows at once cannot strand them;
//! - a wait on a set event is answered at once, a wait on a clear event is
//!   parked until the next `set`;
//! - a waiter that gave up is removed at once: its dropped reply sends a
//!   `Sweep` on the control lane (see `cancel_sweep`), so a never-set
//!   event does not grow under timeouts; a wake-up owns no resource, so
//!   nothing has to be handed back;
//! - queries (`IsSet`, `Waiting`, `Status`) never change state.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::cancel_sweep::ask_swept;
use super::error::EventError;
use crate::{Actor, Addr, Context, Handler, Message, ReplyTo, rt};

/// Settings of an [`EventActor`].
///
/// ```
/// use retinue::sync::EventOptions;
/// assert!(!EventOptions::default().set);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventOptions {
    /// Whether the event starts set. Default: false.
    pub set: bool,
}

/// The event actor; usually reached through an [`Event`].
///
/// ```
/// use retinue::sync::{Event, EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = Event::from_addr(retinue::spawn(EventActor::new(EventOptions { set: true })));
/// event.wait().await.unwrap(); // already set: returns at once
/// # });
/// ```
pub struct EventActor {
    set: bool,
    waiters: Vec<ReplyTo<()>>,
}

impl EventActor {
    /// An event with these options.
    ///
    /// ```
    /// use retinue::sync::{Event, EventActor, EventOptions};
    /// # retinue::rt::block_on(async {
    /// let event = Event::from_addr(retinue::spawn(EventActor::new(EventOptions::default())));
    /// assert_eq!(event.is_set().await, Ok(false));
    /// # });
    /// ```
    pub fn new(options: EventOptions) -> Self {
        EventActor {
            set: options.set,
            waiters: Vec::new(),
        }
    }
}

impl Actor for EventActor {}

/// Set the flag and wake every waiter.
///
/// ```
/// use retinue::sync::event::{IsSet, Set};
/// use retinue::sync::{EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = retinue::spawn(EventActor::new(EventOptions::default()));
/// event.ask(Set).await.unwrap();
/// assert!(event.ask(IsSet).await.unwrap());
/// # });
/// ```
pub struct Set;
impl Message for Set {
    type Reply = ();
}

/// Clear the flag.
///
/// ```
/// use retinue::sync::event::{Clear, IsSet, Set};
/// use retinue::sync::{EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = retinue::spawn(EventActor::new(EventOptions::default()));
/// event.ask(Set).await.unwrap();
/// event.ask(Clear).await.unwrap();
/// assert!(!event.ask(IsSet).await.unwrap());
/// # });
/// ```
pub struct Clear;
impl Message for Clear {
    type Reply = ();
}

/// Whether the flag is set.
///
/// ```
/// use retinue::sync::event::IsSet;
/// use retinue::sync::{EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = retinue::spawn(EventActor::new(EventOptions::default()));
/// assert!(!event.ask(IsSet).await.unwrap());
/// # });
/// ```
pub struct IsSet;
impl Message for IsSet {
    type Reply = bool;
}

/// How many live waiters are parked.
///
/// ```
/// use retinue::sync::event::Waiting;
/// use retinue::sync::{EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = retinue::spawn(EventActor::new(EventOptions::default()));
/// assert_eq!(event.ask(Waiting).await.unwrap(), 0);
/// # });
/// ```
pub struct Waiting;
impl Message for Waiting {
    type Reply = usize;
}

/// A snapshot of an event's state (read-only).
///
/// ```
/// use retinue::sync::event::Status;
/// use retinue::sync::{EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = retinue::spawn(EventActor::new(EventOptions::default()));
/// let s = event.ask(Status).await.unwrap();
/// assert_eq!((s.set, s.waiting, s.entries), (false, 0, 0));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventStatus {
    /// Whether the flag is set.
    pub set: bool,
    /// Live waiters parked.
    pub waiting: usize,
    /// Waiter entries the actor holds, abandoned ones included: equal to
    /// `waiting` except between a wait's drop and its sweep.
    pub entries: usize,
}

/// Ask for an [`EventStatus`].
///
/// ```
/// use retinue::sync::event::Status;
/// use retinue::sync::{EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = retinue::spawn(EventActor::new(EventOptions::default()));
/// assert!(!event.ask(Status).await.unwrap().set);
/// # });
/// ```
pub struct Status;
impl Message for Status {
    type Reply = EventStatus;
}

/// Remove waiters that gave up (sent by a dropped `wait`).
///
/// ```
/// use retinue::sync::event::Sweep;
/// use retinue::sync::{EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = retinue::spawn(EventActor::new(EventOptions::default()));
/// event.ask(Sweep).await.unwrap(); // nobody gave up: a no-op
/// # });
/// ```
pub struct Sweep;
impl Message for Sweep {
    type Reply = ();
}

/// Park until set (answered at once if set; sent with `ask_with`).
///
/// ```
/// use retinue::sync::event::{Set, Wait};
/// use retinue::sync::{EventActor, EventOptions};
/// # retinue::rt::block_on(async {
/// let event = retinue::spawn(EventActor::new(EventOptions::default()));
/// event.ask(Set).await.unwrap();
/// event.ask_with(Wait).await.unwrap(); // set: answered at once
/// # });
/// ```
pub struct Wait(pub ReplyTo<()>);
impl Message for Wait {
    type Reply = ();
}

impl Handler<Set> for EventActor {
    async fn handle(&mut self, _: Set, _: &mut Context<Self>) {
        self.set = true;
        for port in self.waiters.drain(..) {
            let _ = port.send(());
        }
    }
}

impl Handler<Clear> for EventActor {
    async fn handle(&mut self, _: Clear, _: &mut Context<Self>) {
        self.set = false;
    }
}

impl Handler<IsSet> for EventActor {
    async fn handle(&mut self, _: IsSet, _: &mut Context<Self>) -> bool {
        self.set
    }
}

impl Handler<Waiting> for EventActor {
    async fn handle(&mut self, _: Waiting, _: &mut Context<Self>) -> usize {
        self.waiters.iter().filter(|p| !p.is_closed()).count()
    }
}

impl Handler<Wait> for EventActor {
    async fn handle(&mut self, Wait(port): Wait, _: &mut Context<Self>) {
        if self.set {
            let _ = port.send(());
            return;
        }
        if !port.is_closed() {
            self.waiters.push(port);
        }
    }
}

impl Handler<Sweep> for EventActor {
    async fn handle(&mut self, _: Sweep, _: &mut Context<Self>) {
        self.waiters.retain(|p| !p.is_closed());
    }
}

impl Handler<Status> for EventActor {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> EventStatus {
        EventStatus {
            set: self.set,
            waiting: self.waiters.iter().filter(|p| !p.is_closed()).count(),
            entries: self.waiters.len(),
        }
    }
}

/// A handle to an event actor.
///
/// ```
/// use retinue::sync::Event;
/// # retinue::rt::block_on(async {
/// let ready = Event::new();
/// let waiter = {
///     let ready = ready.clone();
///     retinue::rt::spawn(async move { ready.wait().await })
/// };
/// ready.set().await.unwrap();
/// assert_eq!(waiter.await.unwrap(), Ok(()));
/// assert!(ready.is_set().await.unwrap());
/// # });
/// ```
#[derive(Clone)]
pub struct Event {
    addr: Addr<EventActor>,
}

impl Event {
    /// Spawns a clear event.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let event = retinue::sync::Event::new();
    /// assert_eq!(event.is_set().await, Ok(false));
    /// # });
    /// ```
    pub fn new() -> Self {
        Self::with_options(EventOptions::default())
    }

    /// Spawns an event with these options.
    ///
    /// ```
    /// use retinue::sync::{Event, EventOptions};
    /// # retinue::rt::block_on(async {
    /// let event = Event::with_options(EventOptions::default());
    /// assert_eq!(event.is_set().await, Ok(false));
    /// # });
    /// ```
    pub fn with_options(options: EventOptions) -> Self {
        Self::from_addr(crate::spawn(EventActor::new(options)))
    }

    /// A handle to an existing event actor (spawned by you, a supervisor
    /// or a config file).
    ///
    /// ```
    /// use retinue::sync::{Event, EventActor, EventOptions};
    /// # retinue::rt::block_on(async {
    /// let event = Event::from_addr(retinue::spawn(EventActor::new(EventOptions::default())));
    /// event.set().await.unwrap();
    /// assert_eq!(event.is_set().await, Ok(true));
    /// # });
    /// ```
    pub fn from_addr(addr: Addr<EventActor>) -> Self {
        Event { addr }
    }

    /// The actor's address.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let event = retinue::sync::Event::new();
    /// assert!(event.addr().is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<EventActor> {
        &self.addr
    }

    /// Sets the flag; every task waiting at this moment is released, even
    /// if someone clears the event right after.
    ///
    /// ```
    /// use retinue::sync::Event;
    /// # retinue::rt::block_on(async {
    /// let event = Event::new();
    /// let waiter = retinue::rt::spawn({
    ///     let event = event.clone();
    ///     async move { event.wait().await }
    /// });
    /// event.set().await.unwrap();
    /// assert_eq!(waiter.await.unwrap(), Ok(()));
    /// # });
    /// ```
    pub async fn set(&self) -> Result<(), EventError> {
        Ok(self.addr.ask(Set).await?)
    }

    /// Clears the flag; later waits park until the next `set`.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let event = retinue::sync::Event::new();
    /// event.set().await.unwrap();
    /// event.clear().await.unwrap();
    /// assert_eq!(event.is_set().await, Ok(false));
    /// # });
    /// ```
    pub async fn clear(&self) -> Result<(), EventError> {
        Ok(self.addr.ask(Clear).await?)
    }

    /// Whether the flag is set.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let event = retinue::sync::Event::new();
    /// assert_eq!(event.is_set().await, Ok(false));
    /// event.set().await.unwrap();
    /// assert_eq!(event.is_set().await, Ok(true));
    /// # });
    /// ```
    pub async fn is_set(&self) -> Result<bool, EventError> {
        Ok(self.addr.ask(IsSet).await?)
    }

    /// How many tasks are waiting (introspection).
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let event = retinue::sync::Event::new();
    /// let waiter = retinue::rt::spawn({
    ///     let event = event.clone();
    ///     async move { event.wait().await }
    /// });
    /// while event.waiting().await != Ok(1) {
    ///     retinue::rt::yield_now().await;
    /// }
    /// event.set().await.unwrap();
    /// waiter.await.unwrap().unwrap();
    /// assert_eq!(event.waiting().await, Ok(0));
    /// # });
    /// ```
    pub async fn waiting(&self) -> Result<usize, EventError> {
        Ok(self.addr.ask(Waiting).await?)
    }

    /// The flag, live waiters and held entries in one round trip
    /// (read-only).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::Event;
    /// # retinue::rt::block_on(async {
    /// let event = Event::new();
    /// assert!(event.wait_timeout(Duration::from_millis(1)).await.is_err());
    /// let status = event.status().await.unwrap();
    /// assert!(!status.set);
    /// assert_eq!((status.waiting, status.entries), (0, 0)); // removed at once
    /// # });
    /// ```
    pub async fn status(&self) -> Result<EventStatus, EventError> {
        Ok(self.addr.ask(Status).await?)
    }

    /// Waits until the event is set (at once if it is). Dropping the
    /// future removes the waiter at once.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let event = retinue::sync::Event::new();
    /// event.set().await.unwrap();
    /// event.wait().await.unwrap(); // already set: at once
    /// # });
    /// ```
    pub async fn wait(&self) -> Result<(), EventError> {
        Ok(ask_swept(&self.addr, Wait, Sweep).await?)
    }

    /// [`wait`](Self::wait) with a deadline ([`EventError::Timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{Event, EventError};
    /// # retinue::rt::block_on(async {
    /// let event = Event::new();
    /// let late = event.wait_timeout(Duration::from_millis(1)).await;
    /// assert_eq!(late, Err(EventError::Timeout));
    /// # });
    /// ```
    pub async fn wait_timeout(&self, timeout: Duration) -> Result<(), EventError> {
        rt::timeout(timeout, self.wait())
            .await
            .unwrap_or(Err(EventError::Timeout))
    }

    /// `Ok` if the event is set, else [`EventError::NotSet`]; never waits.
    ///
    /// ```
    /// use retinue::sync::{Event, EventError};
    /// # retinue::rt::block_on(async {
    /// let event = Event::new();
    /// assert_eq!(event.try_wait().await, Err(EventError::NotSet));
    /// event.set().await.unwrap();
    /// assert_eq!(event.try_wait().await, Ok(()));
    /// # });
    /// ```
    pub async fn try_wait(&self) -> Result<(), EventError> {
        if self.is_set().await? {
            Ok(())
        } else {
            Err(EventError::NotSet)
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Event").field(&self.addr).finish()
    }
}
