//! Weak addresses: naming an actor without keeping it reachable.
//!
//! Invariant: a [`WeakAddr`] is not a sender, so it never keeps an
//! unsupervised actor alive; [`upgrade`](WeakAddr::upgrade) makes a strong
//! [`Addr`] only while the mailbox is open.

use std::fmt;
use std::sync::Arc;

use super::{ActorId, Addr, short_type_name};
use crate::actor::Actor;
use crate::mailbox::Mailbox;

/// An address that does not keep the actor reachable. Upgrade it to send.
pub struct WeakAddr<A> {
    pub(super) mailbox: Arc<Mailbox<A>>,
}

impl<A: Actor> WeakAddr<A> {
    /// A strong address, unless the actor has stopped for good.
    pub fn upgrade(&self) -> Option<Addr<A>> {
        if self.mailbox.is_closed() {
            None
        } else {
            Some(Addr::from_mailbox(self.mailbox.clone()))
        }
    }

    /// The actor's identity.
    pub fn id(&self) -> ActorId {
        self.mailbox.id()
    }

    /// Whether the actor can still receive messages.
    pub fn is_alive(&self) -> bool {
        !self.mailbox.is_closed()
    }
}

impl<A> Clone for WeakAddr<A> {
    fn clone(&self) -> Self {
        WeakAddr {
            mailbox: self.mailbox.clone(),
        }
    }
}

impl<A> fmt::Debug for WeakAddr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WeakAddr<{}>({})",
            short_type_name::<A>(),
            self.mailbox.id()
        )
    }
}
