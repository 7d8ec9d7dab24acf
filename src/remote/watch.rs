//! Death watch across nodes.
//!
//! Invariants:
//! - a watch delivers exactly one [`Down`] to its recipient, then ends:
//!   the actor's exit reason when its export publishes one (it stopped for
//!   good or was withdrawn), or a [`NodeLost`] failure when no heartbeat of
//!   its node arrived for this node's `heartbeat.timeout`;
//! - a watch set up on a name that is not exported (any more) delivers its
//!   `Down` at once (like a monitor on a dead process in Erlang): the
//!   subscriptions are in place before the check, so no `Down` falls
//!   between the check and the watch;
//! - dropping the [`Watch`] cancels it; nothing is delivered after;
//! - like Erlang's `nodedown`, a node-lost `Down` means "no longer heard
//!   from", not "dead": a network split, or this node's own connection
//!   being down for longer than the timeout, gives it as well.

use std::time::Instant;

use futures_lite::StreamExt;
use futures_lite::future::or;

use super::error::{NodeLost, RemoteError, RemoteErrorKind};
use super::export::DownNotice;
use super::handle::RemoteActor;
use super::wire;
use crate::{Down, ExitReason, Recipient, rt};

/// A running watch; dropping it cancels the watch.
#[derive(Debug)]
pub struct Watch {
    task: rt::JoinHandle<()>,
}

impl Watch {
    /// Whether the `Down` was delivered (or the watch ended otherwise).
    pub fn is_finished(&self) -> bool {
        self.task.abort_handle().is_finished()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

enum Event {
    Down(ExitReason),
    Beat,
    Other,
    Silence,
    Gone,
}

impl RemoteActor {
    /// Watches the remote actor: `notify` gets one [`Down`] (with
    /// [`id`](RemoteActor::id) as its id) when the actor stops for good,
    /// its export is withdrawn, or its node is lost. A local actor that
    /// handles `Down` can act on it like on a local death watch.
    pub async fn watch(&self, notify: Recipient<Down>) -> Result<Watch, RemoteError> {
        let node = self.node.clone();
        let client = node.client().clone();
        let mut downs = client
            .subscribe(node.down_subject(self.name()))
            .await
            .map_err(|e| RemoteError::transport("cannot subscribe", e))?;
        // Which node serves it (and whether anyone does), asked after the
        // subscription is in place.
        let hello = match self.ping(node.options().ask_timeout).await {
            Ok(hello) => hello,
            Err(e) if e.kind() == RemoteErrorKind::NotExported => {
                let id = self.id();
                let task = rt::spawn(async move {
                    let _ = notify
                        .tell(Down {
                            id,
                            reason: ExitReason::failed(e),
                        })
                        .await;
                });
                return Ok(Watch { task });
            }
            Err(e) => return Err(e),
        };
        let mut beats = client
            .subscribe(node.heartbeat_subject(&hello.node))
            .await
            .map_err(|e| RemoteError::transport("cannot subscribe", e))?;
        let timeout = node.options().heartbeat.timeout;
        let id = self.id();
        let task = rt::spawn(async move {
            let mut deadline = Instant::now() + timeout;
            let reason = loop {
                let wait = deadline.saturating_duration_since(Instant::now());
                let down = async {
                    match downs.next().await {
                        Some(msg) => match wire::from_bytes::<DownNotice>(&msg.payload) {
                            Ok(n) if n.node == hello.node && n.actor == hello.actor => {
                                Event::Down(n.reason.into())
                            }
                            _ => Event::Other, // another export of the name: not ours
                        },
                        None => Event::Gone,
                    }
                };
                let beat = async {
                    match beats.next().await {
                        Some(_) => Event::Beat,
                        None => Event::Gone,
                    }
                };
                let silence = async {
                    rt::sleep(wait).await;
                    Event::Silence
                };
                match or(down, or(beat, silence)).await {
                    Event::Down(reason) => break reason,
                    Event::Beat => deadline = Instant::now() + timeout,
                    Event::Other => {}
                    Event::Silence | Event::Gone => {
                        break ExitReason::failed(NodeLost {
                            node: hello.node.clone(),
                        });
                    }
                }
            };
            let _ = notify.tell(Down { id, reason }).await;
        });
        Ok(Watch { task })
    }
}
