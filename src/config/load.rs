//! Loading: source → nodes → model and plan → checks → a built (not yet
//! started) tree, and the `System` entry points.
//!
//! Invariants: nothing starts unless the whole file decoded, validated and
//! built without a single diagnostic (a bad file never half-starts a
//! tree); every actor was built once from its args before the tree starts;
//! a nested supervisor's factory rebuilds its subtree from the same plan
//! on restart, with references outside the subtree bound to the same
//! handles as at load time; one child that fails to build does not stop
//! its later siblings from being built and checked (every error at
//! once), and a reference to the failed child is not reported again.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::supervisor::{ChildSpec, Supervisor, SupervisorError, System};

use super::decode::{Decoder, PlanBody, PlanSup};
use super::diagnostics::{ConfigError, Diagnostic, Report, Severity};
use super::format::Format;
use super::kinds::Kinds;
use super::node::Node;
use super::refs::{Refs, Target};
use super::tree::ConfigTree;
use super::validate::validate;

/// Parses, checks and builds a tree from `source` (named `name` in
/// diagnostics). Reports every problem at once; warnings are kept on the
/// tree ([`ConfigTree::warnings`]) or, when the file has errors, reported
/// with them.
pub fn load_str(
    source: &str,
    format: Format,
    name: &str,
    kinds: &Kinds,
) -> Result<ConfigTree, ConfigError> {
    let node = Node::parse(source, format).map_err(|d| ConfigError::new(name, source, d))?;
    let mut decoder = Decoder::new(kinds);
    let decoded = decoder.root(&node);
    drop(node);
    let mut diags = decoder.diags;
    let Some((config, plan)) = decoded else {
        return Err(ConfigError::new(name, source, diags));
    };
    validate(&config.supervisor, &plan, &mut diags);
    // Build even when earlier checks failed, so what only building finds
    // (a reference to a child of the wrong type, args a kind rejects) is
    // reported in the same pass; nothing is started either way.
    let plan = Arc::new(plan);
    let mut targets = BTreeMap::new();
    let root = build(&plan, None, "", &mut targets, &mut diags);
    let has_errors = diags.iter().any(|d| d.severity == Severity::Error);
    match root {
        Some(root) if !has_errors => Ok(ConfigTree {
            #[cfg(feature = "nats")]
            remote: super::remote_kind::plan(config.node.as_ref(), &plan, &targets, kinds),
            config,
            root,
            targets,
            warnings: Report::new(name, source, diags),
        }),
        _ => Err(ConfigError::new(name, source, diags)),
    }
}

/// [`load_str`] on a file, its format from its extension. A file that
/// cannot be read is an error naming the cause (it does not exist, is a
/// directory, is not UTF-8 text).
pub fn load_file(path: impl AsRef<Path>, kinds: &Kinds) -> Result<ConfigTree, ConfigError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let source = read(path).map_err(|why| {
        ConfigError::whole_file(&name, "io", format!("cannot read {name}: {why}"))
    })?;
    load_str(&source, Format::from_path(path), &name, kinds)
}

