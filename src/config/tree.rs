//! [`ConfigTree`]: a loaded tree, checked and built but not started: its
//! model, its handles by path ([`ConfigTree::lookup`]), its warnings and
//! its normal form.
//!
//! Invariants: the handles are the ones the first start uses (addresses
//! are stable across restarts, so they stay valid while the tree runs);
//! a failed look-up says why, never a bare `None`.

use std::collections::BTreeMap;
use std::fmt;

use crate::supervisor::{Supervisor, SupervisorError, System};

use super::diagnostics::{Diagnostic, Report};
use super::model::TreeConfig;
use super::refs::{RefTarget, Target};

/// A checked and built tree, not started yet.
///
/// ```
/// use retinue::config::{Format, Kinds, load_str};
/// use retinue::sync::Semaphore;
///
/// let tree = load_str(r#"
/// [supervisor]
/// strategy = "one_for_all"
/// [[supervisor.children]]
/// id = "slots"
/// kind = "semaphore"
/// args = { permits = 2 }
/// "#, Format::Toml, "inline.toml", &Kinds::builtin()).unwrap();
/// assert_eq!(tree.config().supervisor.children[0].id, "slots");
///
/// # retinue::rt::block_on(async {
/// let slots: Semaphore = tree.handle("slots").unwrap();
/// let system = tree.start().await.unwrap();
/// assert_eq!(slots.available().await, Ok(2));
/// system.shutdown().await;
/// # });
/// ```
pub struct ConfigTree {
    pub(super) config: TreeConfig,
    pub(super) root: Supervisor,
    pub(super) targets: BTreeMap<String, Target>,
    pub(super) warnings: Report,
    #[cfg(feature = "nats")]
    pub(super) remote: Option<super::remote_kind::RemotePlan>,
}

impl fmt::Debug for ConfigTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigTree")
            .field("children", &self.targets.keys())
            .finish()
    }
}

impl ConfigTree {
    /// The model as read from the file.
    pub fn config(&self) -> &TreeConfig {
        &self.config
    }

    /// The handle of the child at `path` (e.g. `"workers/fetcher"`), as
    /// built for the first start; `None` if there is no such child or it
    /// is not an `H` ([`ConfigTree::lookup`] says which).
    pub fn handle<H: RefTarget>(&self, path: &str) -> Option<H> {
        self.lookup(path).ok()
    }

    /// The handle of the child at `path`, by its handle type: a
    /// primitive's handle ([`Lock`](crate::sync::Lock),
    /// [`RwLock`](crate::sync::RwLock), [`Event`](crate::sync::Event),
    /// [`Condition`](crate::sync::Condition),
    /// [`Semaphore`](crate::sync::Semaphore),
    /// [`RateLimiter`](crate::sync::RateLimiter),
    /// [`Barrier`](crate::sync::Barrier), [`Queue<T>`](crate::sync::Queue),
    /// [`CircuitBreaker`](crate::sync::CircuitBreaker)) or an `Addr<A>`.
    /// Addresses are stable across restarts, so a handle taken before
    /// [`start`](ConfigTree::start) stays valid while the tree runs.
    ///
    /// ```
    /// use retinue::config::{Format, Kinds, LookupError, load_str};
    /// use retinue::sync::{CircuitBreaker, Lock, Semaphore};
    ///
    /// let tree = load_str(r#"
    /// [supervisor]
    /// children = [
    ///   { id = "db", kind = "lock" },
    ///   { id = "api", kind = "circuit_breaker" },
    /// ]
    /// "#, Format::Toml, "app.toml", &Kinds::builtin()).unwrap();
    /// let _db: Lock = tree.lookup("db").unwrap();
    /// let _api: CircuitBreaker = tree.lookup("api").unwrap();
    /// let err = tree.lookup::<Semaphore>("db").unwrap_err();
    /// assert!(matches!(err, LookupError::WrongKind { .. }));
    /// assert_eq!(err.to_string(), "`db` is a `lock` (LockActor), not a semaphore");
    /// let err = tree.lookup::<Lock>("dbb").unwrap_err();
    /// assert_eq!(err.to_string(), "no child at `dbb` (did you mean `db`?)");
    /// ```
    pub fn lookup<H: RefTarget>(&self, path: &str) -> Result<H, LookupError> {
        let Some(target) = self.targets.get(path) else {
            return Err(LookupError::NoSuchPath {
                path: path.to_string(),
                suggestion: super::suggest::did_you_mean_name(
                    path,
                    self.targets.keys().map(String::as_str),
                ),
            });
        };
        H::from_target(target).ok_or_else(|| LookupError::WrongKind {
            path: path.to_string(),
            kind: target.kind().to_string(),
            actual: target.type_name().to_string(),
            expected: H::expected(),
        })
    }

