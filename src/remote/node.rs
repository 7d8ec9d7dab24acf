//! [`Node`]: this process's membership in a NATS deployment.
//!
//! Invariants:
//! - a node has one NATS connection; everything remote of this process
//!   (exports, handles, watches, locks, queues) goes through it;
//! - while the node is open it publishes a heartbeat every
//!   `heartbeat.interval` on `<prefix>.hb.<name>`; watchers elsewhere take
//!   a silence longer than their `heartbeat.timeout` as the node's loss;
//! - [`Node::close`] withdraws every export (watchers get `Down` with
//!   `Shutdown`), stops the heartbeat and drains the connection; dropping
//!   the last handle stops the heartbeat too (exports end with the
//!   connection, watchers see the node lost);
//! - a node's name is unique among the live nodes of the deployment
//!   (see [`names`](super::names)): a second node joining under a live
//!   name fails with [`RemoteErrorKind::NameTaken`]; `close` frees it;
//! - a node never panics on what arrives: see [`export`](super::export).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_listener::Event;

use super::error::{RemoteError, RemoteErrorKind};
use super::names::NameClaim;
use super::wire::BaggageTypes;
use crate::rt;

/// How a node proves who it is to the server. Passed through to NATS as
/// is, so a deployment's own accounts and subject permissions apply.
#[derive(Clone, Default)]
pub enum Credentials {
    /// No credentials.
    #[default]
    None,
    /// A user name and password.
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// A token.
    Token(String),
    /// An nkey seed (`SU...`).
    NKey(String),
    /// A `.creds` file (JWT and nkey seed), as `nsc` writes it.
    CredsFile(PathBuf),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        f.write_str(match self {
            Credentials::None => "None",
            Credentials::UserPassword { .. } => "UserPassword(..)",
            Credentials::Token(_) => "Token(..)",
            Credentials::NKey(_) => "NKey(..)",
            Credentials::CredsFile(_) => "CredsFile(..)",
        })
    }
}

/// TLS settings, passed through to NATS.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Refuse to connect without TLS.
    pub required: bool,
    /// Extra root certificates (PEM files) to trust.
    pub root_certificates: Vec<PathBuf>,
    /// A client certificate and its key (PEM files), for mutual TLS.
    pub client_certificate: Option<(PathBuf, PathBuf)>,
    /// Start TLS before the server's INFO (servers with `handshake_first`).
    pub tls_first: bool,
}

/// How the connection comes back after it breaks.
#[derive(Debug, Clone)]
pub struct Reconnect {
    /// Give up after this many attempts in a row (`None`: never give up).
    /// When the client gives up the node is closed and a supervised
    /// [`NodeActor`](super::NodeActor) fails, so its supervisor decides.
    pub max_attempts: Option<usize>,
    /// The longest wait between two attempts (the wait doubles from 10 ms).
    pub max_delay: Duration,
    /// Keep trying when the first connection fails instead of failing
    /// `connect` (the node is usable once connected; with
    /// [`NodeOptions::unique_name`] `connect` returns once it is connected
    /// and has claimed its name).
    pub retry_initial: bool,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            max_attempts: None,
            max_delay: Duration::from_secs(2),
            retry_initial: false,
        }
    }
}

/// Death-watch heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// How often this node says it is alive.
    pub interval: Duration,
    /// How long this node's watchers wait for a watched node's heartbeat
    /// before they report it lost.
    pub timeout: Duration,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Everything [`Node::connect`] needs. `NodeOptions::new(name, url)` fills
