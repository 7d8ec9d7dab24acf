//! Node-name claims: at most one live node per name in a deployment.
//!
//! Invariants:
//! - a node's name is a key in the key-value bucket `<prefix>_nodes`;
//!   joining is creating that key (the server's compare-and-set), leaving
//!   ([`Node::close`](super::Node::close)) is deleting it at the revision
//!   the node wrote, so a node never frees a name it no longer holds;
//! - a key left behind by a node that died without leaving (killed, cut
//!   off) is taken over only when no heartbeat of that name arrives for
//!   the joiner's `heartbeat.timeout`, and only by a compare-and-set on
//!   the revision it saw: of several joiners at most one wins;
//! - a joiner that hears a heartbeat of the name fails at once with
//!   [`RemoteErrorKind::NameTaken`]: a live node keeps its name;
//! - the nodes of one deployment use the same heartbeat settings (the
//!   death watch assumes it too);
//! - a holder checks its claim on every heartbeat: when it finds its key
//!   rewritten by another node (it was cut off longer than the timeout and
//!   was taken over), it stops its heartbeat and reports the name lost
//!   ([`Node::holds_name`](super::Node::holds_name)), so two live nodes
//!   never beat under one name.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::jetstream::kv;
use futures_lite::StreamExt;

use super::error::{RemoteError, RemoteErrorKind};
use super::lock::open_bucket;
use super::node::NodeOptions;
use crate::rt;

/// This node's hold on its name.
pub(crate) struct NameClaim {
    kv: kv::Store,
    name: String,
    revision: u64,
    lost: AtomicBool,
}

impl NameClaim {
    /// Claims `options.name` on the connection `client`.
    pub(crate) async fn take(
        client: &async_nats::Client,
        options: &NodeOptions,
    ) -> Result<NameClaim, RemoteError> {
        let bucket = format!("{}_nodes", options.prefix);
        let kv = open_bucket(client, &bucket, Duration::ZERO, false)
            .await
            .map_err(no_jetstream)?;
        let name = options.name.clone();
        // A few rounds: a lost compare-and-set means another joiner won, and
        // the second round hears its heartbeat (or its key is gone again).
        for _ in 0..3 {
            match Box::pin(kv.create(&name, client_id(client).into())).await {
                Ok(revision) => return Ok(NameClaim::new(kv, name, revision)),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
                Err(e) => return Err(RemoteError::jetstream("cannot claim the node name", e)),
            }
            let Some(entry) = Box::pin(kv.entry(&name))
                .await
                .map_err(|e| RemoteError::jetstream("cannot read the node name", e))?
            else {
                continue; // gone meanwhile: try again
            };
            if entry.operation != kv::Operation::Put {
                continue;
            }
            if heard_heartbeat(client, options).await? {
                return Err(taken(&name));
            }
            // The holder is silent: take over its stale key.
            match Box::pin(kv.update(&name, client_id(client).into(), entry.revision)).await {
                Ok(revision) => return Ok(NameClaim::new(kv, name, revision)),
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                Err(e) => return Err(RemoteError::jetstream("cannot claim the node name", e)),
            }
        }
        Err(taken(&name))
    }

    fn new(kv: kv::Store, name: String, revision: u64) -> NameClaim {
        NameClaim {
            kv,
            name,
            revision,
            lost: AtomicBool::new(false),
        }
    }

    /// Whether the claim is still this node's: `false` once its key was
    /// found rewritten or deleted by someone else (a failed read is no
    /// evidence either way and keeps the claim).
    pub(crate) async fn check(&self) -> bool {
        if self.lost.load(Ordering::SeqCst) {
            return false;
        }
        let mine = match Box::pin(self.kv.entry(&self.name)).await {
            Ok(Some(entry)) => entry.revision == self.revision,
            Ok(None) => false,
            Err(_) => true,
        };
        if !mine {
            self.lost.store(true, Ordering::SeqCst);
            tracing::warn!(node = %self.name, "another node took over this node's name; heartbeats stop");
        }
        mine
    }

    /// Whether the claim was found lost.
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Frees the name (if this node still holds it). Errors are ignored:
    /// a key left behind is taken over after the heartbeat timeout.
    pub(crate) async fn release(&self) {
        let _ = Box::pin(
            self.kv
                .delete_expect_revision(&self.name, Some(self.revision)),
        )
        .await;
    }
}

/// Whether a heartbeat of `options.name` arrives within the heartbeat
/// timeout.
async fn heard_heartbeat(
    client: &async_nats::Client,
    options: &NodeOptions,
) -> Result<bool, RemoteError> {
    let subject = format!("{}.hb.{}", options.prefix, options.name);
    let mut beats = client.subscribe(subject).await.map_err(|e| {
        RemoteError::new(
            RemoteErrorKind::Transport,
            format!("cannot listen for heartbeats: {e}"),
        )
    })?;
    let heard = rt::timeout(options.heartbeat.timeout, beats.next()).await;
    let _ = beats.unsubscribe().await;
    Ok(matches!(heard, Ok(Some(_))))
}

/// Who holds the name, for people reading the bucket.
fn client_id(client: &async_nats::Client) -> String {
    let info = client.server_info();
    format!("client {} on {}", info.client_id, info.server_name)
}

fn taken(name: &str) -> RemoteError {
    RemoteError::new(
        RemoteErrorKind::NameTaken,
        format!(
            "the node name {name:?} is taken: a live node of the deployment uses it \
             (choose another name, or stop that node first)"
        ),
    )
}

fn no_jetstream(err: RemoteError) -> RemoteError {
    RemoteError::new(
        err.kind(),
        format!(
            "{}; node names are claimed in JetStream key-value: start the server \
             with JetStream (-js), or set NodeOptions::unique_name = false",
            err.message()
        ),
    )
}