/// The file's text, or why it cannot be had, in plain words.
fn read(path: &Path) -> Result<String, String> {
    use std::io::ErrorKind;
    if path.is_dir() {
        return Err("it is a directory, not a file".into());
    }
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => "no such file".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::IsADirectory => "it is a directory, not a file".to_string(),
        _ => e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "it is not UTF-8 text (a binary file?): byte {} is not valid UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Why a tree from a config file did not start.
#[derive(Debug, Clone)]
pub enum LoadError {
    /// The file is wrong; nothing was started.
    Config(ConfigError),
    /// A child failed in `started`; what had started was stopped again.
    Start(SupervisorError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Config(e) => e.fmt(f),
            LoadError::Start(e) => write!(f, "the tree failed to start: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl System {
    /// Loads, checks and starts the tree in the file at `path` (format
    /// from the extension: `.toml`, `.json`, `.yaml`/`.yml`).
    pub async fn from_config_file(
        path: impl AsRef<Path>,
        kinds: &Kinds,
    ) -> Result<System, LoadError> {
        let tree = load_file(path, kinds).map_err(LoadError::Config)?;
        tree.start().await.map_err(LoadError::Start)
    }

    /// Loads, checks and starts the tree in `source`.
    ///
    /// ```
    /// use retinue::config::{Format, Kinds};
    /// use retinue::supervisor::{ChildState, System};
    ///
    /// # retinue::rt::block_on(async {
    /// let system = System::from_config_str(
    ///     r#"{ "supervisor": { "children": [
    ///         { "id": "work", "supervisor": { "children": [
    ///             { "id": "jobs", "kind": "queue" } ] } } ] } }"#,
    ///     Format::Json,
    ///     &Kinds::builtin(),
    /// ).await;
    /// # if cfg!(feature = "json") {
    /// let system = system.unwrap();
    /// let tree = system.tree().await.unwrap();
    /// assert_eq!(tree.find("work/jobs").unwrap().state, ChildState::Running);
    /// system.shutdown().await;
    /// # }
    /// # });
    /// ```
    pub async fn from_config_str(
        source: &str,
        format: Format,
        kinds: &Kinds,
    ) -> Result<System, LoadError> {
        let tree = load_str(source, format, "<config>", kinds).map_err(LoadError::Config)?;
        tree.start().await.map_err(LoadError::Start)
    }
}

/// The children of one supervisor built so far, indexed by id (the first
/// of a duplicated id wins; duplicates are reported by the decoder).
#[derive(Default)]
struct Level {
    targets: Vec<Target>,
    index: HashMap<String, usize>,
}

impl Level {
    fn push(&mut self, target: Target) {
        let at = self.targets.len();
        self.index.entry(target.id().to_string()).or_insert(at);
        self.targets.push(target);
    }

    /// The target `name` among the first `upto` children.
    fn find(&self, name: &str, upto: usize) -> Option<Target> {
        let at = *self.index.get(name)?;
        (at < upto).then(|| self.targets[at].clone())
    }
}

type Shared = Arc<Mutex<Level>>;

fn lock(level: &Shared) -> std::sync::MutexGuard<'_, Level> {
    level.lock().unwrap_or_else(|e| e.into_inner())
}

/// The children that are started before a nested supervisor: the first
/// `upto` of its parent's children, then its ancestors' earlier siblings.
/// The parent's level is shared, not copied, so building is linear in the
/// number of children however many of them are supervisors.
struct Scope {
    level: Shared,
    upto: usize,
    parent: Option<Arc<Scope>>,
}

fn resolve(name: &str, local: &Shared, parent: Option<&Arc<Scope>>) -> Option<Target> {
    if let Some(t) = lock(local).find(name, usize::MAX) {
        return Some(t);
    }
    let mut scope = parent;
    while let Some(s) = scope {
        if let Some(t) = lock(&s.level).find(name, s.upto) {
            return Some(t);
        }
        scope = s.parent.as_ref();
    }
    None
}

/// Builds the supervisor for `plan` (without starting it).
fn build(
    plan: &Arc<PlanSup>,
    parent: Option<Arc<Scope>>,
    prefix: &str,
    paths: &mut BTreeMap<String, Target>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Supervisor> {
    let mut sup = Supervisor::with_flags(plan.flags.clone());
    let local: Shared = Arc::default();
    let mut ok = true;
    for child in &plan.children {
        let path = format!("{prefix}{}", child.id);
        let built = match &child.body {
            PlanBody::Worker { entry, args, refs } => {
                let mut resolved = Refs::for_child(&child.id, &path);
                let mut refs_ok = true;
                for r in refs {
                    match resolve(&r.name, &local, parent.as_ref()) {
                        Some(t) if (r.check)(&t) => resolved.insert(t),
                        Some(t) => {
                            diags.push(
                                Diagnostic::new(
                                    "ref-type",
                                    format!("`{}` is a `{}`, not {}", r.name, t.kind(), r.expected),
                                    r.span,
                                )
                                .label(format!("expected {}", r.expected)),
                            );
                            refs_ok = false;
                        }
                        None => {
                            // `validate` found the name in scope, so the
                            // child it names failed to build and that is
                            // reported already; say it only if it is not.
                            if diags.iter().all(|d| d.severity != Severity::Error) {
                                diags.push(Diagnostic::new(
                                    "dangling-ref",
                                    format!("no child `{}` to refer to", r.name),
                                    r.span,
                                ));
                            }
                            refs_ok = false;
                        }
                    }
                }
                if !refs_ok {
                    ok = false;
                    continue;
                }
                match entry.build(&child.id, &child.kind, args, child.capacity, resolved) {
                    Ok(built) => Some(built),
                    Err(e) => {
                        diags.push(
                            Diagnostic::new(
                                "build-failed",
                                format!("kind `{}` rejected its args: {e}", child.kind),
                                child.span,
                            )
                            .label(format!("`{}` cannot be built", child.id)),
                        );
                        ok = false;
                        None
                    }
                }
            }
            PlanBody::Supervisor(inner) => {
                let scope = Arc::new(Scope {
                    upto: lock(&local).targets.len(),
                    level: local.clone(),
                    parent: parent.clone(),
                });
                let first = build(
                    inner,
                    Some(scope.clone()),
                    &format!("{path}/"),
                    paths,
                    diags,
                );
                first.map(|first| {
                    let first = Mutex::new(Some(first));
                    let inner = inner.clone();
                    let id = child.id.clone();
                    let inner_prefix = format!("{path}/");
                    let spec = ChildSpec::supervisor(child.id.clone(), move || {
                        let ready = first.lock().unwrap_or_else(|e| e.into_inner()).take();
                        ready.unwrap_or_else(|| {
                            let mut scratch = BTreeMap::new();
                            let mut errors = Vec::new();
                            build(
                                &inner,
                                Some(scope.clone()),
                                &inner_prefix,
                                &mut scratch,
                                &mut errors,
                            )
                            // Caught by the parent and reported as a failed start.
                            .unwrap_or_else(|| panic!("supervisor `{id}` could not be rebuilt"))
                        })
                    });
                    let addr = spec.addr::<Supervisor>().expect("a supervisor spec");
                    (spec, Target::new(&child.id, "supervisor", addr))
                })
            }
            PlanBody::Invalid { .. } => None,
        };
        let Some((mut spec, target)) = built else {
            ok = false;
            continue;
        };
        spec = spec.restart(child.restart).significant(child.significant);
        if let Some(shutdown) = child.shutdown {
            spec = spec.shutdown(shutdown);
        }
        paths.insert(path, target.clone());
        lock(&local).push(target);
        sup = sup.child(spec);
    }
    ok.then_some(sup)
}
