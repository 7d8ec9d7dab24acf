//! [`NodeActor`]: a node as a supervisable child.
//!
//! Invariants:
//! - the actor connects in `started` (a failure to connect is a failed
//!   start, so the supervisor's intensity and backoff apply);
//! - it fails when the connection is closed for good (the client gave up
//!   reconnecting), so its supervisor restarts it with a new connection;
//! - `stopped` closes the node (exports withdrawn, heartbeat stopped).

use super::error::RemoteError;
use super::node::{Node, NodeOptions};
use crate::{Actor, BoxError, Context, ExitReason, Handler, Message};

/// A [`Node`] as an actor, to put in a supervision tree:
///
/// ```no_run
/// use retinue::remote::{GetNode, NodeActor, NodeOptions};
/// use retinue::supervisor::ChildSpec;
///
/// let opts = NodeOptions::new("a", "nats://127.0.0.1:4222");
/// let spec = ChildSpec::worker("node", move || NodeActor::new(opts.clone()));
/// // ... later, from the child's address: addr.ask(GetNode).await
/// # let _ = spec;
/// ```
pub struct NodeActor {
    options: NodeOptions,
    node: Option<Node>,
}

impl NodeActor {
    /// An actor that will join with these options when it starts.
    pub fn new(options: NodeOptions) -> Self {
        NodeActor {
            options,
            node: None,
        }
    }
}

/// Ask for the actor's [`Node`] (connected: `started` succeeded).
pub struct GetNode;
impl Message for GetNode {
    type Reply = Result<Node, RemoteError>;
}

/// The connection was closed for good (sent by the actor's watcher task).
struct ConnectionClosed;
impl Message for ConnectionClosed {
    type Reply = ();
}

impl Actor for NodeActor {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let node = Node::connect(self.options.clone()).await?;
        let watched = node.clone();
        let me = ctx.weak_addr();
        ctx.spawn_task(async move {
            watched.closed().await;
            if let Some(me) = me.upgrade() {
                let _ = me.tell_urgent(ConnectionClosed);
            }
        });
        self.node = Some(node);
        Ok(())
    }

    async fn stopped(&mut self, _: &mut Context<Self>, _: &ExitReason) {
        if let Some(node) = self.node.take() {
            node.close().await;
        }
    }
}

impl Handler<GetNode> for NodeActor {
    async fn handle(&mut self, _: GetNode, _: &mut Context<Self>) -> Result<Node, RemoteError> {
        self.node.clone().ok_or_else(|| {
            RemoteError::new(
                super::RemoteErrorKind::Transport,
                "the node is not connected",
            )
        })
    }
}

impl Handler<ConnectionClosed> for NodeActor {
    async fn handle(&mut self, _: ConnectionClosed, ctx: &mut Context<Self>) {
        ctx.fail("the NATS connection was closed for good");
    }
}
