//! [`Barrier`]: n parties meet, then all pass together; reusable.
//!
//! Invariants (of [`BarrierActor`]):
//! - Within one generation, arrivals are numbered `0..parties` in the order
//!   the actor received them; the last arrival (index `parties - 1`) trips
//!   the barrier and is the leader. Every passer of a generation gets the
//!   same generation number; generations strictly increase.
//! - A waiter that gave up (its future dropped or timed out) is pruned
//!   before it could count: the barrier trips only when `parties` live
//!   waiters are present, and indices are assigned at trip time among them.
//!   Its dropped reply sends a sweep (see `cancel_sweep`) that removes it
//!   at once; queries never change state.
//! - `reset` fails the current waiters with [`BarrierError::Reset`], starts
//!   a new generation and clears the broken flag; `abort` fails them with
//!   [`BarrierError::Broken`] and every later wait fails the same way
//!   until `reset`.
//! - No handler panics; `parties == 0` is refused at construction.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::cancel_sweep::ask_swept;
use crate::{Actor, Addr, AskError, Context, Handler, Message, ReplyTo};

/// Options of a [`BarrierActor`] (deserializable from config files).
///
/// ```
/// let opts = retinue::sync::BarrierOptions { parties: 3 };
/// assert!(retinue::sync::BarrierActor::new(opts).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarrierOptions {
    /// How many parties must arrive to pass (required, ≥ 1; no default).
    pub parties: usize,
}

/// Why a barrier wait failed.
///
/// ```
/// use retinue::sync::{Barrier, BarrierError};
/// # retinue::rt::block_on(async {
/// assert_eq!(Barrier::new(0).unwrap_err(), BarrierError::ZeroParties);
/// let barrier = Barrier::new(2).unwrap();
/// assert_eq!(barrier.try_wait().await.unwrap_err(), BarrierError::WouldBlock);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierError {
    /// A barrier of zero parties was requested.
    ZeroParties,
    /// The barrier was reset while this party waited; it may wait again.
    Reset,
    /// The barrier was aborted; waits fail until it is reset.
    Broken,
    /// `try_wait`: this arrival would not trip the barrier.
    WouldBlock,
    /// `wait_timeout`: the deadline passed first (this arrival was withdrawn).
    Timeout,
    /// The actor is gone, or stopped/restarted before answering.
    Unavailable(AskError),
}

impl fmt::Display for BarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarrierError::ZeroParties => f.write_str("a barrier needs at least one party"),
            BarrierError::Reset => f.write_str("the barrier was reset"),
            BarrierError::Broken => f.write_str("the barrier is broken (aborted)"),
            BarrierError::WouldBlock => f.write_str("the barrier would not trip now"),
            BarrierError::Timeout => f.write_str("the barrier did not trip within the deadline"),
            BarrierError::Unavailable(e) => write!(f, "barrier unavailable: {e}"),
        }
    }
}

impl std::error::Error for BarrierError {}

impl From<AskError> for BarrierError {
    fn from(e: AskError) -> Self {
        BarrierError::Unavailable(e)
    }
}

/// What one party learns when the barrier trips.
///
/// ```
/// # retinue::rt::block_on(async {
/// let barrier = retinue::sync::Barrier::new(1).unwrap();
/// let pass = barrier.wait().await.unwrap(); // one party: trips at once
/// assert_eq!((pass.index, pass.leader, pass.generation), (0, true, 0));
/// assert_eq!(barrier.wait().await.unwrap().generation, 1);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    /// Arrival order in this generation, `0..parties`, distinct per party.
    pub index: usize,
    /// True for exactly one party per generation (the last to arrive).
    pub leader: bool,
    /// The generation that tripped (starts at 0).
    pub generation: u64,
}

type Pass = Result<BarrierWaitResult, BarrierError>;

/// Arrive and wait for the barrier to trip (answered through `port`).
pub struct Wait {
    /// Where the pass goes.
    pub port: ReplyTo<Pass>,
}
impl Message for Wait {
    type Reply = ();
}

/// Arrive only if this arrival trips the barrier.
///
/// ```
/// use retinue::sync::barrier::TryWait;
/// use retinue::sync::{BarrierActor, BarrierOptions};
/// # retinue::rt::block_on(async {
/// let barrier = retinue::spawn(BarrierActor::new(BarrierOptions { parties: 1 }).unwrap());
/// let pass = barrier.ask(TryWait).await.unwrap().unwrap(); // one party: trips
/// assert!(pass.leader);
/// # });
/// ```
pub struct TryWait;
impl Message for TryWait {
    type Reply = Pass;
}