    /// Every child's path and target (kind, address, handle), sorted by path.
    pub fn targets(&self) -> impl Iterator<Item = (&str, &Target)> {
        self.targets.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Warnings about valid but suspicious settings (a restart backoff
    /// that outlasts the intensity window, a breaker that can never trip),
    /// in file order.
    ///
    /// ```
    /// use retinue::config::{Format, Kinds, load_str};
    ///
    /// let tree = load_str(r#"
    /// [supervisor]
    /// max_restarts = 3
    /// within = "1s"
    /// backoff = { initial = "2s", max = "10s", jitter = "none" }
    /// "#, Format::Toml, "app.toml", &Kinds::builtin()).unwrap();
    /// assert_eq!(tree.warnings()[0].id(), "R0101");
    /// assert!(tree.render_warnings(false).contains("warning[R0101]"));
    /// ```
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings.diagnostics
    }

    /// The warnings rendered like errors (empty when there are none).
    pub fn render_warnings(&self, colour: bool) -> String {
        self.warnings.render(colour)
    }

    /// The warnings as JSON lines, like
    /// [`ConfigError::to_json_lines`](super::ConfigError::to_json_lines).
    pub fn warnings_to_json_lines(&self) -> String {
        self.warnings.to_json_lines()
    }

    /// The tree as JSON in normal form: every field written out with its
    /// value in effect (defaults included), durations as human strings,
    /// children in start order, args as written. [`load_str`](super::load_str) with
    /// [`Format::Json`](super::Format::Json) accepts it as it is and loads the same tree.
    ///
    /// ```
    /// use retinue::config::{Format, Kinds, load_str};
    ///
    /// let kinds = Kinds::builtin();
    /// let tree = load_str("[supervisor]\nchildren = [{ id = \"q\", kind = \"queue\" }]\n",
    ///     Format::Toml, "app.toml", &kinds).unwrap();
    /// let json = tree.to_normalized_json();
    /// assert!(json.contains(r#""strategy": "one_for_one""#));
    /// # if cfg!(feature = "json") {
    /// let again = load_str(&json, Format::Json, "normal.json", &kinds).unwrap();
    /// assert_eq!(again.to_normalized_json(), json);
    /// # }
    /// ```
    pub fn to_normalized_json(&self) -> String {
        self.config.to_normalized_json()
    }

    /// Starts the tree; if a child fails to start, the ones already
    /// started are stopped and the error says which and why. A file with
    /// a `[node]` (feature `nats`) gets two more children at the end of
    /// the root: `retinue.node` joins the deployment, `retinue.exports`
    /// exports the children that say `export = "..."`.
    pub async fn start(self) -> Result<System, SupervisorError> {
        #[allow(unused_mut)]
        let mut root = self.root;
        #[cfg(feature = "nats")]
        if let Some(remote) = self.remote {
            for spec in remote.into_specs() {
                root = root.child(spec);
            }
        }
        System::with_root(root).await
    }

    /// The address of the `retinue.node` child of a file with a `[node]`
    /// (feature `nats`); ask it for the [`Node`](crate::remote::Node) with
    /// [`GetNode`](crate::remote::GetNode) once the tree runs.
    #[cfg(feature = "nats")]
    pub fn node(&self) -> Option<crate::Addr<crate::remote::NodeActor>> {
        self.remote.as_ref().map(|r| r.node_addr())
    }
}

/// Why [`ConfigTree::lookup`] found no handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// No child has this path.
    NoSuchPath {
        /// The path asked for.
        path: String,
        /// The nearest existing path, if one is close.
        suggestion: Option<String>,
    },
    /// The child exists but its handle is not of the type asked for.
    WrongKind {
        /// The path asked for.
        path: String,
        /// The child's kind name (`"queue"`).
        kind: String,
        /// The child's actor or handle type (`"QueueActor<String>"`).
        actual: String,
        /// What was asked for (`"a queue of Job"`).
        expected: String,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::NoSuchPath { path, suggestion } => {
                write!(f, "no child at `{path}`")?;
                match suggestion {
                    Some(s) => write!(f, " (did you mean `{s}`?)"),
                    None => Ok(()),
                }
            }
            LookupError::WrongKind {
                path,
                kind,
                actual,
                expected,
            } => write!(f, "`{path}` is a `{kind}` ({actual}), not {expected}"),
        }
    }
}

impl std::error::Error for LookupError {}
