//! The waiting getters and putters of a queue actor.
//!
//! Invariant: a waiter is only its reply port (plus, for a batch put, the
//! items not yet accepted); a waiter whose port is closed gave up, and the
//! actor skips it or prunes it (`Sweep`) without answering.

use std::collections::VecDeque;

use super::messages::{DeliveryReply, GetManyReply, GetReply, PermitReply, Refused};
use super::{GetError, PutError};
use crate::ReplyTo;

pub(super) enum Getter<T: Send + 'static> {
    One(ReplyTo<GetReply<T>>),
    Many(usize, ReplyTo<GetManyReply<T>>),
    Acked(ReplyTo<DeliveryReply<T>>),
}

impl<T: Send + 'static> Getter<T> {
    pub(super) fn is_closed(&self) -> bool {
        match self {
            Getter::One(p) => p.is_closed(),
            Getter::Many(_, p) => p.is_closed(),
            Getter::Acked(p) => p.is_closed(),
        }
    }

    pub(super) fn fail(self, err: GetError) {
        match self {
            Getter::One(p) => drop(p.send(Err(err))),
            Getter::Many(_, p) => drop(p.send(Err(err))),
            Getter::Acked(p) => drop(p.send(Err(err))),
        }
    }
}

pub(super) enum Putter<T: Send + 'static> {
    One {
        id: u64,
        port: ReplyTo<PermitReply<T>>,
    },
    Many {
        items: VecDeque<T>,
        port: ReplyTo<Result<(), PutError<Vec<T>>>>,
    },
}

impl<T: Send + 'static> Putter<T> {
    pub(super) fn is_closed(&self) -> bool {
        match self {
            Putter::One { port, .. } => port.is_closed(),
            Putter::Many { port, .. } => port.is_closed(),
        }
    }

    pub(super) fn fail_shut_down(self) {
        match self {
            Putter::One { port, .. } => drop(port.send(Err(Refused::ShutDown))),
            Putter::Many { items, port } => {
                drop(port.send(Err(PutError::ShutDown(items.into()))));
            }
        }
    }
}