/// Fail current waiters with `Reset`, clear the broken flag, new generation.
///
/// ```
/// use retinue::sync::barrier::{Abort, Reset, Status};
/// use retinue::sync::{BarrierActor, BarrierOptions};
/// # retinue::rt::block_on(async {
/// let barrier = retinue::spawn(BarrierActor::new(BarrierOptions { parties: 1 }).unwrap());
/// barrier.ask(Abort).await.unwrap();
/// barrier.ask(Reset).await.unwrap();
/// assert!(!barrier.ask(Status).await.unwrap().broken);
/// # });
/// ```
pub struct Reset;
impl Message for Reset {
    type Reply = ();
}

/// Fail current waiters with `Broken`; later waits fail until reset.
///
/// ```
/// use retinue::sync::BarrierError;
/// use retinue::sync::barrier::{Abort, TryWait};
/// use retinue::sync::{BarrierActor, BarrierOptions};
/// # retinue::rt::block_on(async {
/// let barrier = retinue::spawn(BarrierActor::new(BarrierOptions { parties: 1 }).unwrap());
/// barrier.ask(Abort).await.unwrap();
/// assert_eq!(barrier.ask(TryWait).await.unwrap().unwrap_err(), BarrierError::Broken);
/// # });
/// ```
pub struct Abort;
impl Message for Abort {
    type Reply = ();
}

/// Prune waiters that gave up.
///
/// ```
/// use retinue::sync::barrier::Sweep;
/// use retinue::sync::{BarrierActor, BarrierOptions};
/// # retinue::rt::block_on(async {
/// let barrier = retinue::spawn(BarrierActor::new(BarrierOptions { parties: 1 }).unwrap());
/// barrier.ask(Sweep).await.unwrap(); // nobody gave up: a no-op
/// # });
/// ```
pub struct Sweep;
impl Message for Sweep {
    type Reply = ();
}

/// A snapshot of a barrier's state.
///
/// ```
/// # retinue::rt::block_on(async {
/// let barrier = retinue::sync::Barrier::new(3).unwrap();
/// let s = barrier.status().await.unwrap();
/// assert_eq!((s.parties, s.waiting, s.generation, s.broken), (3, 0, 0, false));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierStatus {
    /// Parties needed to trip.
    pub parties: usize,
    /// Live parties waiting now.
    pub waiting: usize,
    /// The current generation.
    pub generation: u64,
    /// Aborted and not yet reset.
    pub broken: bool,
    /// Waiter entries the actor holds, abandoned ones included: equal to
    /// `waiting` except between a wait's drop and its sweep.
    pub entries: usize,
}

/// Ask for a [`BarrierStatus`].
///
/// ```
/// use retinue::sync::barrier::Status;
/// use retinue::sync::{BarrierActor, BarrierOptions};
/// # retinue::rt::block_on(async {
/// let barrier = retinue::spawn(BarrierActor::new(BarrierOptions { parties: 1 }).unwrap());
/// assert_eq!(barrier.ask(Status).await.unwrap().parties, 1);
/// # });
/// ```
pub struct Status;
impl Message for Status {
    type Reply = BarrierStatus;
}

/// The barrier actor. Spawn it yourself (or under a supervisor) and wrap its
/// address with [`Barrier::from_addr`].
///
/// ```
/// use retinue::sync::{Barrier, BarrierActor, BarrierError, BarrierOptions};
///
/// assert_eq!(
///     BarrierActor::new(BarrierOptions { parties: 0 }).err(),
///     Some(BarrierError::ZeroParties)
/// );
/// # retinue::rt::block_on(async {
/// let actor = BarrierActor::new(BarrierOptions { parties: 1 }).unwrap();
/// let barrier = Barrier::from_addr(retinue::spawn(actor));
/// assert!(barrier.wait().await.unwrap().leader);
/// # });
/// ```
pub struct BarrierActor {
    parties: usize,
    generation: u64,
    broken: bool,
    waiters: Vec<ReplyTo<Pass>>,
}

impl BarrierActor {
    /// A barrier for `opts.parties` parties (≥ 1).
    ///
    /// ```
    /// use retinue::sync::{BarrierActor, BarrierError, BarrierOptions};
    /// assert!(BarrierActor::new(BarrierOptions { parties: 2 }).is_ok());
    /// assert!(matches!(
    ///     BarrierActor::new(BarrierOptions { parties: 0 }),
    ///     Err(BarrierError::ZeroParties)
    /// ));
    /// ```
    pub fn new(opts: BarrierOptions) -> Result<Self, BarrierError> {
        if opts.parties == 0 {
            return Err(BarrierError::ZeroParties);
        }
        Ok(BarrierActor {
            parties: opts.parties,
            generation: 0,
            broken: false,
            waiters: Vec::new(),
        })
    }

