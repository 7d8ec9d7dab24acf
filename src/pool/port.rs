//! The pool as a [`Recipient`]: callers that take a `Recipient<M>` use a
//! pool exactly like a single actor, through the core's
//! [`RecipientPort`] hook; and the pool's non-waiting sends.
//!
//! Invariants: a recipient's `tell` and `ask` are the pool's own (same
//! routing, backpressure and overflow policy); errors that only a pool has
//! (no key, no copy, ask on a broadcast pool, every worker stopped) read as
//! the closest actor error (`SendError`, `TrySendError::Closed`,
//! `AskError::Closed`), always with the message back where the actor error
//! carries one.

use super::pool::{Pool, Refused};
use super::{PoolError, Routing};
use crate::recipient::PortFuture;
use crate::{
    Actor, ActorId, AskError, Handler, Message, Recipient, RecipientPort, SendError, TrySendError,
};

impl<W: Actor> Pool<W> {
    /// The pool as a type-erased address for `M`: whoever holds it cannot
    /// tell a pool from a single actor.
    ///
    /// ```
    /// use retinue::{Actor, Context, Handler, Message, Recipient};
    /// use retinue::pool::Pool;
    ///
    /// struct Double;
    /// impl Actor for Double {}
    /// struct Num(u32);
    /// impl Message for Num { type Reply = u32; }
    /// impl Handler<Num> for Double {
    ///     async fn handle(&mut self, n: Num, _: &mut Context<Self>) -> u32 { n.0 * 2 }
    /// }
    ///
    /// async fn sum_of_doubles(to: &Recipient<Num>) -> u32 {
    ///     let mut sum = 0;
    ///     for i in 1..=3 {
    ///         sum += to.ask(Num(i)).await.unwrap();
    ///     }
    ///     sum
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let single = retinue::spawn(Double);
    /// let pool = Pool::builder(|| Double).size(3).spawn().await.unwrap();
    /// assert_eq!(sum_of_doubles(&single.recipient()).await, 12);
    /// assert_eq!(sum_of_doubles(&pool.recipient()).await, 12);
    /// pool.shutdown().await;
    /// # });
    /// ```
    pub fn recipient<M: Message>(&self) -> Recipient<M>
    where
        W: Handler<M>,
    {
        Recipient::from_port(self.clone())
    }

    /// Sends `msg` to one worker without waiting ([`Routing::Broadcast`]:
    /// a copy to each worker that has room). [`PoolError::Full`] when no
    /// worker that may take it has room, whatever the overflow policy.
    pub fn try_tell<M: Message>(&self, mut msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        match self.routing() {
            Routing::Broadcast => return self.try_broadcast(msg),
            Routing::Balancing => return self.try_shared(msg),
            _ => {}
        }
        loop {
            match self.try_route(msg) {
                Ok(()) => return Ok(()),
                Err(Refused::Pick(e)) => return Err(e),
                Err(Refused::Full(_, back)) => return Err(PoolError::Full(back)),
                Err(Refused::Gone(slot, back)) => msg = self.reroute(&slot, back)?,
            }
        }
    }

    /// Sends `msg` on the control lane of the worker routing picks (served
    /// before its queued messages; never waits). Balancing and broadcast
    /// pick one worker round-robin.
    pub fn tell_urgent<M: Message>(&self, msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        let workers = self.workers();
        let addr = match self.routing() {
            Routing::Broadcast | Routing::Balancing if !workers.is_empty() => workers[self
                .shared()
                .next
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                % workers.len()]
            .clone(),
            _ => match self.pick(&msg) {
                Ok(slot) => slot.addr,
                Err(e) => return Err(e.with(msg)),
            },
        };
        addr.tell_urgent(msg).map_err(|e| PoolError::Closed(e.0))
    }

    fn try_broadcast<M: Message>(&self, msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        let workers = self.workers();
        let mut refused = None;
        for addr in &workers {
            let Some(copy) = self.copy_of(&msg) else {
                return Err(PoolError::NoCopy(msg));
            };
            if let Err(e) = addr.try_tell(copy) {
                refused = Some(e);
            }
        }
        match refused {
            None if !workers.is_empty() => Ok(()),
            Some(TrySendError::Full(_)) => Err(PoolError::Full(msg)),
            _ => Err(PoolError::Closed(msg)),
        }
    }

    fn try_shared<M: Message>(&self, msg: M) -> Result<(), PoolError<M>>
    where
        W: Handler<M>,
    {
        let Some(jobs) = &self.shared().shared_jobs else {
            return Err(PoolError::Closed(msg));
        };
        jobs.try_tell(msg).map_err(|e| match e {
            TrySendError::Full(msg) => PoolError::Full(msg),
            TrySendError::Closed(msg) => PoolError::Closed(msg),
        })
    }
}

/// A pool stands wherever a [`Recipient<M>`] is expected
/// ([`Pool::recipient`]). Its id is the pool's supervisor's.
impl<W: Handler<M>, M: Message> RecipientPort<M> for Pool<W> {
    fn id(&self) -> ActorId {
        self.shared().sup.id()
    }

    fn is_alive(&self) -> bool {
        self.shared().sup.is_alive() && self.workers().iter().any(|w| w.is_alive())
    }

    fn tell(&self, msg: M) -> PortFuture<'_, Result<(), SendError<M>>> {
        Box::pin(async move {
            Pool::tell(self, msg)
                .await
                .map_err(|e| SendError(e.into_msg().expect("a tell's error carries its message")))
        })
    }

    fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        Pool::try_tell(self, msg).map_err(|e| match e {
            PoolError::Full(m) => TrySendError::Full(m),
            e => TrySendError::Closed(e.into_msg().expect("a tell's error carries its message")),
        })
    }

    fn tell_urgent(&self, msg: M) -> Result<(), SendError<M>> {
        Pool::tell_urgent(self, msg)
            .map_err(|e| SendError(e.into_msg().expect("a tell's error carries its message")))
    }

    fn ask(&self, msg: M) -> PortFuture<'_, Result<M::Reply, AskError>> {
        Box::pin(async move {
            Pool::ask(self, msg).await.map_err(|e| match e {
                PoolError::Ask(e) => e,
                _ => AskError::Closed,
            })
        })
    }
}