/// in the defaults.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// The node's name: unique in the deployment, letters, digits, `_`, `-`.
    pub name: String,
    /// Claim the name so that no second live node can join under it
    /// (default `true`; needs JetStream on the server). With `false` the
    /// name is not checked.
    pub unique_name: bool,
    /// The server URL(s), comma separated (`nats://127.0.0.1:4222`).
    pub url: String,
    /// Credentials.
    pub credentials: Credentials,
    /// TLS.
    pub tls: TlsOptions,
    /// Reconnect policy.
    pub reconnect: Reconnect,
    /// Heartbeats.
    pub heartbeat: Heartbeat,
    /// The deadline of [`RemoteActor::ask`](super::RemoteActor::ask) (and
    /// of lookups).
    pub ask_timeout: Duration,
    /// The largest payload this node sends or accepts (bytes). Default
    /// 256 KiB; NATS's own limit (1 MiB by default) also applies.
    pub max_payload: usize,
    /// The first subject token of everything retinue publishes, so two
    /// applications can share a server (`retinue`).
    pub prefix: String,
    /// The baggage types that travel with messages.
    pub baggage: BaggageTypes,
}

impl NodeOptions {
    /// Defaults for a node called `name` on the server at `url`.
    ///
    /// ```
    /// use retinue::remote::NodeOptions;
    /// let opts = NodeOptions::new("billing-1", "nats://127.0.0.1:4222");
    /// assert_eq!(opts.prefix, "retinue");
    /// ```
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        NodeOptions {
            name: name.into(),
            unique_name: true,
            url: url.into(),
            credentials: Credentials::None,
            tls: TlsOptions::default(),
            reconnect: Reconnect::default(),
            heartbeat: Heartbeat::default(),
            ask_timeout: Duration::from_secs(5),
            max_payload: 256 * 1024,
            prefix: "retinue".to_string(),
            baggage: BaggageTypes::new(),
        }
    }
}

/// A token of a subject: letters, digits, `_` and `-` (no dots, spaces or
/// wildcards).
pub(crate) fn check_token(what: &str, token: &str) -> Result<(), RemoteError> {
    let ok = !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(RemoteError::new(
            RemoteErrorKind::Connect,
            format!("invalid {what} {token:?}: use letters, digits, '_' and '-'"),
        ))
    }
}

pub(crate) struct Inner {
    pub(crate) name: String,
    pub(crate) client: async_nats::Client,
    pub(crate) options: NodeOptions,
    pub(crate) exports: Mutex<HashMap<String, async_channel::Sender<()>>>,
    heartbeat: Mutex<Option<rt::JoinHandle<()>>>,
    claim: Option<Arc<NameClaim>>,
    state: Arc<ConnState>,
}

/// What the connection's event callback reports.
#[derive(Default)]
pub(crate) struct ConnState {
    closed: AtomicBool,
    changed: Event,
}

impl ConnState {
    /// Whether the client gave up for good.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// This process as a member of a NATS deployment: the connection that
/// exports, remote handles, death watch, cross-machine locks and queues
/// use. Cheap to clone.
///
/// ```no_run
/// use retinue::remote::{Node, NodeOptions};
/// # retinue::rt::block_on(async {
/// let node = Node::connect(NodeOptions::new("a", "nats://127.0.0.1:4222")).await?;
/// println!("joined as {}", node.name());
/// node.close().await;
/// # Ok::<_, retinue::remote::RemoteError>(()) });
/// ```
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<Inner>,
}

impl Node {
    /// Connects, claims the name and starts the heartbeat. Wrong
    /// credentials fail with [`RemoteErrorKind::Auth`], an unreachable
    /// server with [`RemoteErrorKind::Connect`], a name that a live node
    /// uses with [`RemoteErrorKind::NameTaken`] (at once when its holder's
    /// heartbeat is heard; the name of a node that died without closing is
    /// taken over after `heartbeat.timeout` of silence).
    pub async fn connect(options: NodeOptions) -> Result<Node, RemoteError> {
        check_token("node name", &options.name)?;
        check_token("prefix", &options.prefix)?;
        let state = Arc::new(ConnState::default());
        let connect = connect_options(&options, state.clone()).await?;
        let client = connect
            .connect(options.url.as_str())
            .await
            .map_err(connect_error)?;
        let claim = if options.unique_name {
            if options.reconnect.retry_initial {
                wait_connected(&client, &state).await;
            }
            match NameClaim::take(&client, &options).await {
                Ok(claim) => Some(Arc::new(claim)),
                Err(e) => {
                    let _ = client.drain().await;
                    return Err(e);
                }
            }
        } else {
            None
        };
        let node = Node {
            inner: Arc::new(Inner {
                name: options.name.clone(),
                client,
                options,
                exports: Mutex::new(HashMap::new()),
                heartbeat: Mutex::new(None),
                claim,
                state,
            }),
        };
        node.start_heartbeat();
        Ok(node)
    }