    fn prune(&mut self) {
        self.waiters.retain(|p| !p.is_closed());
    }

    /// Releases the current waiters plus `last` (if any) as one generation.
    fn trip(&mut self, last: Option<ReplyTo<Pass>>) -> Option<BarrierWaitResult> {
        let generation = self.generation;
        self.generation += 1;
        let waiters = std::mem::take(&mut self.waiters);
        for (index, port) in waiters.into_iter().enumerate() {
            let _ = port.send(Ok(BarrierWaitResult {
                index,
                leader: index + 1 == self.parties,
                generation,
            }));
        }
        let result = BarrierWaitResult {
            index: self.parties - 1,
            leader: true,
            generation,
        };
        match last {
            Some(port) => {
                let _ = port.send(Ok(result));
                None
            }
            None => Some(result),
        }
    }

    fn fail_all(&mut self, err: BarrierError) {
        for port in self.waiters.drain(..) {
            let _ = port.send(Err(err));
        }
    }
}

impl Actor for BarrierActor {}

impl Handler<Wait> for BarrierActor {
    async fn handle(&mut self, msg: Wait, _: &mut Context<Self>) {
        if msg.port.is_closed() {
            return;
        }
        if self.broken {
            let _ = msg.port.send(Err(BarrierError::Broken));
            return;
        }
        self.prune();
        if self.waiters.len() + 1 >= self.parties {
            self.trip(Some(msg.port));
        } else {
            self.waiters.push(msg.port);
        }
    }
}

impl Handler<TryWait> for BarrierActor {
    async fn handle(&mut self, _: TryWait, _: &mut Context<Self>) -> Pass {
        if self.broken {
            return Err(BarrierError::Broken);
        }
        self.prune();
        if self.waiters.len() + 1 >= self.parties {
            self.trip(None).ok_or(BarrierError::WouldBlock)
        } else {
            Err(BarrierError::WouldBlock)
        }
    }
}

impl Handler<Reset> for BarrierActor {
    async fn handle(&mut self, _: Reset, _: &mut Context<Self>) {
        self.fail_all(BarrierError::Reset);
        self.broken = false;
        self.generation += 1;
    }
}

impl Handler<Abort> for BarrierActor {
    async fn handle(&mut self, _: Abort, _: &mut Context<Self>) {
        self.fail_all(BarrierError::Broken);
        self.broken = true;
    }
}

impl Handler<Sweep> for BarrierActor {
    async fn handle(&mut self, _: Sweep, _: &mut Context<Self>) {
        self.prune();
    }
}

impl Handler<Status> for BarrierActor {
    async fn handle(&mut self, _: Status, _: &mut Context<Self>) -> BarrierStatus {
        BarrierStatus {
            parties: self.parties,
            waiting: self.waiters.iter().filter(|p| !p.is_closed()).count(),
            generation: self.generation,
            broken: self.broken,
            entries: self.waiters.len(),
        }
    }
}

/// A clonable handle to a barrier actor.
///
/// ```
/// use retinue::sync::Barrier;
///
/// # retinue::rt::block_on(async {
/// let barrier = Barrier::new(2).unwrap();
/// let other = barrier.clone();
/// let first = retinue::rt::spawn(async move { other.wait().await });
/// let me = barrier.wait().await.unwrap();
/// let them = first.await.unwrap().unwrap();
/// assert_eq!(me.generation, them.generation);
/// assert_ne!(me.index, them.index);
/// assert!(me.leader ^ them.leader);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Barrier {
    addr: Addr<BarrierActor>,
}

impl Barrier {
    /// Spawns a barrier for `parties` parties (≥ 1).
    ///
    /// ```
    /// use retinue::sync::{Barrier, BarrierError};
    /// assert!(matches!(Barrier::new(0), Err(BarrierError::ZeroParties)));
    /// # retinue::rt::block_on(async {
    /// let barrier = Barrier::new(2).unwrap();
    /// assert_eq!(barrier.status().await.unwrap().parties, 2);
    /// # });
    /// ```
    pub fn new(parties: usize) -> Result<Self, BarrierError> {
        let actor = BarrierActor::new(BarrierOptions { parties })?;
        Ok(Self::from_addr(crate::spawn(actor)))
    }

