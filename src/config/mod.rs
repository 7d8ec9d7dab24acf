//! Supervision trees from config files.
//!
//! A tree is data: supervisors with their flags, children of registered
//! [`Kinds`] with typed args, nested supervisors. Files are TOML (always),
//! JSON (feature `json`) or YAML (feature `yaml`). Loading checks
//! everything before anything starts and reports every problem at once,
//! rustc-style, each with its file, line, column and a caret excerpt
//! ([`ConfigError`]); a bad file never panics and never half-starts a tree.
//!
//! ```
//! use retinue::config::{Format, Kinds};
//! use retinue::supervisor::System;
//! use retinue::sync::{QueueActor, Queue};
//!
//! let file = r#"
//! [supervisor]
//! strategy = "rest_for_one"
//! within = "10s"
//!
//! [[supervisor.children]]
//! id = "jobs"
//! kind = "queue"
//! args = { maxsize = 10 }
//! "#;
//! # retinue::rt::block_on(async {
//! let system = System::from_config_str(file, Format::Toml, &Kinds::builtin()).await.unwrap();
//! let jobs = Queue::from_addr(system.lookup_path::<QueueActor<String>>("jobs").await.unwrap());
//! jobs.put("first".to_string()).await.unwrap();
//! assert_eq!(jobs.len().await, Ok(1));
//! system.shutdown().await;
//! # });
//! ```
//!
//! Limits, for files from anywhere: tables and lists nest at most
//! [`NESTING_LIMIT`] levels in every format (a located error past it, never
//! a stack overflow); checking is linear in the size of the file; a
//! rendering shows the first [`MAX_SHOWN`] diagnostics and counts the
//! rest. Every diagnostic has a stable code ([`explain`] describes it) and
//! renders as text or as JSON lines ([`ConfigError::to_json_lines`]).
//!
//! Files: `node` (parsed values with spans), `format`, `json` and `yaml`
//! (parsers), `de` (serde over nodes), `model`, `kinds`, `refs`,
//! `decode` and `fields` (nodes to model), `validate`, `diagnostics`
//! (text), `machine` (JSON lines), `codes`, `normal` (normal form),
//! `tree` (a loaded tree), `load`, `suggest`.

mod codes;
mod de;
mod decode;
mod diagnostics;
mod fields;
mod format;
#[cfg(feature = "json")]
mod json;
mod kinds;
mod load;
mod machine;
mod model;
mod node;
mod normal;
mod pool_kind;
mod refs;
#[cfg(feature = "nats")]
mod remote_kind;
mod suggest;
#[cfg(any(feature = "json", feature = "yaml"))]
mod table_builder;
mod tree;
mod validate;
#[cfg(feature = "yaml")]
mod yaml;

pub use codes::{codes, explain};
pub use de::{DeError, from_node};
pub use diagnostics::{ConfigError, Diagnostic, MAX_LINE, MAX_SHOWN, Severity};
pub use format::Format;
pub use kinds::{ConditionArgs, ConfigKind, Kinds};
pub use load::{LoadError, load_file, load_str};
pub use model::{
    CapacityConfig, ChildBody, ChildConfig, ChildSpans, SupervisorConfig, SupervisorSpans,
    TreeConfig,
};
pub use node::{Key, NESTING_LIMIT, Node, Span, Value};
pub use pool_kind::MAX_POOL_SIZE;
pub use refs::{Ref, RefError, RefTarget, Refs, Target};
#[cfg(feature = "nats")]
pub use remote_kind::NodeConfig;
pub use tree::{ConfigTree, LookupError};
