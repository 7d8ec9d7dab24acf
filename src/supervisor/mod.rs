//! Supervision trees with Erlang/OTP semantics.
//!
//! A [`Supervisor`] is an actor that starts its children in order, restarts
//! them by [`Strategy`] when they exit (within a restart intensity, with an
//! optional backoff), and stops them in reverse order. A supervised child's
//! address stays valid across restarts: its mailbox belongs to the child's
//! slot, so messages waiting in it are handled by the next instance and
//! only the asker of the in-flight message sees the crash.
//!
//! [`System`] is the root of an application's tree, with a name registry.
//! [`DynamicSupervisor`] starts children on demand from one template.
//!
//! Supervisor decisions (child exit, restart, backoff, escalation,
//! shutdown) are emitted as `tracing` events carrying the child id, inside
//! the supervisor's own `actor` span; each child's span and metrics carry
//! its supervised path (`pool/w1`, see [`Inbox::set_path`](crate::Inbox::set_path)).
//!
//! # A supervised worker pool
//!
//! A one_for_one supervisor runs three workers. One job is bad and crashes
//! the worker that takes it: only that job's caller sees an error
//! ([`AskError::NoReply`](crate::AskError::NoReply)); the jobs queued
//! behind it in the same mailbox are handled by the restarted instance,
//! and the worker's address keeps working.
//!
//! ```
//! use retinue::{Actor, AskError, Context, Handler, Message};
//! use retinue::supervisor::{ChildSpec, Strategy, Supervisor};
//! use retinue::task::{TaskError, gather_all};
//!
//! /// Squares numbers; a negative one is a bug that makes it panic.
//! struct Squarer;
//! impl Actor for Squarer {}
//!
//! struct Job(i64);
//! impl Message for Job { type Reply = i64; }
//! impl Handler<Job> for Squarer {
//!     async fn handle(&mut self, Job(n): Job, _: &mut Context<Self>) -> i64 {
//!         assert!(n >= 0, "bad job {n}"); // a crash, not an error value
//!         n * n
//!     }
//! }
//!
//! # retinue::rt::block_on(async {
//! // The pool: three permanent workers under one_for_one. A child's
//! // address is known from its spec, before anything starts.
//! let mut pool = Supervisor::new(Strategy::OneForOne);
//! let mut workers = Vec::new();
//! for i in 0..3 {
//!     let spec = ChildSpec::worker(format!("worker-{i}"), || Squarer);
//!     workers.push(spec.addr::<Squarer>().unwrap());
//!     pool = pool.child(spec);
//! }
//! let pool = pool.spawn().await.unwrap();
//!
//! // Six jobs at once, round-robin; job #3 (-4, for worker-0) is bad.
//! let jobs = [1, 2, 3, -4, 5, 6];
//! let results = gather_all(jobs.iter().enumerate().map(|(i, &n)| {
//!     let worker = workers[i % 3].clone();
//!     async move { worker.ask(Job(n)).await }
//! }))
//! .await;
//! assert_eq!(
//!     results,
//!     vec![Ok(1), Ok(4), Ok(9), Err(TaskError::Failed(AskError::NoReply)), Ok(25), Ok(36)]
//! );
//!
//! // worker-0 was restarted once, behind the same address; the others never.
//! assert_eq!(workers[0].ask(Job(7)).await, Ok(49));
//! assert_eq!(pool.child("worker-0").await.unwrap().restarts, 1);
//! assert_eq!(pool.child("worker-1").await.unwrap().restarts, 0);
//! assert_eq!(pool.count_children().await.unwrap().active, 3);
//!
//! pool.shutdown().await;
//! assert!(workers.iter().all(|w| !w.is_alive()));
//! # });
//! ```

mod admin;
mod child;
mod dynamic;
mod error;
mod flags;
mod ignore;
mod info;
mod intensity;
mod restart;
mod spec;
#[allow(clippy::module_inception)]
mod supervisor;
mod system;
mod tree;

pub use admin::SupervisorRef;
pub use dynamic::{DynamicSupervisor, Template};
pub use error::SupervisorError;
pub use flags::{AutoShutdown, Flags, Strategy};
pub use ignore::Ignore;
pub use info::{ChildCounts, ChildInfo};
pub use spec::{ChildKind, ChildSpec, Restart, Shutdown};
pub use supervisor::{ChildState, Supervisor};
pub use system::{NameTaken, System};
pub use tree::{ExitRecord, RestartBudget, TreeNode};