    /// Wraps the address of an existing (e.g. supervised) barrier actor.
    ///
    /// ```
    /// use retinue::sync::{Barrier, BarrierActor, BarrierOptions};
    /// # retinue::rt::block_on(async {
    /// let actor = BarrierActor::new(BarrierOptions { parties: 1 }).unwrap();
    /// let barrier = Barrier::from_addr(retinue::spawn(actor));
    /// assert!(barrier.wait().await.unwrap().leader);
    /// # });
    /// ```
    pub fn from_addr(addr: Addr<BarrierActor>) -> Self {
        Barrier { addr }
    }

    /// The actor's address.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let barrier = retinue::sync::Barrier::new(2).unwrap();
    /// assert!(barrier.addr().is_alive());
    /// # });
    /// ```
    pub fn addr(&self) -> &Addr<BarrierActor> {
        &self.addr
    }

    /// Arrives and waits until `parties` parties have arrived.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let barrier = retinue::sync::Barrier::new(2).unwrap();
    /// let other = retinue::rt::spawn({
    ///     let barrier = barrier.clone();
    ///     async move { barrier.wait().await }
    /// });
    /// let me = barrier.wait().await.unwrap();
    /// let them = other.await.unwrap().unwrap();
    /// assert_eq!(me.index + them.index, 1); // 0 and 1
    /// # });
    /// ```
    pub async fn wait(&self) -> Pass {
        ask_swept(&self.addr, |port| Wait { port }, Sweep).await?
    }

    /// Arrives only if that trips the barrier, else [`BarrierError::WouldBlock`]
    /// (and this arrival does not count).
    ///
    /// ```
    /// use retinue::sync::{Barrier, BarrierError};
    /// # retinue::rt::block_on(async {
    /// let barrier = Barrier::new(2).unwrap();
    /// assert_eq!(barrier.try_wait().await.unwrap_err(), BarrierError::WouldBlock);
    /// assert_eq!(barrier.status().await.unwrap().waiting, 0); // did not count
    /// # });
    /// ```
    pub async fn try_wait(&self) -> Pass {
        self.addr.ask(TryWait).await?
    }

    /// [`wait`](Self::wait) with a deadline; on timeout the arrival is withdrawn.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retinue::sync::{Barrier, BarrierError};
    /// # retinue::rt::block_on(async {
    /// let barrier = Barrier::new(2).unwrap();
    /// let late = barrier.wait_timeout(Duration::from_millis(1)).await;
    /// assert_eq!(late.unwrap_err(), BarrierError::Timeout);
    /// # });
    /// ```
    pub async fn wait_timeout(&self, timeout: Duration) -> Pass {
        crate::rt::timeout(timeout, self.wait())
            .await
            .unwrap_or(Err(BarrierError::Timeout))
    }

    /// Fails the current waiters with [`BarrierError::Reset`] and repairs
    /// an aborted barrier.
    ///
    /// ```
    /// use retinue::sync::{Barrier, BarrierError};
    /// # retinue::rt::block_on(async {
    /// let barrier = Barrier::new(1).unwrap();
    /// barrier.abort().await.unwrap();
    /// assert_eq!(barrier.wait().await.unwrap_err(), BarrierError::Broken);
    /// barrier.reset().await.unwrap(); // repaired
    /// assert!(barrier.wait().await.is_ok());
    /// # });
    /// ```
    pub async fn reset(&self) -> Result<(), BarrierError> {
        Ok(self.addr.ask(Reset).await?)
    }

    /// Fails the current waiters with [`BarrierError::Broken`]; the barrier
    /// stays broken until [`reset`](Self::reset).
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let barrier = retinue::sync::Barrier::new(2).unwrap();
    /// barrier.abort().await.unwrap();
    /// assert!(barrier.status().await.unwrap().broken);
    /// # });
    /// ```
    pub async fn abort(&self) -> Result<(), BarrierError> {
        Ok(self.addr.ask(Abort).await?)
    }

    /// A snapshot of the state.
    ///
    /// ```
    /// # retinue::rt::block_on(async {
    /// let barrier = retinue::sync::Barrier::new(1).unwrap();
    /// barrier.wait().await.unwrap();
    /// assert_eq!(barrier.status().await.unwrap().generation, 1);
    /// # });
    /// ```
    pub async fn status(&self) -> Result<BarrierStatus, BarrierError> {
        Ok(self.addr.ask(Status).await?)
    }
}