    fn start_heartbeat(&self) {
        let client = self.inner.client.clone();
        let subject = self.heartbeat_subject(&self.inner.name);
        let interval = self.inner.options.heartbeat.interval;
        let name = self.inner.name.clone();
        let claim = self.inner.claim.clone();
        let task = rt::spawn(async move {
            loop {
                // A check slower than a beat is no evidence: beat anyway.
                if let Some(claim) = &claim
                    && !rt::timeout(interval, claim.check()).await.unwrap_or(true)
                {
                    return; // taken over: this node no longer beats for the name
                }
                // A failed publish (disconnected) is retried next beat.
                let _ = client.publish(subject.clone(), name.clone().into()).await;
                rt::sleep(interval).await;
            }
        });
        *self.inner.heartbeat.lock().unwrap() = Some(task);
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Whether this node still holds its name: `false` after another node
    /// took the name over (this one was cut off from the deployment for
    /// longer than the heartbeat timeout); it then sends no heartbeats and
    /// should be closed. Always `true` without
    /// [`NodeOptions::unique_name`].
    pub fn holds_name(&self) -> bool {
        self.inner.claim.as_ref().is_none_or(|c| !c.is_lost())
    }

    /// The options it was connected with.
    pub fn options(&self) -> &NodeOptions {
        &self.inner.options
    }

    /// The underlying NATS client, for what retinue does not wrap.
    pub fn client(&self) -> &async_nats::Client {
        &self.inner.client
    }

    /// Whether the connection is up right now (it may be reconnecting).
    pub fn is_connected(&self) -> bool {
        self.inner.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Whether the client gave up for good (closed, or reconnects exhausted).
    pub fn is_closed(&self) -> bool {
        self.inner.state.closed.load(Ordering::SeqCst)
    }

    /// The connection's state, shared with what outlives a borrow of the
    /// node (a queue's feeders).
    pub(crate) fn conn_state(&self) -> Arc<ConnState> {
        self.inner.state.clone()
    }

    /// Waits until the connection is closed for good.
    pub async fn closed(&self) {
        loop {
            if self.is_closed() {
                return;
            }
            let listener = self.inner.state.changed.listen();
            if self.is_closed() {
                return;
            }
            listener.await;
        }
    }

    /// The names this node exports right now.
    pub fn exported(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.exports.lock().unwrap().keys().cloned().collect();
        names.sort();
        names
    }

    /// Withdraws every export (watchers get `Down` with `Shutdown`), stops
    /// the heartbeat, frees the name and drains the connection.
    pub async fn close(&self) {
        let stops: Vec<_> = self
            .inner
            .exports
            .lock()
            .unwrap()
            .values()
            .cloned()
            .collect();
        for stop in stops {
            let _ = stop.send(()).await;
        }
        // Each export removes itself once its Down is published.
        for _ in 0..200 {
            if self.inner.exports.lock().unwrap().is_empty() {
                break;
            }
            rt::sleep(Duration::from_millis(5)).await;
        }
        if let Some(task) = self.inner.heartbeat.lock().unwrap().take() {
            task.abort();
        }
        if let Some(claim) = &self.inner.claim {
            claim.release().await;
        }
        let _ = self.inner.client.flush().await;
        let _ = self.inner.client.drain().await;
    }

    /// Returns once the server has processed everything this connection
    /// sent before (a subscription is then live for every other client).
    /// `flush` alone only empties the client's buffer into the socket; a
    /// request to a subject nobody serves comes back (as "no responders")
    /// only after the server read all that came before it.
    pub(crate) async fn server_barrier(&self) -> Result<(), RemoteError> {
        let client = &self.inner.client;
        match client.request(client.new_inbox(), Vec::new().into()).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == async_nats::RequestErrorKind::NoResponders => Ok(()),
            Err(e) => Err(RemoteError::transport("the server did not confirm", e)),
        }
    }

    pub(crate) fn actor_subject(&self, name: &str) -> String {
        format!("{}.actor.{name}", self.inner.options.prefix)
    }

    pub(crate) fn down_subject(&self, name: &str) -> String {
        format!("{}.down.{name}", self.inner.options.prefix)
    }

    pub(crate) fn heartbeat_subject(&self, node: &str) -> String {
        format!("{}.hb.{node}", self.inner.options.prefix)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.heartbeat.get_mut().unwrap().take() {
            task.abort();
        }
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.inner.name)
            .finish()
    }
}

