//! Exports: a local actor made reachable under a name on every node.
//!
//! Invariants:
//! - an export answers only on its own subject (`<prefix>.actor.<name>`)
//!   and only for the message types registered for it; a message of any
//!   other tag, a frame that does not parse, a payload over the node's cap
//!   or one that does not decode as its registered type is refused with a
//!   [`RemoteError`] in the reply (when the sender asked for one) and never
//!   reaches the actor, which keeps running;
//! - messages from one sender reach the actor in the order sent (one serve
//!   loop per export; a tell waits for mailbox room before the next frame
//!   is read, an ask is put into the mailbox before the next frame is read
//!   whenever the mailbox has room);
//! - an export lives while its actor does: when the actor stops for good
//!   (for a supervised child: when its slot is gone, not on a restart,
//!   since the address is stable) the export unsubscribes, then publishes
//!   `Down` with the reason on `<prefix>.down.<name>` and forgets the name.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_lite::StreamExt;
use futures_lite::future::{or, poll_once};

use super::error::{RemoteError, RemoteErrorKind};
use super::node::Node;
use super::wire::{self, Head, Hello, Kind, RemoteMessage, WireReason};
use crate::{Actor, Addr, ExitReason, Handler, rt};

type Work = Pin<Box<dyn Future<Output = Result<Vec<u8>, RemoteError>> + Send>>;
type Dispatch<A> = Arc<dyn Fn(&Addr<A>, Kind, &[u8]) -> Result<Work, RemoteError> + Send + Sync>;

/// What a `Down` published by an export carries.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct DownNotice {
    pub node: String,
    pub actor: u64,
    pub reason: WireReason,
}

/// Builds an export: name the message types it accepts, then
/// [`start`](ExportBuilder::start). From [`Node::export`].
#[must_use = "an export does nothing until started"]
pub struct ExportBuilder<A: Actor> {
    node: Node,
    name: String,
    addr: Addr<A>,
    dispatch: HashMap<&'static str, Dispatch<A>>,
}

/// A running export. Dropping it keeps the export; [`Export::withdraw`]
/// ends it.
#[derive(Debug, Clone)]
pub struct Export {
    node: Node,
    name: String,
    stop: async_channel::Sender<()>,
}