/// Waits until the client is connected (the claim needs the server), or
/// gave up for good.
async fn wait_connected(client: &async_nats::Client, state: &ConnState) {
    let connected = || {
        state.is_closed() || client.connection_state() == async_nats::connection::State::Connected
    };
    loop {
        if connected() {
            return;
        }
        let listener = state.changed.listen();
        if connected() {
            return;
        }
        listener.await;
    }
}

async fn connect_options(
    options: &NodeOptions,
    state: Arc<ConnState>,
) -> Result<async_nats::ConnectOptions, RemoteError> {
    let mut opts = match &options.credentials {
        Credentials::None => async_nats::ConnectOptions::new(),
        Credentials::UserPassword { user, password } => {
            async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
        }
        Credentials::Token(token) => async_nats::ConnectOptions::with_token(token.clone()),
        Credentials::NKey(seed) => async_nats::ConnectOptions::with_nkey(seed.clone()),
        Credentials::CredsFile(path) => async_nats::ConnectOptions::with_credentials_file(path)
            .await
            .map_err(|e| {
                RemoteError::new(
                    RemoteErrorKind::Auth,
                    format!("cannot read credentials file {}: {e}", path.display()),
                )
            })?,
    };
    let tls = &options.tls;
    opts = opts.require_tls(tls.required);
    for root in &tls.root_certificates {
        opts = opts.add_root_certificates(root.clone());
    }
    if let Some((cert, key)) = &tls.client_certificate {
        opts = opts.add_client_certificate(cert.clone(), key.clone());
    }
    if tls.tls_first {
        opts = opts.tls_first();
    }
    let max_delay = options.reconnect.max_delay;
    opts = opts
        .name(&options.name)
        .max_reconnects(options.reconnect.max_attempts)
        .reconnect_delay_callback(move |attempts| {
            let exp = 10u64.saturating_mul(1u64 << attempts.min(20));
            Duration::from_millis(exp).min(max_delay)
        })
        .request_timeout(Some(options.ask_timeout))
        .event_callback(move |event| {
            let state = state.clone();
            async move {
                if matches!(event, async_nats::Event::Closed) {
                    state.closed.store(true, Ordering::SeqCst);
                }
                state.changed.notify(usize::MAX);
            }
        });
    if options.reconnect.retry_initial {
        opts = opts.retry_on_initial_connect();
    }
    Ok(opts)
}

fn connect_error(err: async_nats::ConnectError) -> RemoteError {
    use async_nats::ConnectErrorKind as K;
    let kind = match err.kind() {
        K::Authentication | K::AuthorizationViolation => RemoteErrorKind::Auth,
        _ => RemoteErrorKind::Connect,
    };
    let hint = if kind == RemoteErrorKind::Auth {
        " (check the node's credentials)"
    } else {
        ""
    };
    RemoteError::new(kind, format!("cannot join NATS: {err}{hint}"))
}