impl Export {
    /// The exported name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stops answering on the name; watchers get `Down` with `Shutdown`.
    /// The actor itself is not touched.
    pub async fn withdraw(&self) {
        let _ = self.stop.send(()).await;
        while self.node.exported().iter().any(|n| n == &self.name) {
            rt::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}

impl Node {
    /// Starts exporting `addr` under `name` (letters, digits, `_`, `-`).
    /// The export holds a strong address: the actor stays reachable while
    /// it is exported.
    ///
    /// ```no_run
    /// use serde::{Deserialize, Serialize};
    /// use retinue::{Actor, Context, Handler, Message};
    /// use retinue::remote::{Node, NodeOptions, RemoteMessage};
    ///
    /// struct Counter(u64);
    /// impl Actor for Counter {}
    /// #[derive(Serialize, Deserialize)]
    /// struct Add(u64);
    /// impl Message for Add { type Reply = u64; }
    /// impl RemoteMessage for Add { const TAG: &'static str = "counter.Add"; }
    /// impl Handler<Add> for Counter {
    ///     async fn handle(&mut self, m: Add, _: &mut Context<Self>) -> u64 { self.0 += m.0; self.0 }
    /// }
    ///
    /// # retinue::rt::block_on(async {
    /// let node = Node::connect(NodeOptions::new("a", "nats://127.0.0.1:4222")).await?;
    /// let counter = retinue::spawn(Counter(0));
    /// node.export("counter", counter).message::<Add>().start().await?;
    ///
    /// let remote = node.lookup("counter").await?; // from any node
    /// assert_eq!(remote.ask(Add(2)).await?, 2);
    /// # Ok::<_, retinue::remote::RemoteError>(()) });
    /// ```
    pub fn export<A: Actor>(&self, name: &str, addr: Addr<A>) -> ExportBuilder<A> {
        ExportBuilder {
            node: self.clone(),
            name: name.to_string(),
            addr,
            dispatch: HashMap::new(),
        }
    }
}

impl<A: Actor> ExportBuilder<A> {
    /// Accepts messages of type `M` (under its [`RemoteMessage::TAG`]).
    pub fn message<M: RemoteMessage>(mut self) -> Self
    where
        A: Handler<M>,
    {
        let dispatch: Dispatch<A> = Arc::new(|addr: &Addr<A>, kind, bytes: &[u8]| {
            let msg: M = wire::from_bytes(bytes)?;
            let addr = addr.clone();
            let work: Work = if kind == Kind::Ask {
                Box::pin(async move {
                    let reply = addr.ask(msg).await.map_err(RemoteError::from_ask)?;
                    wire::to_bytes(&reply)
                })
            } else {
                Box::pin(async move {
                    match addr.tell(msg).await {
                        Ok(()) => Ok(Vec::new()),
                        Err(_) => Err(closed()),
                    }
                })
            };
            Ok(work)
        });
        self.dispatch.insert(M::TAG, dispatch);
        self
    }

    /// Subscribes on the name and serves it. Fails with
    /// [`RemoteErrorKind::AlreadyExported`] when a node answers on the name
    /// already.
    pub async fn start(self) -> Result<Export, RemoteError> {
        let ExportBuilder {
            node,
            name,
            addr,
            dispatch,
        } = self;
        super::node::check_token("export name", &name)
            .map_err(|e| RemoteError::new(RemoteErrorKind::NotExported, e.message()))?;
        if node.inner.exports.lock().unwrap().contains_key(&name) {
            return Err(already(&name, node.name()));
        }
        if let Ok(remote) = node.lookup(&name).await {
            return Err(already(&name, remote.node_name().unwrap_or("?")));
        }
        let client = node.client().clone();
        let sub = client
            .subscribe(node.actor_subject(&name))
            .await
            .map_err(|e| RemoteError::transport("cannot subscribe", e))?;
        // Live at the server before `start` returns, so a lookup from any
        // other node finds it.
        node.server_barrier().await?;
        let (stop, stopped) = async_channel::bounded(1);
        node.inner
            .exports
            .lock()
            .unwrap()
            .insert(name.clone(), stop.clone());
        let mut tags: Vec<String> = dispatch.keys().map(|t| t.to_string()).collect();
        tags.sort();
        let hello = Hello {
            node: node.name().to_string(),
            actor: addr.id().as_u64(),
            tags,
        };
        let server = Server {
            node: node.clone(),
            addr,
            dispatch,
            hello: wire::to_bytes(&hello)?,
        };
        rt::spawn_detached(server.run(name.clone(), sub, stopped));
        Ok(Export { node, name, stop })
    }
}

fn closed() -> RemoteError {
    RemoteError::new(RemoteErrorKind::Closed, "the exported actor has stopped")
}

fn already(name: &str, node: &str) -> RemoteError {
    RemoteError::new(
        RemoteErrorKind::AlreadyExported,
        format!("{name:?} is exported already (by node {node})"),
    )
}

struct Server<A: Actor> {
    node: Node,
    addr: Addr<A>,
    dispatch: HashMap<&'static str, Dispatch<A>>,
    hello: Vec<u8>,
}

impl<A: Actor> Server<A> {
    async fn run(
        self,
        name: String,
        mut sub: async_nats::Subscriber,
        stopped: async_channel::Receiver<()>,
    ) {
        let serve = async {
            while let Some(msg) = sub.next().await {
                self.serve_one(msg).await;
            }
            ExitReason::Shutdown // the connection closed
        };
        let withdrawn = async {
            let _ = stopped.recv().await;
            ExitReason::Shutdown
        };
        let reason = or(serve, or(self.addr.wait_stopped(), withdrawn)).await;
        drop(sub); // unsubscribe before telling watchers
        let notice = DownNotice {
            node: self.node.name().to_string(),
            actor: self.addr.id().as_u64(),
            reason: WireReason::from(&reason),
        };
        if let Ok(bytes) = wire::to_bytes(&notice) {
            let client = self.node.client();
            let _ = client
                .publish(self.node.down_subject(&name), bytes.into())
                .await;
            let _ = client.flush().await;
        }
        self.node.inner.exports.lock().unwrap().remove(&name);
    }

    async fn serve_one(&self, msg: async_nats::Message) {
        let reply = msg.reply.clone();
        let outcome = match self.accept(&msg.payload) {
            Ok(Accepted::Ping) => Ok(Some(self.hello.clone())),
            Ok(Accepted::Work(kind, work)) => self.run_work(kind, work, reply.clone()).await,
            Err(err) => Err(err),
        };
        let answer = match outcome {
            Ok(None) => return, // replied later, or a tell
            Ok(Some(payload)) => wire::encode_reply(Ok(&payload)),
            Err(err) => {
                tracing::warn!(export = ?msg.subject, error = %err, "remote message refused");
                wire::encode_reply(Err(&err))
            }
        };
        if let Some(reply) = reply {
            let _ = self.node.client().publish(reply, answer.into()).await;
        }
    }

    /// Checks a frame and decodes it into work for the actor.
    fn accept(&self, bytes: &[u8]) -> Result<Accepted, RemoteError> {
        let cap = self.node.options().max_payload;
        if bytes.len() > cap {
            return Err(RemoteError::new(
                RemoteErrorKind::TooLarge,
                format!("{} bytes is over this export's cap of {cap}", bytes.len()),
            ));
        }
        let (head, payload) = wire::decode_request(bytes)?;
        if head.kind == Kind::Ping {
            return Ok(Accepted::Ping);
        }
        let Some(dispatch) = self.dispatch.get(head.tag.as_str()) else {
            return Err(unknown_type(&head, &self.dispatch));
        };
        let work = dispatch(&self.addr, head.kind, payload)?;
        let work: Work = match self.node.options().baggage.restore(&head.baggage) {
            Some(baggage) => Box::pin(baggage.scope(work)),
            None => work,
        };
        Ok(Accepted::Work(head.kind, work))
    }

    /// Tells wait here (FIFO, backpressure); asks go into the mailbox here
    /// and are answered from their own task when the handler is slow.
    async fn run_work(
        &self,
        kind: Kind,
        mut work: Work,
        reply: Option<async_nats::Subject>,
    ) -> Result<Option<Vec<u8>>, RemoteError> {
        match kind {
            Kind::Tell => work.await.map(|_| None),
            Kind::TellConfirmed => work.await.map(Some),
            _ => {
                if let Some(done) = poll_once(&mut work).await {
                    return done.map(Some);
                }
                let client = self.node.client().clone();
                rt::spawn_detached(async move {
                    let answer = wire::encode_reply(work.await.as_deref());
                    if let Some(reply) = reply {
                        let _ = client.publish(reply, answer.into()).await;
                    }
                });
                Ok(None)
            }
        }
    }
}

enum Accepted {
    Ping,
    Work(Kind, Work),
}

fn unknown_type<A: Actor>(
    head: &Head,
    dispatch: &HashMap<&'static str, Dispatch<A>>,
) -> RemoteError {
    let mut known: Vec<&str> = dispatch.keys().copied().collect();
    known.sort();
    RemoteError::new(
        RemoteErrorKind::UnknownType,
        format!(
            "message type {:?} is not registered for this export (it accepts {known:?})",
            head.tag
        ),
    )
}
